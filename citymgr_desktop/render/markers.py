"""Point markers. On a raster device each marker is a small pre-drawn, antialiased image
(a "sprite") stamped at every point: five times faster than Qt's wide-pen points and as
smooth as a still frame even while panning. All the stamps of a batch are one Qt call
(``drawPixmapFragments`` over a NumPy array of fragments), not one ``drawImage`` each. On
vector devices (PDF, print) markers stay vector: wide-pen points, one ``drawPoints`` for
the outline and one for the fill.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPaintEngine, QPainter, QPen, QPixmap, QTransform

from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.symbols import Symbol, marker_path

SPRITE_MAX = 300_000  # more points than this in one batch: vector drawing is as fast
STAMPS_PER_CALL = 65_536  # fragments per drawPixmapFragments call (80 bytes each)
STAMPS_ONE_BY_ONE = 16  # fewer stamps than this: one drawImage each (a batch costs ~20 µs)
# a ``QPainter::PixmapFragment`` is ten doubles: x, y (its centre), sourceLeft, sourceTop,
# width, height, scaleX, scaleY, rotation, opacity
_FRAGMENT_FIELDS = 10
_local = threading.local()  # sprites per thread: QImages are not shared across threads


def draw_markers(painter: QPainter, x: np.ndarray, y: np.ndarray, symbol: Symbol,
                 ppmm: float) -> None:
    """Draw ``symbol`` at every (x, y) painter coordinate."""
    if len(x) == 0:
        return
    if len(x) <= SPRITE_MAX and _raster_untransformed(painter):
        sprite = _sprite(symbol, ppmm)
        half_w, half_h = sprite.width() / 2, sprite.height() / 2
        left = np.floor(x - half_w + 0.5).astype(np.int64)
        top = np.floor(y - half_h + 0.5).astype(np.int64)
        # the points come with a margin for symbols reaching into the view: stamps wholly
        # outside the clip would draw nothing (~4 % of a zoomed-in view's bins)
        clip = painter.clipBoundingRect() if painter.hasClipping() else QRectF(
            0, 0, painter.device().width(), painter.device().height())
        if not clip.isEmpty():
            meets = ((left + sprite.width() > clip.left()) & (left < clip.right())
                     & (top + sprite.height() > clip.top()) & (top < clip.bottom()))
            left, top = left[meets], top[meets]
        stamp(painter, left, top, sprite)
        return
    _vector_markers(painter, x, y, symbol, ppmm)


def stamp(painter: QPainter, left: np.ndarray, top: np.ndarray, sprite: QImage) -> None:
    """Draw ``sprite`` with its top-left corner at every (left, top) (whole device pixels),
    in that order: the pixels of one ``drawImage`` per stamp, in one Qt call per
    :data:`STAMPS_PER_CALL` stamps (under :data:`STAMPS_ONE_BY_ONE` stamps, one
    ``drawImage`` each: cheaper than setting up a batch).

    ``drawPixmapFragments`` takes a C array of fragments; PySide6 passes the address of
    the one it is given, so a wrapper over a NumPy array of that memory hands Qt the whole
    batch (as :func:`qtarrays.polygon_from_arrays` writes a polygon's memory). A fragment
    is centred on (x, y): at ``left + width / 2`` Qt's rounding puts it at ``left``.
    """
    w, h = sprite.width(), sprite.height()
    pixmap = _pixmap(sprite) if len(left) >= STAMPS_ONE_BY_ONE else None
    if pixmap is None or pixmap.isNull():  # few stamps, or no pixmaps in this thread
        for a, b in zip(left.tolist(), top.tolist(), strict=True):
            painter.drawImage(a, b, sprite)
        return
    template = np.array([0.0, 0.0, 0.0, 0.0, w, h, 1.0, 1.0, 0.0, 1.0])
    for lo in range(0, len(left), STAMPS_PER_CALL):
        part_left, part_top = left[lo:lo + STAMPS_PER_CALL], top[lo:lo + STAMPS_PER_CALL]
        fragments = np.empty((len(part_left), _FRAGMENT_FIELDS))
        fragments[:] = template
        fragments[:, 0] = part_left + w / 2
        fragments[:, 1] = part_top + h / 2
        address = fragments.__array_interface__["data"][0]
        first = shiboken6.wrapInstance(address, QPainter.PixmapFragment)
        try:
            painter.drawPixmapFragments(first, len(fragments), pixmap)
        finally:  # the wrapper does not own NumPy's memory: never let it delete it
            shiboken6.invalidate(first)


def draw_dots(painter: QPainter, x: np.ndarray, y: np.ndarray, colour: str, side: float,
              clip: QRectF | None = None) -> None:
    """Dense points at small scales: opaque squares of ``side`` pixels, no outline.

    On an untransformed QImage they are written straight into its pixels (NumPy), else
    drawn as square-capped points.
    """
    if len(x) == 0:
        return
    if clip is not None and can_write_pixels(painter):
        _write_pixels(painter.device(), x, y, QColor(colour).rgba(), max(1, round(side)), clip)
        return
    pen = QPen(QColor(colour), side)
    pen.setCapStyle(Qt.PenCapStyle.SquareCap)
    painter.setPen(pen)
    painter.drawPoints(qa.polygon_from_arrays(x, y))


def _write_pixels(image: QImage, x: np.ndarray, y: np.ndarray, argb: int, side: int,
                  clip: QRectF) -> None:
    x0 = np.floor(x - side / 2 + 0.5).astype(np.int64)
    y0 = np.floor(y - side / 2 + 0.5).astype(np.int64)
    n = np.full(len(x0), side, np.int64)
    write_rects(image, x0, y0, n, n, argb, clip)


def write_rects(image: QImage, x0: np.ndarray, y0: np.ndarray, w: np.ndarray, h: np.ndarray,
                argb: int, clip: QRectF) -> None:
    """Fill small rectangles (top-left x0, y0; w × h pixels, each at most a few pixels)
    with an opaque colour, straight into an ARGB32 image's pixels."""
    rows, stride = image.height(), image.bytesPerLine() // 4
    pixels = np.frombuffer(image.bits(), np.uint32).reshape(rows, stride)
    left, top = max(int(clip.left()), 0), max(int(clip.top()), 0)
    right = min(int(np.ceil(clip.right())), image.width())
    bottom = min(int(np.ceil(clip.bottom())), rows)
    for dx in range(int(w.max()) if len(w) else 0):
        for dy in range(int(h.max()) if len(h) else 0):
            px, py = x0 + dx, y0 + dy
            ok = (dx < w) & (dy < h) & (px >= left) & (px < right) & (py >= top) & (py < bottom)
            pixels[py[ok], px[ok]] = argb


def can_write_pixels(painter: QPainter) -> bool:
    """True when the painter draws untransformed into an ARGB32 premultiplied QImage."""
    image = painter.device()
    return (isinstance(image, QImage) and _raster_untransformed(painter)
            and image.format() == QImage.Format.Format_ARGB32_Premultiplied)


def _raster_untransformed(painter: QPainter) -> bool:
    engine = painter.paintEngine()
    return (engine is not None and engine.type() == QPaintEngine.Type.Raster
            and painter.worldTransform().type().value
            <= QTransform.TransformationType.TxTranslate.value)


def _sprite(symbol: Symbol, ppmm: float) -> QImage:
    cache = getattr(_local, "sprites", None)
    if cache is None:
        cache = _local.sprites = {}
    key = (symbol, round(ppmm, 4))
    image = cache.get(key)
    if image is None:
        size = max(symbol.size_mm * ppmm, 1.0)
        outline = max(symbol.outline_mm * ppmm, 0.8)
        side = math.ceil(size + 2 * outline + 2)
        side += 1 - side % 2  # odd: the marker's centre is a pixel's centre
        image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(symbol.outline), outline))
        p.setBrush(QColor(symbol.colour))
        p.drawPath(marker_path(symbol, size).translated(QPointF(side / 2, side / 2)))
        p.end()
        if len(cache) > 256:
            cache.clear()
        cache[key] = image
    return image


