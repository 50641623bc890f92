"""Frames as new images (the canvas's render thread, PNG export): a whole frame, or a pan
frame made from the previous one (:mod:`render.pan`) when the view only moved by whole
pixels. The entry point above both ways of drawing; neither knows of this module.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from citymgr_desktop.render.data import MapData
from citymgr_desktop.render.pan import render_panned
from citymgr_desktop.render.renderer import RenderOptions, RenderResult, draw_map, new_image
from citymgr_desktop.render.view import Extent


def render_image(data: MapData, extent: Extent, size: QSize | tuple[int, int],
                 options: RenderOptions | None = None) -> QImage:
    """A new ARGB image of ``size`` with the map of ``extent`` (see :func:`draw_map`)."""
    return render_frame(data, extent, size, options)[0]


def render_frame(data: MapData, extent: Extent, size: QSize | tuple[int, int],
                 options: RenderOptions | None = None) -> tuple[QImage, RenderResult]:
    """Like :func:`render_image`, also returning the :class:`RenderResult`.

    A quick frame with ``options.previous`` is made from that image when it can be
    (see :mod:`render.pan`); otherwise the whole view is drawn.
    """
    w, h = (size.width(), size.height()) if isinstance(size, QSize) else size
    opts = options or RenderOptions()
    if opts.previous is not None:
        panned = render_panned(data, extent, (int(w), int(h)), opts)
        if panned is not None:
            return panned
    image = new_image(int(w), int(h), opts.dpi or 96.0)
    background = QColor(opts.background) if opts.background else None
    if background is None or background.alpha() < 255:  # else draw_map paints every pixel
        image.fill(background if background is not None else Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        result = draw_map(painter, data, extent, QRectF(0, 0, w, h), opts)
    finally:
        painter.end()
    return image, result


__all__ = ["render_frame", "render_image"]
