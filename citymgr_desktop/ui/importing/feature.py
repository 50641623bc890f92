"""Import feature: File > Import data… (Ctrl+Shift+I) opens the import wizard for the open
file; a finished import becomes one undo step on ``window.commands``, the canvas reloads the
layer and zooms to what came in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.core.importing import ImportCommand, ImportResult
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.i18n import label_language, tr
from citymgr_desktop.ui.shell.window import Window

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.importing.wizard import ImportWizard

ORDER = 40


def install(window: Window) -> QAction:
    """Add the Import data action to the File menu; enabled while a writable file is open."""
    action = QAction(tr("Import data…"), window)
    action.setObjectName("action_import_data")
    action.setShortcut(QKeySequence("Ctrl+Shift+I"))
    action.setStatusTip(tr("Bring roads, bridges, green spaces or bins in from Shapefile, "
                           "GeoJSON, GeoPackage, CSV, KML, OpenStreetMap…"))

    def refresh(store: Store | None) -> None:
        action.setEnabled(store is not None and not store.read_only)

    refresh(window.store)
    action.triggered.connect(lambda: open_wizard(window))
    window.menu("file").addAction(action)
    window.storeChanged.connect(refresh)
    return action


def open_wizard(window: Window) -> ImportWizard | None:
    """Show the import wizard for the window's open file (modal)."""
    from citymgr_desktop.ui.importing.wizard import ImportWizard

    store = window.store
    if store is None:
        window.status(tr("Open a project file to import data into it"))
        return None
    if store.read_only:
        window.status(tr("The file is open read-only: nothing can be imported"))
        return None
    wizard = ImportWizard(window, store, window.user_name())
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    wizard.imported.connect(lambda result: record(window, result))
    wizard.open()
    return wizard


def record(window: Window, result: ImportResult) -> None:
    """Put an import that committed on the undo stack and show it."""
    table = result.table
    window.commands.push(ImportCommand(window.store, result, window.user_name(),
                                       on_change=lambda: window.notify_data_changed({table})))
    extent = result.extent()
    if extent is not None and result.report.inserted + result.report.updated:
        window.canvas.zoom_to_bbox(*extent)
    r = result.report
    name = sc.ASSET_TABLES_BY_NAME[table].label(label_language())
    window.status(tr("Imported into %1: %2 new, %3 updated, %4 unchanged, %5 skipped")
                  .replace("%1", name).replace("%2", str(r.inserted))
                  .replace("%3", str(r.updated)).replace("%4", str(r.unchanged))
                  .replace("%5", str(r.skipped_count)), 8000)
