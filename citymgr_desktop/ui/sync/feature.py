"""Field sync feature: File > New field package… writes a package for QField / QGIS; File >
Field sync… (Ctrl+Shift+Y) opens the sync dialog for the open file: bring a package back,
settle its conflicts, undo a sync from the history. While a sync's conflicts are open, the
status bar says how many ("未解决冲突 2"); a click opens the dialog at its Conflicts tab. Both
follow the file (``dataChanged``): a conflict resolved outside (``citymgr sync-resolve``)
leaves them when the window hears of the write (``ui/shell/file_watch``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QPushButton

from citymgr_desktop.ui.i18n import tr
from citymgr_desktop.ui.shell.window import Window

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.sync.dialog import SyncDialog
    from citymgr_desktop.ui.sync.field_package_dialog import FieldPackageDialog

ORDER = 45


def install(window: Window) -> QAction:
    """Add the New field package and Field sync actions to the File menu; enabled while a
    writable file is open. Returns the Field sync action."""
    checkout = QAction(tr("New field package…"), window)
    checkout.setObjectName("action_field_package")
    checkout.setStatusTip(tr("Write part of this file as a package for QField or QGIS"))
    checkout.setEnabled(_a_writable_file(window.store))
    checkout.triggered.connect(lambda: open_checkout(window))
    window.menu("file").addAction(checkout)
    window.storeChanged.connect(
        lambda store: checkout.setEnabled(_a_writable_file(store)))
    action = QAction(tr("Field sync…"), window)
    action.setObjectName("action_field_sync")
    action.setShortcut(QKeySequence("Ctrl+Shift+Y"))
    action.setStatusTip(tr("Merge a field package from QField or QGIS back into this file, "
                           "resolve its conflicts, undo a sync"))
    action.setEnabled(_a_file(window.store))
    action.triggered.connect(lambda: open_dialog(window))
    window.menu("file").addAction(action)
    window.storeChanged.connect(lambda store: _file_changed(window, action, store))
    conflicts = _conflicts_button(window)
    window.storeChanged.connect(lambda _store: _count_conflicts(window, conflicts))
    window.dataChanged.connect(lambda _tables: _count_conflicts(window, conflicts))
    return action


def _conflicts_button(window: Window) -> QPushButton:
    """The status bar's "Unresolved conflicts: N", hidden while there are none."""
    button = QPushButton(window.status_bar)
    button.setObjectName("openConflicts")
    button.setFlat(True)
    button.setStyleSheet("color: #b00020;")
    button.setToolTip(tr("Conflicts of a field sync wait for your decision: click to "
                         "decide them in the sync dialog"))
    button.clicked.connect(lambda: show_conflicts(window))
    window.status_bar.add_indicator(button)
    button.hide()
    return button


def _count_conflicts(window: Window, button: QPushButton) -> None:
    """Count the open conflicts of the file again (after a sync, a resolution, an undo:
    each says ``dataChanged``). A database keeps none for resolving."""
    from citymgr_desktop.core.errors import CitymgrError
    from citymgr_desktop.core.sync import list_conflicts

    store, n = window.store, 0
    if store is not None and not store.is_database:
        try:
            n = len(list_conflicts(store))
        except CitymgrError:  # an unreadable registry: no indicator
            n = 0
    button.setText(tr("Unresolved conflicts: %1").replace("%1", str(n)))
    button.setVisible(n > 0)


def show_conflicts(window: Window) -> SyncDialog | None:
    """The sync dialog at its Conflicts tab."""
    dialog = open_dialog(window)
    if dialog is not None and not dialog.on_database:
        dialog.tabs.setCurrentIndex(1)
    return dialog


def _a_file(store: Store | None) -> bool:
    """A project is open: a GeoPackage, or a database (the sync dialog without its
    Conflicts and History tabs there)."""
    return store is not None


def _a_writable_file(store: Store | None) -> bool:
    """Check-out works on a file and on a database (its base is kept in the database)."""
    return store is not None and not store.read_only


def _file_changed(window: Window, action: QAction, store: Store | None) -> None:
    action.setEnabled(_a_file(store))
    dialog = _current(window)
    if dialog is not None and dialog.store is not store and not dialog.busy():
        dialog.close()  # it belongs to the file that was closed


def _current(window: Window) -> SyncDialog | None:
    if "citymgr_desktop.ui.sync.dialog" not in sys.modules:
        return None  # never opened: no dialog, and no 0.2 s import on every file opened
    from citymgr_desktop.ui.sync.dialog import SyncDialog

    return window.findChild(SyncDialog)


def open_dialog(window: Window) -> SyncDialog | None:
    """Show the sync dialog for the window's open file (non-modal; one at a time)."""
    from citymgr_desktop.ui.sync.dialog import SyncDialog

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


def open_checkout(window: Window) -> FieldPackageDialog | None:
    """Show the check-out dialog for the window's open file."""
    from citymgr_desktop.ui.sync.field_package_dialog import FieldPackageDialog

    if window.store is None or window.store.read_only:
        window.status(tr("Open a writable project file to send part of it to the field"))
        return None
    dialog = FieldPackageDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog
