"""Field sync feature: File > Field sync… (Ctrl+Shift+Y) opens the sync dialog for the open
file: bring a field package back, settle its conflicts, undo a sync from the history."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.ui.i18n import tr

ORDER = 45


def install(window: Any) -> QAction:
    """Add the Field sync action to the File menu; enabled while a file is open."""
    action = QAction(tr("Field sync…"), window)
    action.setObjectName("action_field_sync")
    action.setShortcut(QKeySequence("Ctrl+Shift+Y"))
    action.setStatusTip(tr("Merge a field package from QField or QGIS back into this file, "
                           "resolve its conflicts, undo a sync"))
    action.setEnabled(window.store is not None)
    action.triggered.connect(lambda: open_dialog(window))
    window.menu("file").addAction(action)
    window.storeChanged.connect(lambda store: _file_changed(window, action, store))
    return action


def _file_changed(window: Any, action: QAction, store: Any) -> None:
    action.setEnabled(store is not None)
    dialog = _current(window)
    if dialog is not None and dialog.store is not store and not dialog.busy():
        dialog.close()  # it belongs to the file that was closed


def _current(window: Any) -> Any:
    from citymgr_desktop.ui.sync_dialog import SyncDialog

    return window.findChild(SyncDialog)


def open_dialog(window: Any) -> Any:
    """Show the sync dialog for the window's open file (non-modal; one at a time)."""
    from citymgr_desktop.ui.sync_dialog import SyncDialog

    if window.store is None:
        window.status(tr("Open the master file to sync a field package into it"))
        return None
    current = _current(window)
    if current is not None and current.store is window.store:
        current.reload()
        current.show()
        current.raise_()
        current.activateWindow()
        return current
    if current is not None:
        current.close()
    dialog = SyncDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog
