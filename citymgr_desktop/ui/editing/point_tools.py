"""The map tools of the editing feature, driven by the window's one tool manager: add a point
asset (click where it stands: the form opens pre-filled) and move one (click the asset, then
its new place; a line follows the cursor in between). Drags still pan the map; Esc drops a
half-done move, a second Esc goes back to panning."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from citymgr_desktop.render import MapView
from citymgr_desktop.ui.map.tool_manager import MapTool

PICK_PX = 8  # click tolerance of the move tool, in screen pixels


class AddPointTool(MapTool):
    """Each click adds an asset where it was made (the callback opens the form)."""

    name = "add_point"

    def __init__(self, add: Callable[[float, float], object]) -> None:
        super().__init__()
        self._add = add

    def clicked(self, x: float, y: float, modifiers: Qt.KeyboardModifier,
                button: Qt.MouseButton) -> None:
        if button == Qt.MouseButton.LeftButton:
            self._add(x, y)


class MovePointTool(MapTool):
    """First click picks the asset (``pick(x, y, tolerance)`` -> its map position or None),
    the second puts it at its new place (``move(x, y)``)."""

    name = "move_point"

    def __init__(self, pick: Callable[[float, float, float], tuple[float, float] | None],
                 move: Callable[[float, float], object], units_per_pixel: Callable[[], float]
                 ) -> None:
        super().__init__()
        self._pick, self._move, self._upp = pick, move, units_per_pixel
        self.picked: tuple[float, float] | None = None  # map position of the picked asset
        self.cursor_at: tuple[float, float] | None = None

    def deactivate(self) -> None:
        self.picked = self.cursor_at = None

    def escape(self) -> bool:
        if self.picked is None:
            return False
        self.picked = None
        return True

    def clicked(self, x: float, y: float, modifiers: Qt.KeyboardModifier,
                button: Qt.MouseButton) -> None:
        if button != Qt.MouseButton.LeftButton:
            self.escape()
            return
        if self.picked is None:
            self.picked = self._pick(x, y, PICK_PX * self._upp())
        else:
            self.picked = None
            self._move(x, y)

    def moved(self, x: float, y: float) -> None:
        self.cursor_at = (x, y)

    def paint(self, painter: QPainter, view: MapView) -> None:
        if self.picked is None:
            return
        xs = np.array([self.picked[0], (self.cursor_at or self.picked)[0]])
        ys = np.array([self.picked[1], (self.cursor_at or self.picked)[1]])
        px, py = view.to_device(xs, ys)
        a, b = QPointF(float(px[0]), float(py[0])), QPointF(float(px[1]), float(py[1]))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor("#f28e1c"), 1.5, Qt.PenStyle.DashLine))
        painter.drawLine(a, b)
        painter.setPen(QPen(QColor("#f28e1c"), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(a, 8.0, 8.0)
        painter.restore()
