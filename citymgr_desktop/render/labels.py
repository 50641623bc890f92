"""Line labels (road names): upright on a straight run of the street, with a white halo.
A Chinese name on a steep street (more than STEEP_DEG from level) is written as Chinese maps
write it: its characters upright, one under the other along the street, read from the top
(turned 90° it read top-down on one street and bottom-up on its neighbour).

Connected lines of the same name are merged first (a street, not each segment, is
labelled); placement is greedy, longest first; a label is dropped when it would overlap one
already placed or repeat the same name close by, so a dense view stays readable. Text
follows ``core.model.symbology`` (9 pt, 0.8 mm halo, the same CJK font families) like QGIS.
The labels are placed first (:func:`place_line_labels`) and drawn after the features
(:func:`draw_labels`), so their images can be made while the features are drawn
(render/label_sprites.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPen,
)

from citymgr_desktop.core.model.symbology import LABEL_FONTS
from citymgr_desktop.render.data import LINE, LayerData
from citymgr_desktop.render.label_sprites import TEXT_COLOUR, Sprite, SpriteMaker, label_sprite
from citymgr_desktop.render.view import MapView

FONT_PT = 9.0
HALO_MM = 0.8
REPEAT_MM = 60.0  # the same name is not repeated closer than this
MAX_CANDIDATES = 20_000  # more lines than this in view: too small a scale for labels
MAX_LABELS = 600
MAX_TRIED = 1500  # longest features tried per frame (keeps a dense view quick)
STRAIGHT_PX = 2.5  # how far a labelled run may bend away from its chord
STEEP_DEG = 60.0  # a Chinese name on a steeper street: upright characters down the street
_CELL = 64.0


def label_font(dpi: float) -> QFont:
    """The label font (CJK-capable families first) sized for ``dpi``."""
    font = QFont()
    font.setFamilies(list(LABEL_FONTS))
    font.setPixelSize(max(1, round(FONT_PT / 72.0 * dpi)))
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


@dataclass
class Placed:
    """A label placed in the view: its centre and angle in device pixels, its text and
    advance; ``stacked``: the characters upright, one under the other."""

    text: str
    cx: float
    cy: float
    angle: float
    width: float
    stacked: bool


@dataclass
class LabelPlan:
    """The labels of one layer placed in a view (:func:`place_line_labels`), to be drawn
    by :func:`draw_labels`; the haloed images they are stamped from can be made meanwhile
    in another thread (:class:`~citymgr_desktop.render.label_sprites.SpriteMaker`)."""

    font: QFont
    halo: QPen
    baseline: float
    labels: list[Placed] = field(default_factory=list)

    def sprites(self) -> list[Sprite]:
        """Every image the raster drawing stamps: a name, or each character of a stacked
        name."""
        metrics = QFontMetricsF(self.font)
        look = (self.font, self.halo, self.baseline)
        return [Sprite(text, *look, w) for label in self.labels for text, w in (
            [(ch, metrics.horizontalAdvance(ch)) for ch in label.text] if label.stacked
            else [(label.text, label.width)])]


def draw_line_labels(painter: QPainter, layer: LayerData, idx: np.ndarray, view: MapView,
                     check: Callable[[], None] | None = None) -> int:
    """Label features ``idx`` of a line layer; returns how many labels were placed
    (:func:`place_line_labels`, then :func:`draw_labels`)."""
    plan = place_line_labels(layer, idx, view, check)
    return 0 if plan is None else draw_labels(painter, plan)


class ViewLabels:
    """The labels of the features ``visible`` (per layer) of a view. On a raster device
    they are placed, and their new images made, by the label thread while the caller draws
    the features (:class:`~citymgr_desktop.render.label_sprites.SpriteMaker`); elsewhere
    they are placed at once. :meth:`plans` gives them, to be drawn over the features by
    :func:`draw_labels`; :meth:`cancel` drops them."""

    def __init__(self, painter: QPainter, layers: Sequence[LayerData],
                 visible: Mapping[str, np.ndarray], view: MapView,
                 check: Callable[[], None] | None = None,
                 blocking: Sequence[QRectF] = ()) -> None:
        self._plans: list[LabelPlan] = []

        def place() -> list[Sprite]:
            for layer in layers:
                if layer.label_codes is not None and layer.name in visible:
                    plan = place_line_labels(layer, visible[layer.name], view, check,
                                             blocking)
                    if plan is not None:
                        self._plans.append(plan)
            return [sprite for plan in self._plans for sprite in plan.sprites()]

        self._maker: SpriteMaker | None = None
        if uses_sprites(painter):
            self._maker = SpriteMaker(place)
        else:
            place()

    def plans(self) -> list[LabelPlan]:
        """The labels placed, their images made (a cancelled placement raises here)."""
        if self._maker is not None:
            self._maker.finish()
        return self._plans

    def cancel(self) -> None:
        """Stop the label thread's work for this view (a no-op once :meth:`plans` ran)."""
        if self._maker is not None:
            self._maker.finish(cancelled=True)


