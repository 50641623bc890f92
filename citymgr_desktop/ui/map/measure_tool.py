"""Measure distances and areas on the map: click the points of a line (a double click or a
right click ends it), read its length in metres and, from three points on, the area of the
polygon it closes, over the map and in the status bar. Ground distances: the map's metres
per unit (geodesic on a geographic CRS). Esc starts again; a second Esc leaves the tool."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pyproj import Geod
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from citymgr_desktop.render import MapView
from citymgr_desktop.ui.map.tool_manager import MapTool

COLOUR = "#6a1b9a"


def format_length(metres: float) -> str:
    return f"{metres / 1000:,.3f} km" if metres >= 10_000 else f"{metres:,.1f} m"


def format_area(square_metres: float) -> str:
    if square_metres >= 1_000_000:
        return f"{square_metres / 1_000_000:,.3f} km²"
    return f"{square_metres:,.0f} m²"


class MeasureTool(MapTool):
    """Distance and area; ``geographic()`` says whether map units are degrees,
    ``metres_per_unit()`` converts projected units, ``report(text)`` shows the result."""

    name = "measure"

    def __init__(self, geographic: Callable[[], bool], metres_per_unit: Callable[[], float],
                 report: Callable[[str], None]) -> None:
        super().__init__()
        self._geographic, self._mpu, self._report = geographic, metres_per_unit, report
        self.points: list[tuple[float, float]] = []
        self.finished = False
        self.cursor_at: tuple[float, float] | None = None

    # -- measuring --------------------------------------------------------------------------
    def length(self, points: list[tuple[float, float]] | None = None) -> float:
        """Ground length in metres of the line through ``points`` (default: the clicks)."""
        pts = self.points if points is None else points
        if len(pts) < 2:
            return 0.0
        xy = np.asarray(pts, dtype=float)
        if self._geographic():
            return float(Geod(ellps="WGS84").line_length(xy[:, 0], xy[:, 1]))
        steps = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
        return float(steps.sum() * self._mpu())

    def area(self, points: list[tuple[float, float]] | None = None) -> float:
        """Ground area in square metres of the polygon the points close (0 under three)."""
        pts = self.points if points is None else points
        if len(pts) < 3:
            return 0.0
        xy = np.asarray(pts, dtype=float)
        if self._geographic():
            area, _perimeter = Geod(ellps="WGS84").polygon_area_perimeter(xy[:, 0], xy[:, 1])
            return abs(float(area))
        x, y = xy[:, 0] - xy[0, 0], xy[:, 1] - xy[0, 1]
        return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2 \
            * self._mpu() ** 2

    def text(self) -> str:
        pts = self._live()
        out = self.tr("Distance: %1").replace("%1", format_length(self.length(pts)))
        if len(pts) >= 3:
            out += " · " + self.tr("Area: %1").replace("%1", format_area(self.area(pts)))
        return out

    def _live(self) -> list[tuple[float, float]]:
        if self.finished or self.cursor_at is None or not self.points:
            return list(self.points)
        return [*self.points, self.cursor_at]

    # -- input ------------------------------------------------------------------------------
    def activate(self) -> None:
        self.deactivate()
        self._report(self.tr("Click the points to measure; double-click to finish"))

    def deactivate(self) -> None:
        self.points, self.finished, self.cursor_at = [], False, None

    def escape(self) -> bool:
        if not self.points:
            return False
        self.deactivate()
        return True

    def clicked(self, x: float, y: float, modifiers: Qt.KeyboardModifier,
                button: Qt.MouseButton) -> None:
        if button == Qt.MouseButton.RightButton:
            self._finish()
            return
        if self.finished:
            self.deactivate()
        if not self.points or self.points[-1] != (x, y):
            self.points.append((x, y))
        self._report(self.text())

    def double_clicked(self, x: float, y: float) -> None:
        self._finish()

    def _finish(self) -> None:
        if len(self.points) >= 2:
            self.finished = True
            self._report(self.text())

    def moved(self, x: float, y: float) -> None:
        self.cursor_at = (x, y)

    def paint(self, painter: QPainter, view: MapView) -> None:
        pts = self._live()
        if not pts:
            return
        xy = np.asarray(pts, dtype=float)
        px, py = view.to_device(xy[:, 0], xy[:, 1])
        poly = QPolygonF([QPointF(float(a), float(b)) for a, b in zip(px, py, strict=True)])
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if len(pts) >= 3:
            fill = QColor(COLOUR)
            fill.setAlpha(40)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawPolygon(poly)
        path = QPainterPath()
        path.addPolygon(poly)
        painter.setPen(QPen(QColor(COLOUR), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(QColor("white"))
        for p in poly:
            painter.drawEllipse(p, 3.5, 3.5)
        text = self.text()
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        last = poly[len(poly) - 1]
        box = QRectF(last.x() + 10, last.y() + 10, metrics.horizontalAdvance(text) + 12,
                     metrics.height() + 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(QColor(COLOUR))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
