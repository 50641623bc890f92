"""Line labels (road names): along the longest visible segment, upright, with a white halo.

Placement is greedy, longest segments first; a label is dropped when it would overlap one
already placed or repeat the same name close by, so a dense view stays readable. Text
follows ``core.qgis_symbols`` (9 pt, 0.8 mm halo, the same CJK font families) like QGIS.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from citymgr_desktop.core.qgis_symbols import LABEL_FONTS
from citymgr_desktop.render.data import LINE, LayerData
from citymgr_desktop.render.view import MapView

FONT_PT = 9.0
HALO_MM = 0.8
TEXT_COLOUR = QColor(40, 40, 40)
REPEAT_MM = 60.0  # the same name is not repeated closer than this
MAX_CANDIDATES = 20_000  # more lines than this in view: too small a scale for labels
MAX_LABELS = 600
_CELL = 64.0


def label_font(dpi: float) -> QFont:
    """The label font (CJK-capable families first) sized for ``dpi``."""
    font = QFont()
    font.setFamilies(list(LABEL_FONTS))
    font.setPixelSize(max(1, round(FONT_PT / 72.0 * dpi)))
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def draw_line_labels(painter: QPainter, layer: LayerData, idx: np.ndarray, view: MapView,
                     check: Callable[[], None] | None = None) -> int:
    """Label features ``idx`` of a line layer; returns how many labels were placed."""
    pc = layer.pieces.get(LINE)
    if pc is None or layer.label_codes is None or len(idx) == 0:
        return 0
    idx = idx[layer.label_codes[idx] >= 0]
    if len(idx) == 0 or len(idx) > MAX_CANDIDATES:
        return 0
    verts, _pieces, starts = pc.subset(idx)
    if len(verts) < 2:
        return 0
    coords = pc.coords[verts]
    x, y = view.to_device(coords[:, 0], coords[:, 1])
    counts = pc.piece_start[pc.feature_piece[idx + 1]] - pc.piece_start[pc.feature_piece[idx]]
    owner = np.repeat(np.arange(len(idx)), counts)
    dx, dy = np.diff(x), np.diff(y)
    length = np.hypot(dx, dy)
    mx, my = (x[:-1] + x[1:]) / 2, (y[:-1] + y[1:]) / 2
    r = view.rect
    inside = (mx > r.left()) & (mx < r.right()) & (my > r.top()) & (my < r.bottom())
    score = np.where(~starts[1:] & inside, length, -1.0)
    seg_owner = owner[:-1]
    order = np.lexsort((-score, seg_owner))
    _, first = np.unique(seg_owner[order], return_index=True)
    best = order[first]
    best = best[score[best] > 0]
    best = best[np.argsort(-score[best], kind="stable")]

    font = label_font(view.dpi)
    metrics = QFontMetricsF(font)
    baseline = (metrics.ascent() - metrics.descent()) / 2
    ppmm = view.pixels_per_mm
    halo = QPen(QColor(255, 255, 255, 230), 2 * HALO_MM * ppmm)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    repeat = REPEAT_MM * ppmm
    grid: dict[tuple[int, int], list[QRectF]] = {}
    seen: dict[int, list[tuple[float, float]]] = {}
    widths: dict[int, float] = {}
    placed = 0
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for seg in best:
        if placed >= MAX_LABELS:
            break
        if check is not None and placed % 50 == 0:
            check()
        code = int(layer.label_codes[idx[owner[seg]]])
        text = layer.label_values[code]
        if code not in widths:
            widths[code] = metrics.horizontalAdvance(text)
        w = widths[code]
        if score[seg] < w + 2 * ppmm:
            continue
        cx, cy = float(mx[seg]), float(my[seg])
        if any((cx - px) ** 2 + (cy - py) ** 2 < repeat * repeat for px, py in seen.get(code, ())):
            continue
        angle = math.degrees(math.atan2(float(dy[seg]), float(dx[seg])))
        if angle > 90:
            angle -= 180
        elif angle <= -90:
            angle += 180
        box = _rotated_box(cx, cy, w + 2 * HALO_MM * ppmm, metrics.height(), angle)
        cells = _cells(box)
        if any(box.intersects(o) for c in cells for o in grid.get(c, ())):
            continue
        for c in cells:
            grid.setdefault(c, []).append(box)
        seen.setdefault(code, []).append((cx, cy))
        path = QPainterPath()
        path.addText(QPointF(-w / 2, baseline), font, text)
        painter.save()
        painter.translate(cx, cy)
        painter.rotate(angle)
        painter.strokePath(path, halo)
        painter.fillPath(path, TEXT_COLOUR)
        painter.restore()
        placed += 1
    painter.restore()
    return placed


def _rotated_box(cx: float, cy: float, w: float, h: float, angle: float) -> QRectF:
    a = math.radians(angle)
    bw = abs(w * math.cos(a)) + abs(h * math.sin(a))
    bh = abs(w * math.sin(a)) + abs(h * math.cos(a))
    return QRectF(cx - bw / 2, cy - bh / 2, bw, bh)


def _cells(box: QRectF) -> list[tuple[int, int]]:
    x0, x1 = int(box.left() // _CELL), int(box.right() // _CELL)
    y0, y1 = int(box.top() // _CELL), int(box.bottom() // _CELL)
    return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]
