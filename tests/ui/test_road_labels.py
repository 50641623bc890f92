"""Road names as Chinese maps write them: along a level street the name runs with the
street; on a steep street its characters stand upright, one under the other, read from the
top (a name turned 90° read top-down on one street and bottom-up on the next). Checked on
what the labeller asks the real painter to draw, for the sample district's streets; and
the names' images, made beside the features, stamp the pixels they always did."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPen

from citymgr_desktop.core.store import Store
from citymgr_desktop.render import MapView, RenderOptions, load_map, render_frame
from citymgr_desktop.render import label_sprites as sprites
from citymgr_desktop.render import labels as lb


class Recording:
    """The real painter, with the label calls written down."""

    def __init__(self, painter: QPainter) -> None:
        self.painter, self.turns, self.upright = painter, [], []
        self.turned, self.saved = False, []

    def save(self):
        self.saved.append(self.turned)
        return self.painter.save()

    def restore(self):
        self.turned = self.saved.pop()
        return self.painter.restore()

    def rotate(self, angle):
        self.turns.append(angle)
        self.turned = True
        return self.painter.rotate(angle)

    def drawImage(self, at, image):
        if not self.turned:  # stamped upright, in the map's own pixels
            self.upright.append((at.x() + image.width() / 2, at.y() + image.height() / 2))
        return self.painter.drawImage(at, image)

    def __getattr__(self, name):
        return getattr(self.painter, name)


def test_steep_streets_get_upright_characters_and_level_ones_a_turned_name(qapp, district):
    with Store.open(district, read_only=True) as store:
        data = load_map(store)
    roads = data.layer("road_segment")
    x0, y0, x1, y1 = data.extent()
    view = MapView.fit((x0, y0, x1, y1), QRectF(0, 0, 1600, 1200), 96.0)
    image = QImage(1600, 1200, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    rec = Recording(painter)
    try:
        placed = lb.draw_line_labels(rec, roads, np.arange(roads.count), view)
    finally:
        painter.end()
    turned = len(rec.turns)
    stacked = placed - turned
    assert turned > 5 and stacked > 5, (placed, turned)
    assert all(abs(a) <= lb.STEEP_DEG for a in rec.turns)  # no name turned on its side
    # the upright characters: one step apart, each below the one before, down the street
    step = lb._stack_step(lb.label_font(96.0))
    downward = sum(1 for (ax, ay), (bx, by) in itertools.pairwise(rec.upright)
                   if 0.8 * step < by - ay < 1.2 * step and abs(bx - ax) < step)
    assert downward >= stacked  # every stacked name has at least two characters going down
    assert len(rec.upright) >= 2 * stacked


def _in_a_new_thread(work):
    """``work()`` run by a thread of its own (its label images start empty), its result."""
    out = {}

    def run():
        out["result"] = work()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out["result"]


def test_the_label_images_are_made_beside_the_features_and_stamp_the_same_pixels(
        qapp, district, monkeypatch):
    """A still frame has its road names placed and their haloed images made by another
    thread while it draws the features; the image is the one drawn when the drawing thread
    places the names and makes each image as it stamps the name."""
    with Store.open(district, read_only=True) as store:
        data = load_map(store)
    extent = data.extent()
    makers: list[str] = []
    placers: list[str] = []
    draw, place = sprites.draw_sprites, lb.place_line_labels

    def recorded(wanted, stop=None):
        makers.extend([threading.current_thread().name] * len(wanted))
        return draw(wanted, stop)

    def placed(*args):
        placers.append(threading.current_thread().name)
        return place(*args)
    monkeypatch.setattr(sprites, "draw_sprites", recorded)
    monkeypatch.setattr(lb, "place_line_labels", placed)

    def frame():
        return threading.current_thread().name, render_frame(data, extent, (1600, 1200),
                                                             RenderOptions())
    drawer, (beside, result) = _in_a_new_thread(frame)
    assert result.labels > 10 and len(makers) >= result.labels // 2
    assert drawer not in makers and placers and drawer not in placers  # the other thread's

    class MadeWhenStamped:  # placed by the drawing thread, which makes each image as it
        def __init__(self, wanted):  # stamps it
            wanted()

        def finish(self, cancelled=False):
            pass
    monkeypatch.setattr(lb, "SpriteMaker", MadeWhenStamped)
    makers.clear()
    drawer, (stamped, _) = _in_a_new_thread(frame)
    assert set(makers) == {drawer}
    assert beside == stamped


def test_a_cancelled_frame_leaves_its_label_images_behind(qapp, district, monkeypatch):
    """Cancelled while its features are drawn, a frame waits for the images being made,
    drops them, and the next frame of the same thread is whole."""
    with Store.open(district, read_only=True) as store:
        data = load_map(store)
    extent = data.extent()
    started, made = threading.Event(), []
    draw = sprites.draw_sprites

    def slow(wanted, stop=None):
        started.set()
        time.sleep(0.05)
        made.append(len(wanted))
        return draw(wanted, stop)

    class Watched(sprites.SpriteMaker):
        def __init__(self, wanted):
            super().__init__(wanted)
            started.wait(5)  # the frame goes on once the first image is under way

    monkeypatch.setattr(sprites, "draw_sprites", slow)
    monkeypatch.setattr(lb, "SpriteMaker", Watched)

    def frames():
        cancelled = render_frame(data, extent, (1600, 1200),
                                 RenderOptions(is_cancelled=started.is_set))[1]
        monkeypatch.setattr(sprites, "draw_sprites", draw)
        monkeypatch.setattr(lb, "SpriteMaker", sprites.SpriteMaker)
        return cancelled, len(made), render_frame(data, extent, (1600, 1200),
                                                  RenderOptions())

    cancelled, made_then, (image, whole) = _in_a_new_thread(frames)
    at_once = _in_a_new_thread(lambda: render_frame(data, extent, (1600, 1200), RenderOptions(
        is_cancelled=lambda: True))[1])  # the label thread stops in its placement
    assert at_once.cancelled and at_once.labels == 0
    assert cancelled.cancelled and cancelled.labels == 0
    assert made_then == 1  # one batch of images, made and dropped
    assert not whole.cancelled and whole.labels > 10
    assert _in_a_new_thread(lambda: render_frame(data, extent, (1600, 1200),
                                                 RenderOptions())[0]) == image


def test_a_name_image_has_a_round_halo_the_pen_s_half_width_all_round(qapp):
    """The halo around a name's letters reaches the halo pen's half width from the letters
    every way (a round halo, not a box or a square-cornered one), in the pen's colour, and
    no further; the letters are drawn over it in the text colour."""
    font = lb.label_font(300.0)
    width = 2 * lb.HALO_MM * 300.0 / 25.4
    halo = QPen(QColor(255, 255, 255, 230), width)
    halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)  # as the labels' plan makes it
    name = "中山路 1"
    metrics = QFontMetricsF(font)
    image = sprites.label_sprite(name, font, halo, (metrics.ascent() - metrics.descent()) / 2,
                                 metrics.horizontalAdvance(name))
    bgra = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, :image.width() * 4].reshape(
        image.height(), image.width(), 4).astype(int)
    alpha = bgra[..., 3]
    letters = bgra[..., 2] < alpha - 2  # the text colour in it (the halo is white)
    ys, xs = np.nonzero(letters)
    gy, gx = np.mgrid[:alpha.shape[0], :alpha.shape[1]]
    far = np.full(alpha.shape, np.inf)
    for y, x in zip(ys, xs, strict=True):  # each pixel's distance to the nearest letter
        np.minimum(far, np.hypot(gy - y, gx - x), out=far)
    r = width / 2
    within = (far > 1.2) & (far <= r - 1.5)  # (next to a letter: its antialiased edge)
    assert within.sum() > 1000
    assert (alpha[within] == 230).all() and (bgra[within][:, :3] == 230).all()  # white, 90 %
    assert (alpha[far > r + 1.5] == 0).all()
    rim = (far > r - 0.5) & (far < r + 0.5)  # every way round, the halo fades out here
    assert 60 < alpha[rim].mean() < 170


def test_making_the_images_stops_between_sheets_when_the_frame_is_cancelled(qapp):
    """A print-sized frame's names fill several sheets; once its frame is cancelled the
    next sheet is not drawn (the maker's thread ends, it does not finish the batch)."""
    font = lb.label_font(300.0)
    halo = QPen(QColor(255, 255, 255, 230), 2 * lb.HALO_MM * 300.0 / 25.4)
    metrics = QFontMetricsF(font)
    names = [f"中山路 {i}" for i in range(400)]  # more than one sheet's pixels
    wanted = [sprites.Sprite(n, font, halo, (metrics.ascent() - metrics.descent()) / 2,
                             metrics.horizontalAdvance(n)) for n in names]
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # cancelled after the first sheet

    with pytest.raises(sprites.Stopped):
        sprites.draw_sprites(wanted, stop)
    assert len(asked) == 2
    assert len(sprites.draw_sprites(wanted[:3], lambda: False)) == 3