def place_line_labels(layer: LayerData, idx: np.ndarray, view: MapView,
                      check: Callable[[], None] | None = None,
                      blocking: Sequence[QRectF] = ()) -> LabelPlan | None:
    """Where the labels of features ``idx`` of a line layer go (None: no label); none
    overlaps a ``blocking`` rectangle (device units) or another label.

    Connected lines of the same name are merged first (like QGIS's "merge connected
    lines"), so a street made of many short segments gets one label where it has room.
    """
    if LINE not in layer.pieces or layer.label_codes is None or len(idx) == 0:
        return None
    idx = idx[layer.label_codes[idx] >= 0]
    if len(idx) == 0 or len(idx) > MAX_CANDIDATES:
        return None
    font = label_font(view.dpi)
    metrics = QFontMetricsF(font)
    ppmm = view.pixels_per_mm
    lines, codes, merged = _streets(layer, idx, view)
    if len(lines) == 0:
        return None
    uniq, inverse = np.unique(codes, return_inverse=True)
    width = np.array([metrics.horizontalAdvance(layer.label_values[int(c)]) for c in uniq])[
        inverse]
    length = shapely.length(lines) / view.units_per_pixel
    keep = np.flatnonzero(length >= width + 2 * ppmm)
    # whole streets first (longest first), then their single segments where a street's
    # own runs were all too curved or taken
    merged_first = np.lexsort((-length[keep], ~merged[keep]))
    keep = keep[merged_first][:MAX_TRIED]
    baseline = (metrics.ascent() - metrics.descent()) / 2
    halo = QPen(QColor(255, 255, 255, 230), 2 * HALO_MM * ppmm)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    plan = LabelPlan(font, halo, baseline)
    repeat = REPEAT_MM * ppmm
    grid: dict[tuple[int, int], list[QRectF]] = {}
    for box in blocking:  # taken before the first label
        for c in _cells(box):
            grid.setdefault(c, []).append(box)
    seen: dict[int, list[tuple[float, float]]] = {}
    for i in keep:
        if len(plan.labels) >= MAX_LABELS:
            break
        if check is not None and len(plan.labels) % 50 == 0:
            check()
        code, w = int(codes[i]), float(width[i])
        text = layer.label_values[code]
        xy = shapely.get_coordinates(lines[i])
        x, y = view.to_device(xy[:, 0], xy[:, 1])
        spot = _place_on_coords(x, y, view, w + 2 * ppmm, code)
        if spot is None:
            continue
        stacked = abs(spot[2]) > STEEP_DEG and _is_chinese(text)
        if stacked:  # the upright characters need a longer straight run
            spot = _place_on_coords(x, y, view, len(text) * _stack_step(font) + 2 * ppmm, code)
            if spot is None:
                continue
            stacked = abs(spot[2]) > STEEP_DEG
        cx, cy, angle = spot
        if any((cx - px) ** 2 + (cy - py) ** 2 < repeat * repeat for px, py in seen.get(code, ())):
            continue
        if stacked:
            box = _rotated_box(cx, cy, len(text) * _stack_step(font) + 2 * HALO_MM * ppmm,
                               metrics.maxWidth() + 2 * HALO_MM * ppmm, angle)
        else:
            box = _rotated_box(cx, cy, w + 2 * HALO_MM * ppmm, metrics.height(), angle)
        cells = _cells(box)
        if any(box.intersects(o) for c in cells for o in grid.get(c, ())):
            continue
        for c in cells:
            grid.setdefault(c, []).append(box)
        seen.setdefault(code, []).append((cx, cy))
        plan.labels.append(Placed(text, cx, cy, angle, w, stacked))
    return plan


def uses_sprites(painter: QPainter) -> bool:
    """True when ``painter`` draws labels as stamped images (a raster device)."""
    engine = painter.paintEngine()
    return engine is not None and engine.type() == QPaintEngine.Type.Raster


def draw_labels(painter: QPainter, plan: LabelPlan) -> int:
    """Draw the placed labels of ``plan``; returns how many."""
    font, halo, baseline = plan.font, plan.halo, plan.baseline
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    sprites = uses_sprites(painter)
    if not sprites:
        halo = vector_halo(halo)
    for label in plan.labels:
        text, cx, cy, angle, w = label.text, label.cx, label.cy, label.angle, label.width
        if label.stacked:
            _draw_stacked(painter, text, cx, cy, angle, font, halo, baseline, sprites)
            continue
        painter.save()
        painter.translate(cx, cy)
        painter.rotate(angle)
        if sprites:  # raster: the haloed text drawn once per name, then stamped
            image = label_sprite(text, font, halo, baseline, w)
            painter.drawImage(QPointF(-image.width() / 2, -image.height() / 2), image)
        else:  # vector devices keep vector text
            path = QPainterPath()
            path.addText(QPointF(-w / 2, baseline), font, text)
            painter.strokePath(path, halo)
            painter.fillPath(path, TEXT_COLOUR)
        painter.restore()
    painter.restore()
    return len(plan.labels)