def _pixmap(sprite: QImage) -> QPixmap:
    """The sprite as a pixmap (what ``drawPixmapFragments`` takes), made once per thread."""
    cache = getattr(_local, "pixmaps", None)
    if cache is None:
        cache = _local.pixmaps = {}
    key = sprite.cacheKey()
    pixmap = cache.get(key)
    if pixmap is None:
        if len(cache) > 256:
            cache.clear()
        pixmap = cache[key] = QPixmap.fromImage(sprite)
    return pixmap


def _vector_markers(painter: QPainter, x: np.ndarray, y: np.ndarray, symbol: Symbol,
                    ppmm: float) -> None:
    size = max(symbol.size_mm * ppmm, 1.0)
    outline = max(symbol.outline_mm * ppmm, 1.0)
    cap = Qt.PenCapStyle.RoundCap if symbol.marker == "circle" else Qt.PenCapStyle.SquareCap
    painter.save()
    if symbol.marker == "diamond":
        # a square pen in a frame turned by 45 degrees draws diamonds; a diamond of width
        # ``size`` is a square of side size / sqrt(2)
        painter.rotate(45)
        x, y = (x + y) / math.sqrt(2), (y - x) / math.sqrt(2)
        size /= math.sqrt(2)
        outline /= math.sqrt(2)
    points = qa.polygon_from_arrays(x, y)
    pen = QPen(QColor(symbol.outline), size + 2 * outline)
    pen.setCapStyle(cap)
    painter.setPen(pen)
    painter.drawPoints(points)
    pen = QPen(QColor(symbol.colour), size)
    pen.setCapStyle(cap)
    painter.setPen(pen)
    painter.drawPoints(points)
    painter.restore()
