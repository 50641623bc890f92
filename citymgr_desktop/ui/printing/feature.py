"""Printing feature: File > Print map… (Ctrl+P) opens the print dialog for the open file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.ui.i18n import tr
from citymgr_desktop.ui.shell.window import Window

if TYPE_CHECKING:
    from citymgr_desktop.ui.printing.dialog import PrintDialog

ORDER = 70


def install(window: Window) -> QAction:
    """Add the Print map action to the File menu and the tool bar; enabled while a file or
    a database is open."""
    action = QAction(tr("Print map…"), window)
    action.setObjectName("action_print_map")
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
    action.setStatusTip(tr("Print a true-scale maintenance map or an atlas to PDF or PNG"))
    action.setEnabled(window.store is not None)
    action.triggered.connect(lambda: open_dialog(window))
    window.menu("file").addAction(action)
    window.storeChanged.connect(lambda store: action.setEnabled(store is not None))
    return action


def open_dialog(window: Window) -> PrintDialog | None:
    """Show the print dialog for the window's open file (non-modal; one at a time)."""
    from citymgr_desktop.ui.printing.dialog import PrintDialog

    if window.store is None:
        window.status(tr("Open a file to print a map"))
        return None
    current = window.findChild(PrintDialog)
    if current is not None and current.store is window.store:
        current.show()
        current.raise_()
        current.activateWindow()
        return current
    if current is not None:  # left open on another file
        current.close()
    dialog = PrintDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog
