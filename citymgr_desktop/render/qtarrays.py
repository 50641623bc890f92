"""NumPy coordinate arrays to Qt geometry in one call per batch.

Qt has no API that takes a NumPy buffer, and building a ``QPainterPath`` with one Python call
per vertex is the slow part of drawing a large layer. ``QDataStream`` however reads a whole
path (or polygon) from its serialised form, so we write that form with NumPy and let Qt parse
it: a million vertices become one ``QPainterPath`` in tens of milliseconds (pyqtgraph uses the
same trick). Also here: the small NumPy helpers that gather the vertices of a subset of
features and thin them to the pixel grid (level of detail).
"""

from __future__ import annotations

import itertools

import numpy as np
import shiboken6
from PySide6.QtCore import QByteArray, QDataStream
from PySide6.QtGui import QPainterPath, QPolygonF

_PATH_ELEMENT = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])
_POINT = np.dtype([("x", ">f8"), ("y", ">f8")])
MOVE_TO, LINE_TO = 0, 1
ODD_EVEN_FILL, WINDING_FILL = 0, 1


def path_from_arrays(x: np.ndarray, y: np.ndarray, starts: np.ndarray,
                     fill_rule: int = WINDING_FILL) -> QPainterPath:
    """One ``QPainterPath`` from vertex arrays; ``starts[i]`` True begins a new sub-path.

    The serialised form of a path (``operator<<(QDataStream&, const QPainterPath&)``) is
    int32 count, then (int32 type, double x, double y) per element, then int32 cStart and
    int32 fill rule, all big-endian.
    """
    n = len(x)
    buf = np.empty(4 + n * _PATH_ELEMENT.itemsize + 8, dtype=np.uint8)
    buf[:4] = np.frombuffer(np.array([n], ">i4").tobytes(), np.uint8)
    elements = buf[4 : 4 + n * _PATH_ELEMENT.itemsize].view(_PATH_ELEMENT)
    elements["type"] = np.where(starts, MOVE_TO, LINE_TO)
    elements["x"] = x
    elements["y"] = y
    buf[-8:] = np.frombuffer(np.array([0, fill_rule], ">i4").tobytes(), np.uint8)
    path = QPainterPath()
    if n:
        stream = QDataStream(QByteArray(buf.tobytes()))
        stream >> path
    return path


def polygon_from_arrays(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """A ``QPolygonF`` of points (for ``drawPoints``/``drawPolygon``) from two arrays.

    The coordinates are written straight into the polygon's memory (a ``QList<QPointF>``:
    x, y doubles one after the other), as pyqtgraph does: ~40 times faster than parsing
    a serialised polygon with ``QDataStream``.
    """
    n = len(x)
    poly = QPolygonF()
    if n:
        poly.resize(n)
        memory = np.frombuffer(shiboken6.VoidPtr(poly.data(), n * 16, True), np.float64)
        points = memory.reshape(n, 2)
        points[:, 0] = x
        points[:, 1] = y
    return poly


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, e)`` for every pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array, as ``np.unique(values)``.

    NumPy 2's ``np.unique`` without ``return_*`` imports ``numpy.ma`` the first time
    (~20 ms of a process's start-up); a small range of codes (categories, byte offsets
    modulo 8) is counted instead, in one pass.
    """
    if len(values) == 0:
        return values[:0].copy()
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 65536:
        return np.unique(values, return_counts=True)[0]
    present = np.flatnonzero(np.bincount(values.astype(np.int64) - lo, minlength=1))
    return (present + lo).astype(values.dtype)


def finite_median(values: np.ndarray) -> float:
    """``np.median`` of a 1-D array of finite numbers (no NaN), without its import of
    ``numpy.ma`` (see :func:`distinct`): the middle value, or the mean of the middle two."""
    m = len(values)
    lo, hi = (m - 1) // 2, m // 2
    part = np.partition(values, [lo, hi])
    return float((part[lo] + part[hi]) / 2)


def thin_to_pixels(px: np.ndarray, py: np.ndarray, starts: np.ndarray,
                   grid: float = 1.0) -> np.ndarray:
    """A mask keeping the vertices that move to another cell of a ``grid``-pixel grid.

    The first vertex of every piece is kept. With ``grid`` = 1 px an unantialiased drawing
    of the thinned path is practically identical to the full one: this is the level of
    detail at small scales.
    """
    if len(px) == 0:
        return np.zeros(0, dtype=bool)
    cx = np.floor(px / grid).astype(np.int64)
    cy = np.floor(py / grid).astype(np.int64)
    keep = np.empty(len(px), dtype=bool)
    keep[0] = True
    np.not_equal(cx[1:], cx[:-1], out=keep[1:])
    keep[1:] |= cy[1:] != cy[:-1]
    keep |= starts
    return keep


def unique_pixels(px: np.ndarray, py: np.ndarray, grid: float = 1.0) -> np.ndarray:
    """Indices of the first point in every ``grid``-pixel cell (points drawn once per cell)."""
    if len(px) == 0:
        return np.zeros(0, dtype=np.int64)
    cx = np.floor(px / grid).astype(np.int64)
    cy = np.floor(py / grid).astype(np.int64)
    key = (cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + (cy - cy.min())
    _, first = np.unique(key, return_index=True)
    first.sort()
    return first


def paths_from_arrays(x: np.ndarray, y: np.ndarray, starts: np.ndarray, max_pieces: int,
                      fill_rule: int = WINDING_FILL) -> list[QPainterPath]:
    """Like :func:`path_from_arrays`, cut into paths of at most ``max_pieces`` sub-paths.

    Qt's antialiasing rasteriser slows down more than linearly on one huge path (one path
    of 250k road segments: 39 s; paths of 50 segments: 1.5 s), so antialiased frames draw
    many small paths.
    """
    first = np.flatnonzero(starts)
    if len(first) <= max_pieces:
        return [path_from_arrays(x, y, starts, fill_rule)]
    cuts = [*first[::max_pieces].tolist(), len(x)]
    return [path_from_arrays(x[a:b], y[a:b], starts[a:b], fill_rule)
            for a, b in itertools.pairwise(cuts) if b > a]
