"""Unsaved edits drawn over the map canvas: the map itself shows the file, so new assets (green),
moved ones (orange, with a line from where they were), deleted ones (red cross), retired ones
(grey cross) and attribute edits (yellow ring) are marked on top until they are saved.

A transparent child of the canvas that ignores the mouse; markers are recomputed when the
session changes and only repainted when the view moves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.map.canvas import MapCanvas

COLOURS = {"new": "#1b9e3e", "moved": "#f28e1c", "deleted": "#d62728", "retired": "#7f7f7f",
           "edited": "#e6c200"}
MAX_MARKERS = 20_000


class EditOverlayWidget(QWidget):
    """The markers of a session's unsaved edits, over ``canvas`` (the window's map)."""

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.session: EditSession | None = None
        self.markers: list[tuple[str, float, float, float | None, float | None]] = []
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setObjectName("edit_overlay")
        canvas.installEventFilter(self)
        canvas.extentChanged.connect(lambda _e: self.update())
        self.setGeometry(canvas.rect())
        self.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def set_session(self, session: EditSession | None) -> None:
        self.session = session
        self.refresh()

    def refresh(self) -> None:
        """Recompute the markers from the session's pending edits (map CRS)."""
        self.markers = []
        session = self.session
        map_crs = self.canvas.map_crs
        if session is None or not session.dirty:
            self.update()
            return
        for layer in sorted(session.pending.tables() & set(sc.ASSET_TABLES_BY_NAME)):
            deltas = session.pending_for(layer)[:MAX_MARKERS]
            current = session.rows(layer, [d.uuid for d in deltas if d.kind != "delete"],
                                   [sc.GEOMETRY_COLUMN])
            to_map = _transformer(session.store.crs(layer), map_crs)
            for d in deltas:
                old = (d.old or {}).get(sc.GEOMETRY_COLUMN)
                if d.kind == "delete":
                    kind, geom = "deleted", old
                elif d.kind == "insert":
                    kind, geom = "new", (d.new or {}).get(sc.GEOMETRY_COLUMN)
                elif sc.GEOMETRY_COLUMN in (d.new or {}):
                    kind, geom = "moved", (d.new or {}).get(sc.GEOMETRY_COLUMN)
                elif (d.new or {}).get("retired_at"):
                    kind, geom = "retired", current.get(d.uuid, {}).get(sc.GEOMETRY_COLUMN)
                else:
                    kind, geom = "edited", current.get(d.uuid, {}).get(sc.GEOMETRY_COLUMN)
                if geom is None:
                    continue
                x, y = to_map(*_anchor(geom))
                ox = oy = None
                if kind == "moved" and old is not None:
                    ox, oy = to_map(*_anchor(old))
                self.markers.append((kind, x, y, ox, oy))
        self.update()

    def paintEvent(self, _event: Any) -> None:
        if not self.markers:
            return
        view = self.canvas.view()
        xs = np.array([m[1] for m in self.markers])
        ys = np.array([m[2] for m in self.markers])
        px, py = view.to_device(xs, ys)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = self.width(), self.height()
        for (kind, _x, _y, ox, oy), dx, dy in zip(self.markers, px, py, strict=True):
            if not (-10 <= dx <= w + 10 and -10 <= dy <= h + 10):
                continue
            colour = QColor(COLOURS[kind])
            p.setPen(QPen(colour, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            centre = QPointF(float(dx), float(dy))
            if kind in ("deleted", "retired"):
                p.drawLine(QPointF(dx - 6, dy - 6), QPointF(dx + 6, dy + 6))
                p.drawLine(QPointF(dx - 6, dy + 6), QPointF(dx + 6, dy - 6))
                continue
            if kind == "moved" and ox is not None and oy is not None:
                (fx,), (fy,) = view.to_device(np.array([ox]), np.array([oy]))
                pen = QPen(colour, 1.5, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawLine(QPointF(float(fx), float(fy)), centre)
                p.setPen(QPen(colour, 2))
            if kind in ("new", "moved"):
                p.setBrush(colour)
            p.drawEllipse(centre, 6.0, 6.0)
        p.end()


def _anchor(geom: Any) -> tuple[float, float]:
    """Where a marker goes: the point itself, or a point on the line/inside the polygon."""
    if geom.geom_type == "Point":
        return geom.x, geom.y
    pt = shapely.point_on_surface(geom)
    return pt.x, pt.y


def _transformer(src: Any, dst: Any) -> Any:
    if dst is None or src is None or src.equals(dst):
        return lambda x, y: (x, y)
    t = Transformer.from_crs(src, dst, always_xy=True)
    return t.transform
