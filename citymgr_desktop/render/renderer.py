"""The map renderer: draws :class:`MapData` with any ``QPainter`` (widget image, PNG, PDF).

For every layer (bottom first) and condition category (worst on top) the features in view
are culled with the spatial index, their vertices are gathered and transformed with NumPy,
thinned to the pixel grid at small scales (level of detail) and handed to Qt as one
``QPainterPath`` / ``QPolygonF`` per batch. Road names are labelled at large scales and
selected features are highlighted on top. A frame checks ``is_cancelled`` between batches,
so a render thread drops a stale frame within milliseconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QRegion

from citymgr_desktop.core.model.symbology import LABEL_MAX_SCALE
from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.data import LINE, POINT, POLYGON, LayerData, MapData
from citymgr_desktop.render.labels import ViewLabels, draw_labels
from citymgr_desktop.render.markers import draw_dots, draw_markers
from citymgr_desktop.render.overview import dot_block, draw_tiny, is_overview, over
from citymgr_desktop.render.symbols import (
    CATEGORY_ORDER,
    Symbol,
    line_pen,
    polygon_pen_brush,
    selection_symbol,
    symbol_for,
)
from citymgr_desktop.render.view import Extent, MapView
from citymgr_desktop.render.wide_lines import draw_layer_lines

if TYPE_CHECKING:  # base maps (GDAL, urllib, the tile cache) load when a map has one
    from citymgr_desktop.render.backdrop import Backdrop

CHUNK_VERTICES = 400_000  # vertices per Qt call: bounds memory and cancel latency
THIN_FROM = 20_000  # batches with more vertices are thinned to the pixel grid
MAX_SYMBOL_MM = 5.0  # margin added around the view so symbols at the edge are drawn
AA_PIECES = 16  # sub-paths per path in antialiased frames (see qtarrays.paths_from_arrays)
QUICK_PIECES = 200  # sub-paths per path in quick frames: Qt strokes mid-sized paths faster
# than one big one (the roads of a 1 % view at 1M features: 18 ms -> 13 ms, same pixels)


@dataclass
class RenderOptions:
    """What to draw and how. All fields are optional."""

    layers: Sequence[str] | None = None  # layers to draw, bottom first; None = all
    selection: Mapping[str, Collection[str]] | None = None  # layer -> keys to highlight
    antialias: bool = True  # for still frames and exports; off while panning
    # the canvas's quick frame (with antialias off): wide lines written with NumPy, within
    # a pixel of Qt's (render/wide_lines.py); replaced by the still frame moments later.
    # Off for exports: their pixels stay Qt's
    quick: bool = False
    labels: bool = True  # road names at scales of 1:LABEL_MAX_SCALE and larger
    label_max_scale: float = LABEL_MAX_SCALE
    lod: bool = True  # thin vertices / points to the pixel grid in big batches
    background: str | None = "#ffffff"  # None leaves the device as it is
    dpi: float | None = None  # painter units per inch; None = the device's logical DPI
    lang: str = "en"
    features: bool = True  # False: only the selection (and labels): an overlay frame
    is_cancelled: Callable[[], bool] | None = None
    # render_frame of a quick frame: the previous quick frame (image, extent asked for) of
    # the same size and scale; when the view only moved by whole pixels, that image is
    # shifted and only the uncovered strips are drawn (see render/pan.py)
    previous: tuple[QImage, Extent] | None = None
    # base map and reference layers under/over the assets (render/backdrop.py); a layer that
    # fails is left out and listed in backdrop.problems, the assets are drawn all the same
    backdrop: Backdrop | None = None
    # painter rectangles no label is placed on: what is drawn over the map afterwards (a
    # work-order extract's scale bar and north arrow), as QGIS's label blocking regions
    label_blocking: Sequence[QRectF] = ()


@dataclass
class RenderResult:
    """What a frame drew."""

    view: MapView
    scale: float  # N of 1:N
    drawn: dict[str, int] = field(default_factory=dict)  # features per layer
    labels: int = 0
    cancelled: bool = False
    seconds: float = 0.0


class _Cancelled(Exception):
    pass


class _Frame:
    """State of one frame being drawn."""

    def __init__(self, painter: QPainter, view: MapView, opts: RenderOptions) -> None:
        self.painter = painter
        self.view = view
        self.opts = opts
        self.ppmm = view.pixels_per_mm
        self.thin_grid = 0.5 if opts.antialias else 1.0
        self.dot_px = 2.0
        self.clips: list[QRectF] = [view.rect]  # device rectangles drawn (pan strips)

    def check(self) -> None:
        if self.opts.is_cancelled is not None and self.opts.is_cancelled():
            raise _Cancelled


def draw_map(painter: QPainter, data: MapData, extent: Extent, rect: QRectF,
             options: RenderOptions | None = None) -> RenderResult:
    """Draw ``data`` so that ``extent`` (grown to the aspect of ``rect``) fills ``rect``.

    ``rect`` is in the painter's logical coordinates and the drawing is clipped to it;
    ``options.dpi`` gives the size of a millimetre there (default: the device's DPI).
    The painter's state is restored afterwards.
    """
    return draw_region(painter, data, extent, rect, options)


def draw_region(painter: QPainter, data: MapData, extent: Extent, rect: QRectF,
                options: RenderOptions | None = None,
                regions: Sequence[QRectF] | None = None) -> RenderResult:
    """:func:`draw_map`, optionally drawing only the parts ``regions`` (device rectangles
    inside ``rect``) of the view: the features there are drawn exactly as in the whole
    view (same order, same symbols and level of detail), the rest is left untouched."""
    opts = options or RenderOptions()
    t0 = time.perf_counter()
    dpi = opts.dpi or float(painter.device().logicalDpiX() if painter.device() else 96)
    view = MapView.fit(extent, QRectF(rect), dpi)
    clips = [view.rect] if regions is None else [
        c for c in (view.rect.intersected(r) for r in regions) if not c.isEmpty()]
    lat = (view.extent[1] + view.extent[3]) / 2
    result = RenderResult(view, view.scale_denominator(data.metres_per_unit(lat)))
    frame = _Frame(painter, view, opts)
    frame.clips = clips
    margin = MAX_SYMBOL_MM * frame.ppmm * view.units_per_pixel
    query_extent = (view.extent[0] - margin, view.extent[1] - margin,
                    view.extent[2] + margin, view.extent[3] + margin)
    names = list(opts.layers) if opts.layers is not None else data.names()
    layers = [data.layer(n) for n in names if n in data.names()]
    region_extents = None
    if regions is not None:
        region_extents = []
        for clip in clips:
            left, top = view.to_map(clip.left(), clip.top())
            right, bottom = view.to_map(clip.right(), clip.bottom())
            region_extents.append((left - margin, bottom - margin, right + margin, top + margin))
    labels: ViewLabels | None = None
    painter.save()
    try:
        if regions is None:
            painter.setClipRect(view.rect)
        else:
            clip_region = QRegion()  # empty: nothing is drawn
            for clip in clips:
                clip_region = clip_region.united(clip.toAlignedRect())
            painter.setClipRegion(clip_region)
        if opts.background:
            for clip in clips:
                painter.fillRect(clip, QColor(opts.background))
        if opts.backdrop is not None:
            opts.backdrop.draw(painter, view, data.crs_wkt, "under", smooth=opts.antialias)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, opts.antialias)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        visible = {layer.name: layer.query(query_extent) for layer in layers}
        if opts.labels and result.scale <= opts.label_max_scale:  # placed meanwhile
            labels = ViewLabels(painter, layers, visible, view, frame.check,
                                opts.label_blocking)
        for layer in layers:
            frame.check()
            idx = visible[layer.name]
            if opts.features:
                # the level of detail depends on the whole view, the drawing on the region
                _draw_layer(frame, layer, idx if region_extents is None
                            else _within(layer, idx, region_extents), n_view=len(idx))
            result.drawn[layer.name] = len(idx)
        if opts.backdrop is not None:
            opts.backdrop.draw(painter, view, data.crs_wkt, "over", smooth=opts.antialias)
        if opts.selection:
            for layer in layers:
                keys = opts.selection.get(layer.name)
                if keys:
                    frame.check()
                    sel = np.intersect1d(layer.indices_of(keys), visible[layer.name])
                    _draw_selection(frame, layer, sel)
        for plan in labels.plans() if labels is not None else []:
            frame.check()
            result.labels += draw_labels(painter, plan)
        if opts.backdrop is not None:
            opts.backdrop.draw_attribution(painter, view)
    except _Cancelled:
        result.cancelled = True
    finally:
        if labels is not None:  # (a no-op once its plans were taken)
            labels.cancel()
        painter.restore()
    result.seconds = time.perf_counter() - t0
    return result


def new_image(width: int, height: int, dpi: float) -> QImage:
    """An empty (uninitialised) ARGB image of that size that says its DPI."""
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDotsPerMeterX(round(dpi / 0.0254))
    image.setDotsPerMeterY(round(dpi / 0.0254))
    return image


def _within(layer: LayerData, idx: np.ndarray, extents: Sequence[Extent]) -> np.ndarray:
    """The features of ``idx`` whose bounds meet one of ``extents``."""
    hit = np.zeros(len(idx), dtype=bool)
    for e in extents:
        hit |= layer.hits(idx, e)
    return idx[hit]


# -- batches ---------------------------------------------------------------------------------
def _draw_layer(frame: _Frame, layer: LayerData, idx: np.ndarray,
                n_view: int | None = None) -> None:
    """Draw features ``idx``; ``n_view`` = features in the whole view (level of detail)."""
    if len(idx) == 0:
        return
    n_view = len(idx) if n_view is None else n_view
    full = len(idx) == layer.count
    overview = frame.opts.lod and is_overview(layer, n_view, frame.view)
    if overview and layer.kinds == [POINT]:
        # dots small enough to leave about half of the view free: the streets underneath
        # stay visible and the colours mix in proportion to the counts
        area = frame.view.rect.width() * frame.view.rect.height()
        frame.dot_px = float(np.clip(round(math.sqrt(0.5 * area / n_view)), 1.0,
                                     max(1.0, 0.5 * 1.8 * frame.ppmm)))
    if not overview and _quick_wide_lines(frame, layer, idx, full):
        return
    for cat in CATEGORY_ORDER:
        sl = layer.category_slices.get(cat)
        if sl is None:
            continue
        if full:
            sub = sl
        else:
            lo, hi = np.searchsorted(idx, [sl.start, sl.stop])
            if hi <= lo:
                continue
            sub = idx[lo:hi]
        for kind in layer.kinds:
            _draw_batch(frame, layer, kind, sub, symbol_for(layer.name, cat, kind),
                        overview=overview)


def _quick_wide_lines(frame: _Frame, layer: LayerData, idx: np.ndarray, full: bool) -> bool:
    """A quick frame's wide opaque lines written into the image (render/wide_lines.py);
    False when they are not that kind of drawing (then Qt strokes them)."""
    if not frame.opts.quick or frame.opts.antialias or layer.kinds != [LINE]:
        return False
    parts = []
    for cat in CATEGORY_ORDER:
        sl = layer.category_slices.get(cat)
        if sl is not None:
            lo, hi = (sl.start, sl.stop) if full else np.searchsorted(idx, [sl.start, sl.stop])
            if hi > lo:
                parts.append((symbol_for(layer.name, cat, LINE), sl if full else idx[lo:hi]))

    def device_lines(sub: slice | np.ndarray):
        for coords, starts, _n in _chunks(layer, LINE, sub):
            frame.check()
            yield (*frame.view.to_device(coords[:, 0], coords[:, 1]), starts)
    return draw_layer_lines(frame.painter, frame.clips, frame.ppmm, parts, device_lines)


def _draw_selection(frame: _Frame, layer: LayerData, sel: np.ndarray) -> None:
    if len(sel) == 0:
        return
    for kind in layer.kinds:
        base = symbol_for(layer.name, 1 if layer.categorized else -1, kind)
        _draw_batch(frame, layer, kind, sel, selection_symbol(base), thin=False)


def _chunks(layer: LayerData, kind: str, sub: slice | np.ndarray):
    """Yield (coords, starts) of ``sub`` in chunks of about CHUNK_VERTICES vertices."""
    pc = layer.pieces[kind]
    fp, ps = pc.feature_piece, pc.piece_start
    if isinstance(sub, slice):
        f = sub.start
        while f < sub.stop:
            # find the feature where the chunk's vertex budget runs out
            bounds = ps[fp[f:sub.stop + 1]]  # vertex offset at every feature boundary
            k = int(np.searchsorted(bounds, bounds[0] + CHUNK_VERTICES, side="right")) - 1
            f_end = min(f + max(k, 1), sub.stop)
            p0, p1 = fp[f], fp[f_end]
            v0, v1 = ps[p0], ps[p1]
            if v1 > v0:
                starts = np.zeros(v1 - v0, dtype=bool)
                starts[ps[p0:p1] - v0] = True
                yield pc.coords[v0:v1], starts, p1 - p0
            f = f_end
        return
    # vertices per feature (a layer of points: one each, without gathering the offsets)
    counts = np.ones(len(sub), np.int64) if pc.one_each else ps[fp[sub + 1]] - ps[fp[sub]]
    cum = np.cumsum(counts)
    i = 0
    while i < len(sub):
        j = int(np.searchsorted(cum, (cum[i - 1] if i else 0) + CHUNK_VERTICES))
        j = min(max(j, i + 1), len(sub))
        verts, pieces, starts = pc.subset(sub[i:j])
        if len(verts):
            yield np.take(pc.coords, verts, axis=0), starts, len(pieces)  # 6x coords[verts]
        i = j


def _draw_batch(frame: _Frame, layer: LayerData, kind: str, sub: slice | np.ndarray,
                symbol: Symbol, thin: bool = True, overview: bool = False) -> None:
    """Draw features ``sub`` of one kind with ``symbol``; ``overview`` = simplified symbols."""
    painter, view = frame.painter, frame.view
    thin = thin and frame.opts.lod
    if kind == POINT:
        block = dot_block(painter, frame.opts.antialias) if overview else None
        for chunk, _starts, _n in _chunks(layer, kind, sub):
            for lo in range(0, len(chunk), block or max(len(chunk), 1)):
                frame.check()
                coords = chunk[lo:lo + block] if block else chunk
                x, y = view.to_device(coords[:, 0], coords[:, 1])
                if thin and len(x) > THIN_FROM:
                    keep = qa.unique_pixels(x, y, frame.thin_grid)
                    x, y = x[keep], y[keep]
                if overview:
                    draw_dots(painter, x, y, symbol.colour, frame.dot_px, view.rect)
                else:
                    draw_markers(painter, x, y, symbol, frame.ppmm)
        return
    if kind == LINE:
        pen = line_pen(symbol, frame.ppmm)
        if not frame.opts.antialias:  # a third faster to stroke than round ends and joins
            pen.setCapStyle(Qt.PenCapStyle.SquareCap)
            pen.setJoinStyle(Qt.PenJoinStyle.BevelJoin)
        if overview:  # a 1-pixel line: Qt's fast cosmetic path, a street map at small scale
            pen.setWidthF(1.0)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        passes = [(pen, None)]
    else:
        pen, brush = polygon_pen_brush(symbol, frame.ppmm)
        if overview:  # outline in the fill colour, 1 px: small polygons stay visible as dots
            pen = QPen(brush.color(), 1.0)
        elif not frame.opts.antialias and pen.widthF() < 1.5:
            pen.setWidthF(1.0)  # Qt's fast 1-pixel line instead of a stroked outline
        if not frame.opts.antialias and frame.opts.background:
            # quick frames fill with the colour the translucent fill makes over the
            # background (opaque fills are 3x faster); fill and outline are two passes,
            # which Qt does faster than one path with both
            brush = QBrush(over(brush.color(), QColor(frame.opts.background)))
        passes = [(QPen(Qt.PenStyle.NoPen), brush), (pen, QBrush(Qt.BrushStyle.NoBrush))] \
            if not frame.opts.antialias else [(pen, brush)]
    if overview:
        sub = draw_tiny(painter, view, layer, kind, sub, symbol,
                        antialias=frame.opts.antialias, background=frame.opts.background)
    for coords, starts, _n in _chunks(layer, kind, sub):
        frame.check()
        x, y = view.to_device(coords[:, 0], coords[:, 1])
        if thin and len(x) > THIN_FROM:
            ends = np.empty_like(starts)
            ends[:-1] = starts[1:]
            ends[-1] = True
            keep = qa.thin_to_pixels(x, y, starts, frame.thin_grid) | ends
            x, y, starts = x[keep], y[keep], starts[keep]
        if frame.opts.antialias:
            paths = qa.paths_from_arrays(x, y, starts, AA_PIECES)
        else:
            paths = qa.paths_from_arrays(x, y, starts, QUICK_PIECES)
        for pass_pen, pass_brush in passes:
            painter.setPen(pass_pen)
            if pass_brush is not None:
                painter.setBrush(pass_brush)
            for path in paths:
                painter.drawPath(path)


__all__ = ["LINE", "POINT", "POLYGON", "RenderOptions", "RenderResult", "draw_map",
           "draw_region", "new_image"]
