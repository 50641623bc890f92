"""One matplotlib chart on screen (its Qt canvas, QtAgg), drawn by a chart function of
``export/report/charts.py`` — the same code draws the report's charts — with the parts a
click picks: ``picked(Pick, index)`` after a click on a bar segment or a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QWidget

from citymgr_desktop.export.report import charts


class ChartCanvas(FigureCanvasQTAgg):
    """A chart widget; ``picked(Pick, int)``: the pick and the point index (lines) or -1."""

    picked = Signal(object, int)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(charts.new_figure(120, 75, dpi=96, fixed=True))
        self.setParent(parent)
        self.setObjectName(name)
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picks: dict[Any, charts.Pick] = {}
        self._shown: tuple[Any, tuple[Any, ...]] | None = None
        # a press is matched against the chart's parts here rather than through matplotlib's
        # pick events, which only reach the topmost of twin axes (the records chart's)
        self.mpl_connect("button_press_event", self._on_press)

    def show_chart(self, draw: Callable[..., dict[Any, charts.Pick]], *args: Any) -> bool:
        """Draw ``draw(figure, *args)`` and remember what its parts pick; a chart whose
        figures did not change is left as it is (most changes touch one or two charts).
        Returns whether it was drawn."""
        if self._shown == (draw, args):
            return False
        self.picks = draw(self.figure, *args)
        self._shown = (draw, args)
        charts.fit_margins(self.figure)
        self.draw_idle()
        return True

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        charts.fit_margins(self.figure)

    def has_chart(self) -> bool:
        return self._shown is not None

    def forget(self) -> None:
        """Draw the next chart even if its figures are the same."""
        self._shown = None

    def _on_press(self, event: Any) -> None:
        if event.button != 1:
            return
        for artist, pick in self.picks.items():
            hit, info = artist.contains(event)
            if hit:
                index = info.get("ind") if isinstance(info, dict) else None
                self.picked.emit(pick, int(index[0]) if index is not None and len(index)
                                 else -1)
                return

    def artist_centre(self, pick: charts.Pick, index: int = 0) -> tuple[float, float] | None:
        """Widget coordinates (Qt, y down) of the centre of the first part that picks
        ``pick`` (for tests and keyboard users)."""
        for artist, p in self.picks.items():
            if p != pick:
                continue
            if hasattr(artist, "get_xydata"):
                x, y = artist.axes.transData.transform(artist.get_xydata()[index])
            else:
                box = artist.get_window_extent()
                x, y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
            ratio = self.device_pixel_ratio or 1.0
            return x / ratio, self.height() - y / ratio
        return None
