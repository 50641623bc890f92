"""A map preview of an import before it happens: the project's assets faded underneath and the
features to import on top, coloured by what will happen to them (new, changed, unchanged).

The project layers are drawn by the shared renderer; the candidates (already in the project
CRS) are batched into one path per outcome. Wheel zooms, dragging pans, double-click fits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QWidget

from citymgr_desktop.render.renderer import RenderOptions, draw_map
from citymgr_desktop.render.view import MapView

COLOURS = {"insert": QColor("#2e7d32"), "update": QColor("#ef6c00"),
           "unchanged": QColor("#1565c0")}
MAX_DRAWN = 20_000


class ImportPreviewWidget(QWidget):
    """Shows :attr:`outcomes` ((geometry, kind) in the project CRS) over :attr:`background`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_preview")
        self.setMinimumSize(320, 240)
        self.background: Any = None  # render.data.MapData
        self.outcomes: list[tuple[Any, str]] = []
        self.extent: tuple[float, float, float, float] | None = None
        self._drag: QPointF | None = None

    def set_data(self, background: Any, outcomes: list[tuple[Any, str]]) -> None:
        self.background = background
        self.outcomes = [(g, k) for g, k in outcomes if g is not None][:MAX_DRAWN]
        self.fit()

    def fit(self) -> None:
        if not self.outcomes:
            self.extent = None
        else:
            b = shapely.total_bounds(np.array([g for g, _ in self.outcomes], dtype=object))
            pad = max(b[2] - b[0], b[3] - b[1], 50.0) * 0.08
            self.extent = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
        self.update()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, k in self.outcomes:
            out[k] = out.get(k, 0) + 1
        return out

    # -- drawing -------------------------------------------------------------------------------
    def paintEvent(self, _event: Any) -> None:  # Qt override
        painter = QPainter(self)
        rect = QRectF(self.rect())
        painter.fillRect(rect, QColor("#ffffff"))
        if self.extent is None:
            painter.setPen(QColor("#666666"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.tr("Nothing to import"))
            painter.end()
            return
        view = MapView.fit(self.extent, rect)
        if self.background is not None:
            draw_map(painter, self.background, view.extent, rect,
                     RenderOptions(labels=False, background=None))
            painter.fillRect(rect, QColor(255, 255, 255, 150))  # fade what is already there
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for kind in ("unchanged", "update", "insert"):
            geoms = [g for g, k in self.outcomes if k == kind]
            if geoms:
                self._draw(painter, view, geoms, COLOURS[kind])
        self._legend(painter)
        painter.end()

    def _draw(self, painter: QPainter, view: MapView, geoms: list[Any], colour: QColor) -> None:
        area, line = QPainterPath(), QPainterPath()
        area.setFillRule(Qt.FillRule.OddEvenFill)
        points: list[QPointF] = []
        for g in geoms:
            for part in shapely.get_parts(g):
                kind = part.geom_type
                if kind == "Point":
                    points.append(view.point_to_device(part.x, part.y))
                elif kind == "LineString":
                    _add_ring(line, view, np.asarray(part.coords), closed=False)
                elif kind == "Polygon":
                    for ring in (part.exterior, *part.interiors):
                        _add_ring(area, view, np.asarray(ring.coords), closed=True)
        fill = QColor(colour)
        fill.setAlpha(90)
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(QBrush(fill))
        painter.drawPath(area)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 2.2))
        painter.drawPath(line)
        painter.setPen(QPen(QColor("#ffffff"), 1.0))
        painter.setBrush(QBrush(colour))
        for p in points:
            painter.drawEllipse(p, 4.0, 4.0)

    def _legend(self, painter: QPainter) -> None:
        words = {"insert": self.tr("new"), "update": self.tr("changed"),
                 "unchanged": self.tr("unchanged")}
        counts = self.counts()
        y = self.height() - 10 - 18 * len(counts)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.drawRect(QRectF(6, y - 6, 150, 18 * len(counts) + 8))
        for kind in ("insert", "update", "unchanged"):
            if kind not in counts:
                continue
            painter.setBrush(COLOURS[kind])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRect(QRectF(12, y + 2, 12, 10))
            painter.setPen(QColor("#222222"))
            painter.drawText(QPointF(30, y + 11), f"{words[kind]}: {counts[kind]:,}")
            y += 18

    # -- navigation ----------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt override
        if self.extent is None:
            return
        view = MapView.fit(self.extent, QRectF(self.rect()))
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        pos = event.position()
        self.extent = view.zoomed(factor, pos.x(), pos.y()).extent
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        self._drag = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt override
        if self._drag is None or self.extent is None:
            return
        view = MapView.fit(self.extent, QRectF(self.rect()))
        d = event.position() - self._drag
        self.extent = view.panned(d.x(), d.y()).extent
        self._drag = event.position()
        self.update()

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:  # Qt override
        self._drag = None

    def mouseDoubleClickEvent(self, _event: QMouseEvent) -> None:  # Qt override
        self.fit()


def _add_ring(path: QPainterPath, view: MapView, coords: np.ndarray, closed: bool) -> None:
    if len(coords) < 2:
        return
    xs, ys = view.to_device(coords[:, 0], coords[:, 1])
    path.moveTo(float(xs[0]), float(ys[0]))
    for x, y in zip(xs[1:].tolist(), ys[1:].tolist(), strict=True):
        path.lineTo(x, y)
    if closed:
        path.closeSubpath()
