"""Line labels (road names): along the longest visible segment, upright, with a white halo.

Placement is greedy, longest segments first; a label is dropped when it would overlap one
already placed or repeat the same name close by, so a dense view stays readable. Text
follows ``core.qgis_symbols`` (9 pt, 0.8 mm halo, the same CJK font families) like QGIS.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPen,
)

from citymgr_desktop.core.qgis_symbols import LABEL_FONTS
from citymgr_desktop.render.data import LINE, LayerData
from citymgr_desktop.render.view import MapView

FONT_PT = 9.0
HALO_MM = 0.8
TEXT_COLOUR = QColor(40, 40, 40)
REPEAT_MM = 60.0  # the same name is not repeated closer than this
MAX_CANDIDATES = 20_000  # more lines than this in view: too small a scale for labels
MAX_LABELS = 600
MAX_TRIED = 1500  # longest features tried per frame (keeps a dense view quick)
STRAIGHT_PX = 2.5  # how far a labelled run may bend away from its chord
_CELL = 64.0
_local = threading.local()  # label images per thread (QImages are not shared across threads)


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
    font = label_font(view.dpi)
    metrics = QFontMetricsF(font)
    ppmm = view.pixels_per_mm
    # only lines long enough on screen for their name are tried, the longest first
    codes = layer.label_codes[idx]
    uniq, inverse = np.unique(codes, return_inverse=True)
    need = np.array([metrics.horizontalAdvance(layer.label_values[int(c)]) for c in uniq])[
        inverse] + 2 * ppmm
    fb = layer.feature_bounds[idx]
    span = np.hypot(fb[:, 2] - fb[:, 0], fb[:, 3] - fb[:, 1]) / view.units_per_pixel
    longest = _line_lengths(pc, idx, view)
    keep = (span >= need * 0.9) & (longest >= need)
    idx = idx[keep][np.argsort(-longest[keep], kind="stable")[:MAX_TRIED]]
    baseline = (metrics.ascent() - metrics.descent()) / 2
    halo = QPen(QColor(255, 255, 255, 230), 2 * HALO_MM * ppmm)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    repeat = REPEAT_MM * ppmm
    grid: dict[tuple[int, int], list[QRectF]] = {}
    seen: dict[int, list[tuple[float, float]]] = {}
    widths: dict[int, float] = {}
    placed = 0
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    engine = painter.paintEngine()
    sprites = engine is not None and engine.type() == QPaintEngine.Type.Raster
    for feature in idx:
        if placed >= MAX_LABELS:
            break
        if check is not None and placed % 50 == 0:
            check()
        code = int(layer.label_codes[feature])
        text = layer.label_values[code]
        if code not in widths:
            widths[code] = metrics.horizontalAdvance(text)
        w = widths[code]
        b = layer.feature_bounds[feature]
        mx, my = view.point_to_device((b[0] + b[2]) / 2, (b[1] + b[3]) / 2).toTuple()
        near = (repeat + w) ** 2  # the same name close by: no need to place this one
        if any((mx - px) ** 2 + (my - py) ** 2 < near for px, py in seen.get(code, ())):
            continue
        spot = _place_on_line(pc, int(feature), view, w + 2 * ppmm)
        if spot is None:
            continue
        cx, cy, angle = spot
        if any((cx - px) ** 2 + (cy - py) ** 2 < repeat * repeat for px, py in seen.get(code, ())):
            continue
        box = _rotated_box(cx, cy, w + 2 * HALO_MM * ppmm, metrics.height(), angle)
        cells = _cells(box)
        if any(box.intersects(o) for c in cells for o in grid.get(c, ())):
            continue
        for c in cells:
            grid.setdefault(c, []).append(box)
        seen.setdefault(code, []).append((cx, cy))
        painter.save()
        painter.translate(cx, cy)
        painter.rotate(angle)
        if sprites:  # raster: the haloed text drawn once per name, then stamped
            image = _label_sprite(text, font, halo, baseline, w)
            painter.drawImage(QPointF(-image.width() / 2, -image.height() / 2), image)
        else:  # vector devices keep vector text
            path = QPainterPath()
            path.addText(QPointF(-w / 2, baseline), font, text)
            painter.strokePath(path, halo)
            painter.fillPath(path, TEXT_COLOUR)
        painter.restore()
        placed += 1
    painter.restore()
    return placed


def _label_sprite(text: str, font: QFont, halo: QPen, baseline: float, w: float) -> QImage:
    """The haloed label ``text`` as an image centred on the label's centre (per thread)."""
    cache = getattr(_local, "labels", None)
    if cache is None:
        cache = _local.labels = {}
    key = (text, font.pixelSize(), round(halo.widthF(), 2))
    image = cache.get(key)
    if image is None:
        pad = halo.widthF() + 2
        metrics = QFontMetricsF(font)
        iw, ih = math.ceil(w + 2 * pad), math.ceil(metrics.height() + 2 * pad)
        image = QImage(iw, ih, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        path = QPainterPath()
        path.addText(QPointF(iw / 2 - w / 2, ih / 2 + baseline), font, text)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.strokePath(path, halo)
        p.fillPath(path, TEXT_COLOUR)
        p.end()
        if len(cache) > 2000:
            cache.clear()
        cache[key] = image
    return image


def _line_lengths(pc, idx: np.ndarray, view: MapView) -> np.ndarray:
    """On-screen length of the longest part of each feature ``idx`` (vectorised)."""
    verts, _pieces, starts = pc.subset(idx)
    if len(verts) < 2:
        return np.zeros(len(idx))
    k = 1.0 / view.units_per_pixel
    xy = pc.coords[verts] * k
    seg = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    seg[starts[1:]] = 0.0  # no segment from one part to the next
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    first = np.flatnonzero(starts)
    last = np.concatenate([first[1:], [len(verts)]]) - 1
    part_len = cum[last] - cum[first]
    per_feature = pc.feature_piece[idx + 1] - pc.feature_piece[idx]
    owner = np.repeat(np.arange(len(idx)), per_feature)
    out = np.zeros(len(idx))
    np.maximum.at(out, owner, part_len)
    return out


def _place_on_line(pc, feature: int, view: MapView, need: float
                   ) -> tuple[float, float, float] | None:
    """Centre and angle of a straight run of ``need`` pixels along the feature's longest
    part, as near its middle as possible and inside the view; None if there is none.

    The run may span several vertices as long as the line stays within STRAIGHT_PX of the
    chord, so a gently curved street is labelled along its course.
    """
    best = None
    for p in range(pc.feature_piece[feature], pc.feature_piece[feature + 1]):
        xy = pc.coords[pc.piece_start[p]:pc.piece_start[p + 1]]
        if len(xy) < 2:
            continue
        x, y = view.to_device(xy[:, 0], xy[:, 1])
        seg = np.hypot(np.diff(x), np.diff(y))
        total = float(seg.sum())
        if total < need or (best is not None and total <= best[0]):
            continue
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        r = view.rect
        for offset in (0.0, -0.25, 0.25, -0.4, 0.4):  # middle first, then either side
            mid = total * (0.5 + offset)
            s0, s1 = mid - need / 2, mid + need / 2
            if s0 < 0 or s1 > total:
                continue
            x0, y0 = np.interp(s0, cum, x), np.interp(s0, cum, y)
            x1, y1 = np.interp(s1, cum, x), np.interp(s1, cum, y)
            inner = (cum > s0) & (cum < s1)
            dx, dy = x1 - x0, y1 - y0
            chord = math.hypot(dx, dy)
            if chord < need * 0.9:
                continue
            dev = np.abs((x[inner] - x0) * dy - (y[inner] - y0) * dx) / chord
            if len(dev) and dev.max() > STRAIGHT_PX:
                continue
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            if not (r.left() + need / 2 < cx < r.right() - need / 2
                    and r.top() + 8 < cy < r.bottom() - 8):
                continue
            angle = math.degrees(math.atan2(dy, dx))
            if angle > 90:
                angle -= 180
            elif angle <= -90:
                angle += 180
            best = (total, (float(cx), float(cy), angle))
            break
    return best[1] if best else None


def _rotated_box(cx: float, cy: float, w: float, h: float, angle: float) -> QRectF:
    a = math.radians(angle)
    bw = abs(w * math.cos(a)) + abs(h * math.sin(a))
    bh = abs(w * math.sin(a)) + abs(h * math.cos(a))
    return QRectF(cx - bw / 2, cy - bh / 2, bw, bh)


def _cells(box: QRectF) -> list[tuple[int, int]]:
    x0, x1 = int(box.left() // _CELL), int(box.right() // _CELL)
    y0, y1 = int(box.top() // _CELL), int(box.bottom() // _CELL)
    return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]
