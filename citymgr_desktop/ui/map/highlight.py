"""The highlight drawn over the map: the outline of a feature the user is looking at (the
identified asset), in a colour no condition symbol uses, so it stands out whatever the
feature's own colour."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from citymgr_desktop.render import MapView

COLOUR = "#ff00ff"  # magenta: not a condition colour, not the selection's cyan


def paint_highlight(painter: QPainter, view: MapView, geometries: Iterable) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(QColor(COLOUR), 3)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for geom in geometries:
        for part in shapely.get_parts(geom):
            if part.geom_type == "Point":
                (x,), (y,) = view.to_device(np.array([part.x]), np.array([part.y]))
                painter.drawEllipse(QPointF(float(x), float(y)), 9.0, 9.0)
                continue
            rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" \
                else [part]
            for ring in rings:
                xy = np.asarray(ring.coords)
                px, py = view.to_device(xy[:, 0], xy[:, 1])
                path = QPainterPath(QPointF(float(px[0]), float(py[0])))
                for a, b in zip(px[1:], py[1:], strict=True):
                    path.lineTo(float(a), float(b))
                painter.drawPath(path)
    painter.restore()