def vector_halo(halo: QPen) -> QPen:
    """The halo pen for a vector device: the same, opaque. Qt's PDF engine strokes a path
    natively only with an opaque pen; a translucent one it outlines with its own stroker
    and fills, about ten times the glyphs' bytes (80 % of an atlas page, and most of the
    time its writer spends compressing it), with slivers of the outline left unfilled."""
    pen = QPen(halo)
    colour = QColor(halo.color())
    colour.setAlpha(255)
    pen.setColor(colour)
    return pen


def _is_chinese(text: str) -> bool:
    """True for a name written in CJK characters (written upright on a steep street)."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _stack_step(font: QFont) -> float:
    """The distance between two upright characters of a stacked name (a little over the
    character size, as on printed Chinese maps; the line height is looser)."""
    return font.pixelSize() * 1.15


def _draw_stacked(painter: QPainter, text: str, cx: float, cy: float, angle: float,
                  font: QFont, halo: QPen, baseline: float, sprites: bool) -> None:
    """``text`` centred on (cx, cy), each character upright, one line-height apart along
    the street's direction ``angle``, the first at the top."""
    metrics = QFontMetricsF(font)
    step = _stack_step(font)
    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    if dy < 0:  # read from the top down
        dx, dy = -dx, -dy
    n = len(text)
    for k, ch in enumerate(text):
        off = (k - (n - 1) / 2) * step
        px, py = cx + off * dx, cy + off * dy
        cw = metrics.horizontalAdvance(ch)
        if sprites:
            image = label_sprite(ch, font, halo, baseline, cw)
            painter.drawImage(QPointF(px - image.width() / 2, py - image.height() / 2), image)
        else:
            path = QPainterPath()
            path.addText(QPointF(px - cw / 2, py + baseline), font, ch)
            painter.strokePath(path, halo)
            painter.fillPath(path, TEXT_COLOUR)


def _streets(layer: LayerData, idx: np.ndarray, view: MapView
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The visible lines of each name, clipped to the view: the merged streets, then the
    single parts: (LineStrings, their label codes, True for merged ones). Vectorised: one
    MultiLineString per name."""
    codes = layer.label_codes[idx]
    order = np.argsort(codes, kind="stable")
    idx, codes = idx[order], codes[order]
    names, group = np.unique(codes, return_inverse=True)
    parts, owner = shapely.get_parts(layer.geometries(idx), return_index=True)
    per_name = shapely.multilinestrings(parts, indices=group[owner])
    x0, y0, x1, y1 = view.extent
    merged = shapely.clip_by_rect(shapely.line_merge(per_name), x0, y0, x1, y1)
    lines, which = shapely.get_parts(merged, return_index=True)
    single = shapely.clip_by_rect(parts, x0, y0, x1, y1)
    single, single_owner = shapely.get_parts(single, return_index=True)
    lines = np.concatenate([lines, single])
    codes = np.concatenate([names[which], codes[owner[single_owner]]])
    is_merged = np.arange(len(lines)) < len(which)
    simple = shapely.get_type_id(lines) == 1  # LineStrings (clipping can leave points)
    return lines[simple], codes[simple], is_merged[simple]


def _place_on_coords(x: np.ndarray, y: np.ndarray, view: MapView, need: float, seed: int = 0
                     ) -> tuple[float, float, float] | None:
    """Centre and angle of a straight run of ``need`` pixels along a line (device
    coordinates) inside the view; None if there is none.

    The positions tried start at a fraction of the line that depends on ``seed`` (the name),
    so parallel streets crossing the whole view are not all labelled in one column.

    The run may span several vertices as long as the line stays within STRAIGHT_PX of the
    chord, so a gently curved street is labelled along its course.
    """
    if len(x) < 2:
        return None
    seg = np.hypot(np.diff(x), np.diff(y))
    total = float(seg.sum())
    if total < need:
        return None
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    r = view.rect
    start = 0.2 + 0.6 * ((seed * 0.6180339887) % 1.0)
    for k in range(8):
        mid = total * (0.1 + (start - 0.1 + k * 0.29) % 0.8)
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
        return float(cx), float(cy), angle
    return None


def _rotated_box(cx: float, cy: float, w: float, h: float, angle: float) -> QRectF:
    a = math.radians(angle)
    bw = abs(w * math.cos(a)) + abs(h * math.sin(a))
    bh = abs(w * math.sin(a)) + abs(h * math.cos(a))
    return QRectF(cx - bw / 2, cy - bh / 2, bw, bh)


def _cells(box: QRectF) -> list[tuple[int, int]]:
    x0, x1 = int(box.left() // _CELL), int(box.right() // _CELL)
    y0, y1 = int(box.top() // _CELL), int(box.bottom() // _CELL)
    return [(i, j) for i in range(x0, x1 + 1) for j in range(y0, y1 + 1)]
