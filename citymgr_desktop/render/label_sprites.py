"""The road names' haloed images (sprites): on a raster device each name is drawn once per
thread and then stamped wherever it is placed (render/labels.py). The halo is the text's
coverage grown by the halo's width in NumPy (:func:`draw_sprites`), not Qt's stroke of the
text's outline, which held the GIL ~0.7 ms a name. :class:`SpriteMaker` makes a frame's new
images in a thread of its own while the frame's features are drawn.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

TEXT_COLOUR = QColor(40, 40, 40)
MAX_KEPT = 2000  # images kept per thread
_local = threading.local()  # label images per thread (QImages are not shared across threads)

_Key = tuple[str, int, float]


class Sprite(NamedTuple):
    """What one image shows: ``text`` in ``font`` with a round halo of the ``halo`` pen's
    width and colour, ``advance`` pixels wide, its baseline ``baseline`` below the image's
    middle."""

    text: str
    font: QFont
    halo: QPen
    baseline: float
    advance: float

    def key(self) -> _Key:
        return self.text, self.font.pixelSize(), round(self.halo.widthF(), 2)


def label_sprite(text: str, font: QFont, halo: QPen, baseline: float, w: float) -> QImage:
    """The haloed label ``text`` as an image centred on the label's centre (per thread)."""
    sprite = Sprite(text, font, halo, baseline, w)
    cache = _cache()
    key = sprite.key()
    image = cache.get(key)
    if image is None:
        image = _draw(sprite)
        if len(cache) > MAX_KEPT:
            cache.clear()
        cache[key] = image
    return image


def _cache() -> dict[_Key, QImage]:
    cache = getattr(_local, "labels", None)
    if cache is None:
        cache = _local.labels = {}
    return cache


def _draw(sprite: Sprite) -> QImage:
    return draw_sprites([sprite])[0]


def draw_sprites(sprites: Sequence[Sprite], stop: Callable[[], bool] | None = None
                 ) -> list[QImage]:
    """The images of ``sprites``, in their order: the text filled, over its halo.
    ``stop``: asked before each sheet; once true, :class:`Stopped` is raised.

    The halo is not Qt's stroke of the text's outline (~0.7 ms of GIL-held CPU a name) but
    the text's coverage grown by the pen's half width (:func:`_grown`, NumPy, which lets go
    of the GIL on these sizes): the sprites of one look are laid side by side on shelves of
    one image, their text filled once as a mask, grown, coloured with the halo pen, and
    the text filled over it as before; each sprite is then copied out of that image.
    """
    images: list[QImage | None] = [None] * len(sprites)
    looks: dict[tuple[int, float, int], list[int]] = {}
    for i, s in enumerate(sprites):
        looks.setdefault((s.font.pixelSize(), s.halo.widthF(), s.halo.color().rgba()),
                         []).append(i)
    for members in looks.values():
        for i, image in zip(members, _draw_look([sprites[i] for i in members], stop),
                            strict=True):
            images[i] = image
    return [image for image in images if image is not None]


class Stopped(Exception):
    """:func:`draw_sprites` was told to stop (its frame was cancelled)."""


def _draw_look(sprites: Sequence[Sprite], stop: Callable[[], bool] | None) -> list[QImage]:
    if stop is not None and stop():
        raise Stopped
    halo = sprites[0].halo
    pad = halo.widthF() + 2
    ih = math.ceil(QFontMetricsF(sprites[0].font).height() + 2 * pad)
    widths = [math.ceil(s.advance + 2 * pad) for s in sprites]
    if len(sprites) > 1 and sum(widths) * ih > _SHEET_PIXELS:  # a few sheets, not a huge one
        half = len(sprites) // 2
        return _draw_look(sprites[:half], stop) + _draw_look(sprites[half:], stop)
    shelf = max(max(widths), _SHELF)
    spots: list[tuple[int, int]] = []  # each sprite's top left in the sheet
    x = y = 0
    for w in widths:
        if x + w > shelf:
            x, y = 0, y + ih
        spots.append((x, y))
        x += w
    sheet_w, sheet_h = shelf, y + ih
    paths = []
    for s, w, (x, y) in zip(sprites, widths, spots, strict=True):
        path = QPainterPath()
        path.addText(QPointF(x + w / 2 - s.advance / 2, y + ih / 2 + s.baseline), s.font,
                     s.text)
        paths.append(path)
    mask = QImage(sheet_w, sheet_h, QImage.Format.Format_Alpha8)
    mask.fill(0)
    p = QPainter(mask)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for path in paths:
        p.fillPath(path, Qt.GlobalColor.white)
    p.end()
    cover = _pixels(mask, 1)[:, :sheet_w]
    grown = _grown(cover, halo.widthF() / 2 + _THIN)
    colour = halo.color()  # premultiplied, in memory order B, G, R, A
    bgra = np.array([colour.blue(), colour.green(), colour.red(), 255],
                    dtype=np.uint32) * colour.alpha()
    sheet = QImage(sheet_w, sheet_h, QImage.Format.Format_ARGB32_Premultiplied)
    out = _pixels(sheet, 4).reshape(sheet_h, -1, 4)[:, :sheet_w]
    out[:] = (grown[:, :, None] * bgra + 255 * 127) // (255 * 255)
    p = QPainter(sheet)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for path in paths:
        p.fillPath(path, TEXT_COLOUR)
    p.end()
    return [sheet.copy(x, y, w, ih) for w, (x, y) in zip(widths, spots, strict=True)]


