"""Maintenance history in the main window: a dock with the selected asset's timeline, and
Asset menu actions to add a record or attach photos (undoable)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.ui.history.panel import HistoryPanelWidget
from citymgr_desktop.ui.shell.window import Window

ORDER = 61


class HistoryFeature(QObject):
    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = HistoryPanelWidget(window)
        self.dock = window.add_dock(self.panel, Qt.DockWidgetArea.RightDockWidgetArea,
                                    "history_dock")
        self.dock.setWindowTitle(self.tr("Maintenance history"))
        menu = window.menu("asset")
        self.add_action = QAction(self.tr("Add maintenance record…"), window)
        self.add_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.add_action.triggered.connect(lambda _c=False: self.panel.add_record())
        self.attach_action = QAction(self.tr("Attach photos or documents…"), window)
        self.attach_action.triggered.connect(lambda _c=False: self.panel.attach())
        menu.addSeparator()
        menu.addAction(self.add_action)
        menu.addAction(self.attach_action)
        menu.addAction(self.dock.toggleViewAction())
        window.selection.changed.connect(lambda _l: self._update())
        window.storeChanged.connect(lambda _s: self._update())
        self._update()

    def _update(self) -> None:
        ok = self.panel.add_btn.isEnabled()
        self.add_action.setEnabled(ok)
        self.attach_action.setEnabled(ok)


def install(window: Window) -> HistoryFeature:
    return HistoryFeature(window)
