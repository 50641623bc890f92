"""The road names' haloed images (sprites): on a raster device each name is drawn once per
thread (the halo is Qt stroking the text's outline, the costly part of a label) and then
stamped wherever it is placed (render/labels.py). :class:`SpriteMaker` makes a frame's new
images in a thread of its own while the frame's features are drawn.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

TEXT_COLOUR = QColor(40, 40, 40)
MAX_KEPT = 2000  # images kept per thread
_local = threading.local()  # label images per thread (QImages are not shared across threads)

_Key = tuple[str, int, float]


class Sprite(NamedTuple):
    """What one image shows: ``text`` in ``font`` with the ``halo`` pen around it,
    ``advance`` pixels wide, its baseline ``baseline`` below the image's middle."""

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
    pad = sprite.halo.widthF() + 2
    metrics = QFontMetricsF(sprite.font)
    iw, ih = math.ceil(sprite.advance + 2 * pad), math.ceil(metrics.height() + 2 * pad)
    image = QImage(iw, ih, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    path = QPainterPath()
    path.addText(QPointF(iw / 2 - sprite.advance / 2, ih / 2 + sprite.baseline), sprite.font,
                 sprite.text)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.strokePath(path, sprite.halo)
    p.fillPath(path, TEXT_COLOUR)
    p.end()
    return image


class SpriteMaker:
    """The images of the sprites ``wanted()`` returns that the calling thread has not made
    yet, made by a thread of their own while the caller draws the features (``wanted``
    runs in that thread too: the labels' placement, whose Shapely and NumPy work lets go of
    the GIL while the caller draws; the halos' strokes do not: PySide6 holds the GIL
    through QPainter's calls, so they take turns with the caller's drawing, see
    ``benchmarks/bench_render_phases.py --gil``); :meth:`finish` waits for them and puts
    them in the caller's images, so :func:`label_sprite` stamps them as if it had made them. They are
    the same pixels: the same calls make them, in another thread (QImage is reentrant).
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
            for sprite in self._wanted():
                key = sprite.key()
                if key in self._known or key in self._made:
                    continue
                if self._stop.is_set():
                    return
                self._made[key] = _draw(sprite)
        except BaseException as exc:  # (a cancelled placement): raised by finish()
            self._error = exc

    def finish(self, cancelled: bool = False) -> None:
        """Wait for the images and hand them to the calling thread; an error of
        ``wanted()`` is raised here. ``cancelled``: wait only for the image being made,
        drop them all, raise nothing."""
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
