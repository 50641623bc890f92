"""Wide opaque lines of quick frames written straight into the image's pixels.

Qt's software stroker spends most of a quick frame on the 3-px roads of a zoomed-in view
(it outlines every segment and fills the outline). A quick frame only has to look like the
still frame that replaces it moments later, so here the lines of one layer are rasterised
1 px wide with NumPy (each category's colour index written over the ones before it),
widened with a square max filter (a later category wins where two meet, as when painted
one after the other) and copied into the image where a line is. No antialiasing, square
ends and joins: what Qt's unantialiased square-capped pen draws, within a pixel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPaintEngine, QPainter

from citymgr_desktop.render.symbols import Symbol

MAX_WIDTH_PX = 9  # wider lines: Qt's stroker (the max filter costs a pass per pixel)
# lines whose widened pixels are under 1/SPARSE of the clip's area are written pixel by
# pixel (_write_sparse) instead of through a label image of the whole clip
SPARSE = 10


def clip_segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                  box: tuple[float, float, float, float]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The parts of segments inside ``box`` (left, top, right, bottom), Liang-Barsky,
    vectorised; segments missing the box are dropped."""
    dx, dy = x1 - x0, y1 - y0
    t0 = np.zeros(len(x0))
    t1 = np.ones(len(x0))
    keep = np.ones(len(x0), dtype=bool)
    left, top, right, bottom = box
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            parallel = p == 0
            keep &= ~(parallel & (q < 0))
            r = q / p
            entering = p < 0
            t0 = np.where(~parallel & entering, np.maximum(t0, r), t0)
            t1 = np.where(~parallel & ~entering, np.minimum(t1, r), t1)
    keep &= t0 <= t1
    t0, t1 = t0[keep], t1[keep]
    x0, y0, dx, dy = x0[keep], y0[keep], dx[keep], dy[keep]
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


def rasterise(target: np.ndarray, x: np.ndarray, y: np.ndarray, starts: np.ndarray,
              value: int, box: tuple[int, int, int, int] | None = None) -> None:
    """Write ``value`` into ``target`` (a C-contiguous rows × columns array) at the pixels
    of the 1-px polylines through (x, y) (pixel coordinates of ``target``; ``starts``
    begins a new line), inside ``box`` (left, top, right, bottom; default: all of it)."""
    target.reshape(-1)[line_pixels(target.shape, x, y, starts, box)] = value


def line_pixels(shape: tuple[int, ...], x: np.ndarray, y: np.ndarray, starts: np.ndarray,
                box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The flat indices, in a C-contiguous array of ``shape`` (rows, columns), of the
    pixels of :func:`rasterise`'s 1-px polylines (a pixel may come more than once)."""
    if len(x) < 2:
        return np.empty(0, np.int64)
    cols = shape[1]
    left, top, right, bottom = (0, 0, cols, shape[0]) if box is None else box
    left_f, top_f = float(left), float(top)
    right, bottom = right - 1e-6, bottom - 1e-6
    x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
    joined = ~starts[1:]  # segment i joins vertex i and i + 1 of the same line
    inside = joined & (np.minimum(x0, x1) >= left_f) & (np.maximum(x0, x1) <= right) & (
        np.minimum(y0, y1) >= top_f) & (np.maximum(y0, y1) <= bottom)
    cut = np.flatnonzero(joined & ~inside)
    x0, y0, x1, y1 = x0[inside], y0[inside], x1[inside], y1[inside]
    if len(cut):  # the parts of the other segments inside the labels
        parts = clip_segments(x[cut], y[cut], x[cut + 1], y[cut + 1], (left_f, top_f, right, bottom))
        x0, y0, x1, y1 = (np.concatenate([a, b]) for a, b in zip((x0, y0, x1, y1), parts,
                                                                strict=True))
    if len(x0) == 0:
        return np.empty(0, np.int64)
    dx, dy = x1 - x0, y1 - y0
    steps = np.ceil(np.maximum(np.abs(dx), np.abs(dy)))
    counts = steps.astype(np.int64) + 1
    inv = 1.0 / np.maximum(steps, 1.0)
    first = np.cumsum(counts) - counts
    k = np.arange(int(first[-1] + counts[-1]), dtype=np.float64)
    k -= np.repeat(first.astype(np.float64), counts)  # 0, 1, ... steps along each segment
    # x0 + k * (dx / steps) for every pixel, in place (no temporaries of that length)
    along = np.repeat(dy * inv, counts)
    along *= k
    along += np.repeat(y0, counts)
    at = along.astype(np.int64)  # >= 0: truncation is floor
    at *= cols
    along = np.repeat(dx * inv, counts)
    along *= k
    along += np.repeat(x0, counts)
    at += along.astype(np.int64)
    return at


def widen(labels: np.ndarray, side: int, margin: int, out: np.ndarray) -> None:
    """Square max filter of ``side`` pixels (the greatest value around each pixel) of
    ``labels`` without its ``margin`` (>= ``side``) on every side, written to ``out``
    (rows and columns of ``labels`` less 2 ``margin``): a pixel takes the greatest value
    from ``(side - 1) // 2`` pixels before it to the rest of ``side`` after it, on each
    axis. Only the pixels kept are computed, one pass per pixel of the square's side."""
    height, width = out.shape
    before = (side - 1) // 2
    if side <= 1:
        out[:] = labels[margin:margin + height, margin:margin + width]
        return
    rows = labels[margin - before:margin + height + side - 1 - before]
    c0 = margin - before
    across = np.maximum(rows[:, c0:c0 + width], rows[:, c0 + 1:c0 + 1 + width])
    for d in range(2, side):
        np.maximum(across, rows[:, c0 + d:c0 + d + width], out=across)
    np.maximum(across[:height], across[1:1 + height], out=out)
    for d in range(2, side):
        np.maximum(out, across[d:d + height], out=out)


def draw_wide_lines(painter: QPainter, clips: Sequence[QRectF],
                    batches: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, int]],
                    width_px: float) -> None:
    """Draw polylines ``batches`` = [(x, y, starts, opaque ARGB)] (device pixels, in
    drawing order) ``width_px`` wide with ``painter`` (untransformed, on an image), inside
    ``clips``."""
    side = max(1, round(width_px))
    margin = side
    rows = painter.device().height()
    # one value per colour, rising in drawing order: the max filter keeps the later line
    values, table = [], [0]
    for *_xy, argb in batches:
        if argb != table[-1]:
            table.append(argb)
        values.append(len(table) - 1)
    if len(table) > 256:
        raise ValueError("more than 255 line colours in one layer")
    for clip in clips:
        left, top = max(int(clip.left()), 0), max(int(clip.top()), 0)
        right = min(int(np.ceil(clip.right())), painter.device().width())
        bottom = min(int(np.ceil(clip.bottom())), rows)
        if right <= left or bottom <= top:
            continue
        shape = (bottom - top + 2 * margin, right - left + 2 * margin)
        pixels = [line_pixels(shape, x - (left - margin), y - (top - margin), starts)
                  for x, y, starts, _argb in batches]
        if sum(len(at) for at in pixels) * side * side * SPARSE < (right - left) * (
                bottom - top):
            _write_sparse(painter.device(), (left, top, right, bottom), shape, margin, side,
                          pixels, values, table)
            continue
        labels = np.zeros(shape, np.uint8)
        for value, at in zip(values, pixels, strict=True):
            labels.reshape(-1)[at] = value
        height, width = bottom - top, right - left
        wide = np.zeros((height, (width + 3) // 4 * 4), np.uint8)  # 32-bit aligned rows
        widen(labels, side, margin, wide[:, :width])
        # Qt looks the colours up (0: transparent) ten times faster than NumPy's masked
        # copy. Converted first, the image is blended by Qt's premultiplied fast path: an
        # indexed image handed to drawImage is converted pixel by pixel while it is
        # blended, ~3.5x the CPU of convertToFormat and the blend (2 ms for 1920 x 1080)
        layer = QImage(wide.data, width, height, wide.strides[0],
                       QImage.Format.Format_Indexed8)
        layer.setColorTable(table)
        painter.drawImage(left, top,
                          layer.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied))


def _write_sparse(image: QImage, box: tuple[int, int, int, int], shape: tuple[int, int],
                  margin: int, side: int, pixels: Sequence[np.ndarray], values: Sequence[int],
                  table: Sequence[int]) -> None:
    """Few lines in a big clip: the square of ``side`` around each line pixel (``pixels``,
    flat indices in an array of ``shape`` that has ``margin`` around ``box``) written
    straight into ``image``, the later batch (the greater value) winning: the pixels
    :func:`widen` gives, at a cost that follows the lines instead of the clip's area."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    before = (side - 1) // 2  # widen(): a pixel reaches ``before`` ahead, ``after`` behind
    after = side - 1 - before
    steps = np.arange(-after, before + 1)
    stride = image.bytesPerLine() // 4
    label_square = (steps[:, None] * shape[1] + steps[None, :]).ravel()
    image_square = (steps[:, None] * stride + steps[None, :]).ravel()
    labels = np.zeros(shape[0] * shape[1], np.uint8)
    spread: list[tuple[np.ndarray, np.ndarray]] = []
    for value, at in zip(values, pixels, strict=True):
        if not len(at):
            continue
        row, col = np.divmod(at, shape[1])
        row -= margin  # rows and columns of the clip
        col -= margin
        whole = (row >= after) & (row < height - before) & (col >= after) & (
            col < width - before)  # the square inside the clip
        at_whole = at[whole]
        label_at = [(at_whole[:, None] + label_square).ravel()]
        image_at = [(((row[whole] + top) * stride + col[whole] + left)[:, None]
                     + image_square).ravel()]
        if not whole.all():  # near the clip's edges: the square's pixels inside it
            rows = row[~whole][:, None, None] + steps[None, :, None]
            cols = col[~whole][:, None, None] + steps[None, None, :]
            inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
            label_at.append(((rows + margin) * shape[1] + cols + margin)[inside])
            image_at.append(((rows + top) * stride + cols + left)[inside])
        label_flat, image_flat = np.concatenate(label_at), np.concatenate(image_at)
        labels[label_flat] = value  # batches in drawing order, values rising: later wins
        spread.append((label_flat, image_flat))
    if spread:
        label_flat = np.concatenate([a for a, _b in spread])
        image_flat = np.concatenate([b for _a, b in spread])
        np.frombuffer(image.bits(), np.uint32)[image_flat] = np.array(
            table, np.uint32)[labels[label_flat]]


def draw_layer_lines(painter: QPainter, clips: Sequence[QRectF], ppmm: float,
                     parts: Sequence[tuple[Symbol, slice | np.ndarray]],
                     device_lines: Callable[[slice | np.ndarray],
                                            Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]]
                     ) -> bool:
    """Draw a line layer's ``parts`` [(symbol, features)] in drawing order with
    :func:`draw_wide_lines`; ``device_lines(features)`` yields their (x, y, starts) in
    device pixels. False (nothing drawn) unless the symbols are opaque and equally wide
    (1.5-MAX_WIDTH_PX px) and ``painter`` draws untransformed into an ARGB32 image."""
    widths = {symbol.pen_px(ppmm) for symbol, _sub in parts}
    if len(widths) != 1 or not 1.5 <= min(widths) <= MAX_WIDTH_PX or any(
            QColor(symbol.colour).alpha() < 255 for symbol, _sub in parts) or not _writable(
            painter):
        return False
    batches = [(x, y, starts, QColor(symbol.colour).rgba())
               for symbol, sub in parts for x, y, starts in device_lines(sub)]
    draw_wide_lines(painter, clips, batches, widths.pop())
    return True


def _writable(painter: QPainter) -> bool:
    image = painter.device()
    engine = painter.paintEngine()
    return (isinstance(image, QImage) and engine is not None
            and engine.type() == QPaintEngine.Type.Raster
            and painter.worldTransform().isIdentity()
            and image.format() == QImage.Format.Format_ARGB32_Premultiplied)
