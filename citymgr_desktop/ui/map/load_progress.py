"""The map's load in the status bar: the layers still being read, a bar of the layers read
and a Cancel button (Esc too). It stands where a window-modal progress dialog stood: while a
big file is read the window answers (menus, Ctrl+Q, closing it), as QGIS's does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QSizePolicy, QToolButton, QWidget

from citymgr_desktop.core.messages import joined
from citymgr_desktop.render import layer_title
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.widgets.elided_label import ElidedLabel

if TYPE_CHECKING:
    from citymgr_desktop.ui.worker import Task

LABEL_WIDTH = 360  # pixels; the whole text is in the tooltip


class MapLoadProgressWidget(QWidget):
    """Shown from :meth:`start` (a load task; again for the next task of the same load)
    to :meth:`finish`; Cancel and Esc send :attr:`cancelRequested`."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapLoadProgress")
        # as wide as its text up to LABEL_WIDTH, narrower (to nothing) where the bar lacks
        # room: a status bar's widgets set the window's least width
        self.label = ElidedLabel(self)
        self.label.setObjectName("mapLoadLabel")
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.label.setMaximumWidth(LABEL_WIDTH)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("mapLoadBar")
        self.bar.setMinimumWidth(60)
        self.bar.setMaximumWidth(110)
        self.bar.setMaximumHeight(16)
        self.bar.setFormat("%v/%m")
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("mapLoadCancel")
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop loading the map (Esc)"))
        self.cancel_button.clicked.connect(self.cancelRequested)
        # Esc anywhere in the window while the button is shown (the canvas's own Esc stops
        # a drawing; the load is what keeps the map from being drawn now)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.cancel_button)
        escape.setContext(Qt.ShortcutContext.WindowShortcut)
        escape.activated.connect(self.cancelRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._task: Task | None = None
        self._reading: list[str] = []
        self.setVisible(False)

    def start(self, task: Task) -> None:
        """Follow ``task`` (a map load, reporting per layer as ``load_map`` does)."""
        self._task = task
        self._reading = []
        task.progressed.connect(lambda d, t, m: self._progressed(task, d, t, m))
        self.bar.setRange(0, 0)  # busy until the layers are counted
        self._show_text(self.tr("Loading the map…"))
        self.setVisible(True)

    def finish(self) -> None:
        self._task = None
        self.setVisible(False)

    def _progressed(self, task: Task, done: int, total: int, message: object) -> None:
        if task is not self._task:  # a task before this one (the first view's box)
            return
        if done == 0 and isinstance(message, str):  # load_map: every layer to read
            self._reading = [name for name in message.split(", ") if name]
        elif isinstance(message, str) and message in self._reading:  # a layer read
            self._reading.remove(message)
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(min(done, total) if total > 0 else 0)
        lang = i18n.label_language()
        titles = joined(layer_title(name, lang) for name in self._reading).render(lang)
        self._show_text(self.tr("Loading the map: %1").replace("%1", titles) if titles
                        else self.tr("Loading the map…"))

    def _show_text(self, text: str) -> None:
        self.label.setText(text)
        self.label.setToolTip(text)


__all__ = ["MapLoadProgressWidget"]
