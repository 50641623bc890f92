"""Mouse and keyboard on the map canvas: drag to pan, wheel zoom around the cursor, zoom
box, select click/rectangle, identify click, arrow keys and +/- (a mixin of
:class:`~citymgr_desktop.ui.map.canvas.MapCanvas`, kept apart to keep both readable).
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent

from citymgr_desktop.render import MapView

DRAG_PX = 4  # a press that moves less than this is a click
WHEEL_STEP = 1.25  # zoom factor per wheel notch


class MapToolsMixin:
    """Input handling; the canvas provides the view, the signals and the tool state."""

    def mousePressEvent(self, e: QMouseEvent) -> None:
        if e.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._press = e.position()
            self._press_button = e.button()
            self._press_extent = self.extent()
            self._dragging = False
            if self.tool == "pan" or e.button() == Qt.MouseButton.MiddleButton:
                self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        if self.data is not None:
            x, y = self.to_map(e.position())
            self.cursorMoved.emit(x, y)
            feature_tool = self.tools.tool()
            if feature_tool is not None and self._press is None:
                feature_tool.moved(x, y)
                self.update()
        if self._press is None or self._press_extent is None:
            return
        delta = e.position() - self._press
        if not self._dragging and max(abs(delta.x()), abs(delta.y())) < DRAG_PX:
            return
        if not self._dragging:
            self._dragging = True
            if self._panning():
                self._push_history()
        if self._panning():
            start = MapView(self._press_extent, QRectF(self.rect()), self.logicalDpiX())
            self.set_extent(start.panned(delta.x(), delta.y()).extent)
        else:
            self._drag_rect = QRectF(self._press, e.position()).normalized()
            self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        if self._press is None or e.button() != self._press_button:
            return
        pos, dragged, rect = e.position(), self._dragging, self._drag_rect
        self._press, self._drag_rect, self._dragging = None, None, False
        self.restore_cursor()  # never set_tool: that would end a feature's tool
        if self.data is None:
            return
        mods = e.modifiers()
        if dragged:
            if rect is not None:
                self._finish_rect(rect, mods)
            self.update()
            return
        x, y = self.to_map(pos)
        self.clicked.emit(x, y)
        feature_tool = self.tools.tool()
        if feature_tool is not None:
            feature_tool.clicked(x, y, mods, self._press_button)
            self.update()
            return
        if self._press_button != Qt.MouseButton.LeftButton:
            return
        if self.tool == "select":
            self.selectRequested.emit(x, y, mods)
        elif self.tool == "identify":
            self.identifyRequested.emit(x, y)
        elif self.tool in ("zoom_in", "zoom_out"):
            self._push_history()
            self.zoom_by(2.0 if self.tool == "zoom_in" else 0.5, pos)

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:
        feature_tool = self.tools.tool()
        if feature_tool is not None and self.data is not None \
                and e.button() == Qt.MouseButton.LeftButton:
            feature_tool.double_clicked(*self.to_map(e.position()))
            self.update()
            return
        super().mouseDoubleClickEvent(e)

    def _panning(self) -> bool:
        feature_tool = self.tools.tool()
        if feature_tool is not None:
            return feature_tool.pans or self._press_button == Qt.MouseButton.MiddleButton
        return self.tool in ("pan", "identify") or self._press_button == Qt.MouseButton.MiddleButton

    def _finish_rect(self, rect: QRectF, mods: Qt.KeyboardModifier) -> None:
        x0, y1 = self.to_map(rect.topLeft())
        x1, y0 = self.to_map(rect.bottomRight())
        if self.tool == "select":
            self.rectSelected.emit((x0, y0, x1, y1), mods)
        elif self.tool == "zoom_in":
            self.zoom_to_bbox(x0, y0, x1, y1)
        elif self.tool == "zoom_out":
            self._push_history()
            self.zoom_by(
                min(rect.width() / self.width(), rect.height() / self.height()), rect.center()
            )

    def wheelEvent(self, e: QWheelEvent) -> None:
        steps = e.angleDelta().y() / 120.0
        if self.data is None or steps == 0:
            return
        if not self._timer.isActive() and not self._pending["base"]:
            self._push_history()
        self.zoom_by(WHEEL_STEP**steps, e.position())
        e.accept()

    def keyPressEvent(self, e) -> None:
        step = 0.25
        keys = {
            Qt.Key.Key_Left: (step * self.width(), 0),
            Qt.Key.Key_Right: (-step * self.width(), 0),
            Qt.Key.Key_Up: (0, step * self.height()),
            Qt.Key.Key_Down: (0, -step * self.height()),
        }
        if e.key() in keys and self.data is not None:
            self.pan_by(*keys[e.key()])
        elif e.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal) and self.data is not None:
            self.zoom_by(2.0)
        elif e.key() == Qt.Key.Key_Minus and self.data is not None:
            self.zoom_by(0.5)
        elif e.key() == Qt.Key.Key_Escape:
            feature_tool = self.tools.tool()
            if feature_tool is not None and not feature_tool.escape():
                self.set_tool("pan")  # Esc leaves a feature's tool once nothing is half-done
            self._drag_rect, self._press = None, None
            self.cancel_rendering()
            self.update()
        else:
            super().keyPressEvent(e)
