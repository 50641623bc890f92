"""Level of detail at small scales: when a layer is too dense for its symbols
(:func:`is_overview`), and its features of a few pixels drawn the cheap way
(:func:`draw_tiny`, and :func:`dot_block` for points), block by block of features where
the image is the same, so that a million of them need the temporary arrays of one block.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QPainter

from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.data import LINE, POINT, POLYGON, LayerData
from citymgr_desktop.render.markers import can_write_pixels, write_rects
from citymgr_desktop.render.symbols import Symbol, symbol_for
from citymgr_desktop.render.view import MapView

OVERVIEW_FEATURE_PX = 8.0  # lines/polygons typically smaller than this: overview symbols
TINY_PX = 4.0  # overview: features smaller than this (pixels) are drawn the cheap way
OVERVIEW_COVER = 0.5  # point markers would cover this share of the view: overview symbols
# features of a category at a time (see draw_tiny): a road category of the 1M district in
# one path was ~25 MB of arrays and path (103k segments)
TINY_BLOCK = 8192
DOT_BLOCK = 65536  # overview dots at a time (see dot_block)


def is_overview(layer: LayerData, n_visible: int, view: MapView) -> bool:
    """Level of detail: True when the layer is too dense at this scale for full symbols.

    Lines and polygons: the layer's typical feature is under OVERVIEW_FEATURE_PX pixels.
    Points: the markers in view would cover more than OVERVIEW_COVER of the view.
    """
    if layer.kinds == [POINT]:
        sizes = [symbol_for(layer.name, c, POINT).size_mm for c in layer.category_slices]
        marker = max(sizes or [2.0]) * view.pixels_per_mm
        area = max(view.rect.width() * view.rect.height(), 1.0)
        return n_visible * marker * marker > OVERVIEW_COVER * area
    return layer.typical_size / view.units_per_pixel < OVERVIEW_FEATURE_PX


def over(colour: QColor, background: QColor) -> QColor:
    """The opaque colour of ``colour`` (translucent) painted over ``background``."""
    a = colour.alphaF()
    return QColor(*(round(c * a + b * (1 - a)) for c, b in zip(
        colour.getRgb()[:3], background.getRgb()[:3], strict=True)))


def dot_block(painter: QPainter, antialias: bool) -> int | None:
    """Points at a time for overview dots: :data:`DOT_BLOCK` where that writes the same
    pixels as a whole batch (the dots of 1M points' batches were ~25 MB of temporary
    arrays), else None (whole batches). That is so when the dots are written straight
    into an image of ours, opaque in one colour, and thinned on a half-pixel grid
    (antialiased frames): the points of one half-pixel cell all give the same dot
    position, so whichever of them a batch keeps, the same pixels are written."""
    return DOT_BLOCK if antialias and can_write_pixels(painter) else None


def draw_tiny(painter: QPainter, view: MapView, layer: LayerData, kind: str,
              sub: slice | np.ndarray, symbol: Symbol, *, antialias: bool,
              background: str | None) -> np.ndarray:
    """Overview: features a few pixels across are drawn the cheap way, which looks the same
    at that size: polygons as blocks of pixels the size of their envelope (fill colour over
    white), lines as one straight segment per part. Returns the features still to draw.

    :data:`TINY_BLOCK` features at a time where that gives the same image: the polygons'
    pixels are written opaque in one colour (any order is the same), and antialiased Qt
    strokes a 1-px line's sub-paths each on its own (paths cut between sub-paths: the same
    pixels). Unantialiased lines stay one path (the aliased stroker skips a pixel the
    previous segment of the path ended on), and so do lines on other devices (PDF).
    """
    idx = np.arange(sub.start, sub.stop) if isinstance(sub, slice) else sub
    raster = can_write_pixels(painter)  # an image of ours: the pixels below are Qt's raster
    if not (kind == LINE or (kind == POLYGON and raster)) or not len(idx):
        return idx
    colour = QColor(symbol.colour)
    colour.setAlpha(symbol.fill_alpha)
    fill = over(colour, QColor(background or "#ffffff")).rgba()
    step = TINY_BLOCK if raster and (kind == POLYGON or antialias) else len(idx)
    rest = [_tiny_block(painter, view, layer, kind, idx[lo:lo + step], fill)
            for lo in range(0, len(idx), step)]
    return rest[0] if len(rest) == 1 else np.concatenate(rest)


def _tiny_block(painter: QPainter, view: MapView, layer: LayerData, kind: str,
                idx: np.ndarray, fill: int) -> np.ndarray:
    fb = layer.bounds_of(idx)
    k = 1.0 / view.units_per_pixel
    w, h = (fb[:, 2] - fb[:, 0]) * k, (fb[:, 3] - fb[:, 1]) * k
    tiny = (w < TINY_PX) & (h < TINY_PX)
    if not tiny.any():
        return idx
    if kind == POLYGON:
        t = fb[tiny]
        x0, y1 = view.to_device(t[:, 0], t[:, 1])
        x1, y0 = view.to_device(t[:, 2], t[:, 3])
        write_rects(painter.device(), np.floor(x0).astype(np.int64),
                    np.floor(y0).astype(np.int64),
                    np.maximum(np.round(x1 - x0), 1).astype(np.int64),
                    np.maximum(np.round(y1 - y0), 1).astype(np.int64), fill, view.rect)
        return idx[~tiny]
    pc = layer.pieces[LINE]
    small = idx[tiny]
    pieces = qa.ranges(pc.feature_piece[small], pc.feature_piece[small + 1])
    first, last = pc.piece_start[pieces], pc.piece_start[pieces + 1] - 1
    ends = np.empty(2 * len(pieces), np.int64)
    ends[0::2], ends[1::2] = first, last
    x, y = view.to_device(pc.coords[ends, 0], pc.coords[ends, 1])
    starts = np.zeros(len(ends), bool)
    starts[0::2] = True
    painter.drawPath(qa.path_from_arrays(x, y, starts))
    return idx[~tiny]
