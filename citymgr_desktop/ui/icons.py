"""Tool bar icons as inline SVG (24×24, stroked): the same crisp icons on every platform,
no icon theme needed (Windows and macOS have none for Qt's ``QIcon.fromTheme``).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

_STROKE = "#37474f"
_ACCENT = "#1565c0"
_HEAD = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
         f'stroke="{_STROKE}" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">')
_LENS = '<circle cx="10" cy="10" r="6"/><path d="M14.5 14.5 20 20"/>'

SVG = {
    "open": '<path d="M3 7a1 1 0 0 1 1-1h5l2 2h8a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z"/>'
            f'<path d="M3 11h18" stroke="{_ACCENT}"/>',
    "undo": '<path d="M9 14 4 9l5-5"/><path d="M4 9h10a6 6 0 0 1 0 12h-3"/>',
    "redo": '<path d="m15 14 5-5-5-5"/><path d="M20 9H10a6 6 0 0 0 0 12h3"/>',
    "pan": '<path d="M12 2v20M2 12h20"/><path d="m9 5 3-3 3 3M9 19l3 3 3-3M5 9l-3 3 3 3M19 9l3 3-3 3"/>',
    "zoom_box": f'{_LENS}<rect x="7" y="7" width="6" height="6" stroke="{_ACCENT}" '
                'stroke-dasharray="2 1.5" stroke-width="1.4"/>',
    "select": f'<rect x="3" y="3" width="14" height="14" stroke="{_ACCENT}" stroke-dasharray="3 2"/>'
              '<path d="m11 11 9 3-4 1.5L14.5 20z" fill="#ffffff"/>',
    "identify": f'<circle cx="12" cy="12" r="9" stroke="{_ACCENT}"/><path d="M12 11v6"/>'
                '<circle cx="12" cy="7.5" r="0.6" fill="#37474f"/>',
    "zoom_in": f'{_LENS}<path d="M7.5 10h5M10 7.5v5" stroke="{_ACCENT}"/>',
    "zoom_out": f'{_LENS}<path d="M7.5 10h5" stroke="{_ACCENT}"/>',
    "zoom_full": '<path d="M3 8V3h5M16 3h5v5M21 16v5h-5M8 21H3v-5"/>'
                 f'<rect x="8" y="8" width="8" height="8" rx="1" stroke="{_ACCENT}"/>',
    "zoom_selection": f'{_LENS}<rect x="7.5" y="7.5" width="5" height="5" fill="#00e5ff" '
                      'stroke="#00838f" stroke-width="1.2"/>',
    "zoom_layer": f'{_LENS}<path d="m6.5 11 3.5-2 3.5 2-3.5 2z" stroke="{_ACCENT}" stroke-width="1.4"/>',
    "measure": f'<path d="M3 17 17 3l4 4L7 21z"/><path d="m7 13 2 2M10 10l2 2M13 7l2 2" '
               f'stroke="{_ACCENT}"/>',
    "zoom_previous": '<path d="M15 18 9 12l6-6"/>',
    "zoom_next": '<path d="m9 18 6-6-6-6"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.3-5.7"/><path d="M20 4v5h-5"/>',
    "deselect": f'<rect x="3" y="3" width="14" height="14" stroke="{_ACCENT}" stroke-dasharray="3 2"/>'
                '<path d="m14 14 7 7m0-7-7 7" stroke="#c62828"/>',
    "app": '<rect x="2" y="2" width="20" height="20" rx="4" fill="#1565c0" stroke="none"/>'
           '<path d="M6 16 10 8l4 5 4-6" stroke="#ffffff" stroke-width="2"/>'
           '<circle cx="18" cy="7" r="1.6" fill="#fee08b" stroke="none"/>',
}


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` of :data:`SVG` (an empty icon for an unknown name)."""
    body = SVG.get(name)
    if body is None:
        return QIcon()
    return svg_icon(body)


def svg_icon(body: str, sizes: tuple[int, ...] = (16, 24, 32, 48, 64)) -> QIcon:
    """An icon of the set's look (24×24, stroked) drawn from the inside of an ``<svg>``
    element, with a pixmap at each of ``sizes``."""
    renderer = QSvgRenderer(QByteArray((_HEAD + body + "</svg>").encode()))
    result = QIcon()
    for size in sizes:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p, QRectF(0, 0, size, size))
        p.end()
        result.addPixmap(pix)
    return result
