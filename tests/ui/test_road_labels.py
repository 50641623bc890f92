"""Road names as Chinese maps write them: along a level street the name runs with the
street; on a steep street its characters stand upright, one under the other, read from the
top (a name turned 90° read top-down on one street and bottom-up on the next). Checked on
what the labeller asks the real painter to draw, for the sample district's streets."""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from citymgr_desktop.core.store import Store
from citymgr_desktop.render import MapView, load_map
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
