"""The hot-spot map theme on the canvas: a transparent child of the map canvas that draws
the cells of a hot-spot grid (open cases, or assets in condition 4-5) with the renderer's
``render/hotspots.py`` over the map frames, and a small legend in the corner."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from citymgr_desktop.core.stats import HotspotGrid
from citymgr_desktop.render.hotspots import draw_hotspots, legend
from citymgr_desktop.ui.map.canvas import MapCanvas


class HotspotOverlayWidget(QWidget):
    """Cells of ``grid`` over ``canvas`` (nothing while ``grid`` is None)."""

    def __init__(self, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.grid: HotspotGrid | None = None
        self.title = ""
        self.setObjectName("hotspot_overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        canvas.installEventFilter(self)
        canvas.extentChanged.connect(lambda _e: self.update())
        self.setGeometry(canvas.rect())
        self.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def set_grid(self, grid: HotspotGrid | None, title: str = "") -> None:
        self.grid, self.title = grid, title
        self.update()

    def paintEvent(self, event) -> None:
        if self.grid is None or self.canvas.data is None:
            return
        p = QPainter(self)
        try:
            draw_hotspots(p, self.grid, self.canvas.view())
            entries = legend(self.grid)
            if not entries:
                return
            line = self.fontMetrics().height() + 2
            width = max(120, self.fontMetrics().horizontalAdvance(self.title) + 14)
            box = QRectF(8, 8, width, 10 + line * (len(entries) + 1))
            p.setPen(QColor("#888888"))
            p.setBrush(QColor(255, 255, 255, 225))
            p.drawRect(box)
            p.setPen(QColor("#000000"))
            p.drawText(QRectF(14, 11, width - 8, line), int(Qt.AlignmentFlag.AlignLeft),
                       self.title)
            for k, (label, colour) in enumerate(entries):
                y = 11 + line * (k + 1)
                p.setPen(QColor("#ffffff"))
                p.setBrush(colour)
                p.drawRect(QRectF(14, y + 2, 16, line - 5))
                p.setPen(QColor("#000000"))
                p.drawText(QRectF(36, y, 130, line), int(Qt.AlignmentFlag.AlignLeft), label)
        finally:
            p.end()