_SHELF = 1024  # the sheet's width (pixels), unless a sprite is wider
_SHEET_PIXELS = 1 << 21  # more sprites than fill this: more sheets (a few MB of arrays each)
_THIN = 0.25  # pixels more: a thin stroke's coverage says it reaches less far than it does
_STEP = 2.5  # the most a halo grows in one pass (pixels; more: more passes)


def _pixels(image: QImage, depth: int) -> np.ndarray:
    """The bytes of ``image`` as a writable (rows, bytes per line) array (no copy)."""
    rows = np.frombuffer(image.bits(), dtype=np.uint8)
    return rows.reshape(image.height(), image.bytesPerLine())


def _grown(cover: np.ndarray, radius: float) -> np.ndarray:
    """Antialiased coverage (0-255) grown by ``radius`` pixels all round, as Qt's round
    stroke of the outline grows it: a pixel's coverage is the most, over its neighbours q
    within ``radius`` + 1, of q's coverage plus ``radius`` - |q| pixels' worth (a covered
    edge pixel is as far inside as its coverage says), among those q that are covered at
    all. Done in passes of at most _STEP pixels (growing by a then b grows by a + b), so
    the neighbours are few; int16 on arrays of the whole sheet (NumPy lets go of the GIL).
    """
    passes = max(1, math.ceil(radius / _STEP))
    out = cover.astype(np.int16)
    for _ in range(passes):
        out = _grow_once(out, radius / passes)
    return out.astype(np.uint8)


def _grow_once(cover: np.ndarray, r: float) -> np.ndarray:
    reach = math.floor(r + 1)
    h, w = cover.shape
    padded = np.zeros((h + 2 * reach, w + 2 * reach), dtype=np.int16)
    padded[reach:reach + h, reach:reach + w] = cover
    rings: dict[float, list[tuple[int, int]]] = {}
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            d = math.hypot(dx, dy)
            if d < r + 1:
                rings.setdefault(d, []).append((dy, dx))
    out = np.zeros_like(cover)
    most = np.empty_like(cover)
    for d, offsets in rings.items():
        most.fill(0)
        for dy, dx in offsets:
            np.maximum(most, padded[reach + dy:reach + dy + h, reach + dx:reach + dx + w],
                       out=most)
        bias = round((r - d) * 255)
        grown = np.where(most > 0, most + bias, 0)
        np.maximum(out, grown, out=out)
    return np.minimum(out, 255, out=out)


class SpriteMaker:
    """The images of the sprites ``wanted()`` returns that the calling thread has not made
    yet, made by a thread of their own while the caller draws the features (``wanted``
    runs in that thread too: the labels' placement, whose Shapely and NumPy work lets go of
    the GIL while the caller draws, as does the halos' growing on whole sheets; the text's
    fills do not: PySide6 holds the GIL through QPainter's calls, so they take turns with
    the caller's drawing, see ``benchmarks/bench_render_phases.py --gil``); :meth:`finish`
    waits for them and puts them in the caller's images, so :func:`label_sprite` stamps them
    as if it had made them. They are the same pixels: the same calls make them, in another
    thread (QImage is reentrant), all in one batch.
    The thread ends with the frame (its fonts go with it, while the application is there;
    a new thread's font costs ~1-2 ms)."""

    def __init__(self, wanted: Callable[[], Iterable[Sprite]]) -> None:
        self._wanted = wanted
        self._known = frozenset(_cache())  # what the calling thread has
        self._made: dict[_Key, QImage] = {}
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = threading.Thread(
            target=self._make, name="label sprites", daemon=True)
        self._thread.start()

    def _make(self) -> None:
        try:
            new: dict[_Key, Sprite] = {}
            for sprite in self._wanted():
                key = sprite.key()
                if key not in self._known:
                    new.setdefault(key, sprite)
            if self._stop.is_set():
                return
            self._made = dict(zip(new, draw_sprites(list(new.values()), self._stop.is_set),
                                  strict=True))
        except BaseException as exc:  # (a cancelled placement): raised by finish()
            self._error = exc

    def finish(self, cancelled: bool = False) -> None:
        """Wait for the images and hand them to the calling thread; an error of
        ``wanted()`` is raised here. ``cancelled``: wait only for the images under way
        (not for those not started), drop them all, raise nothing."""
        if self._thread is None:
            return
        thread, self._thread = self._thread, None
        if cancelled:
            self._stop.set()
        thread.join()
        if cancelled:
            return
        if self._error is not None:
            raise self._error
        cache = _cache()
        if len(cache) + len(self._made) > MAX_KEPT:
            cache.clear()
        cache.update(self._made)
