"""Adapter between the work-order map extract and the project's renderer (``render/``).

Kept in one place so the PDF code does not depend on the renderer's module layout.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter


def open_renderer(store: Any) -> Any:
    return None


def draw(renderer: Any, painter: QPainter, frame: QRectF, extent: tuple[float, float, float,
         float], scale: int, highlight: dict[str, list[str]]) -> None:
    painter.fillRect(frame, QColor("#eeeeee"))
    painter.drawText(frame, int(Qt.AlignmentFlag.AlignCenter), "renderer pending")
