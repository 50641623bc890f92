"""Import feature: File > Import data… (Ctrl+Shift+I) opens the import wizard for the open
file; a finished import becomes one undo step on ``window.commands``, the canvas reloads the
layer and zooms to what came in. Opening a GeoPackage that is not a citymgr project says so
in one sentence and offers to import its layers into a new project (a new file, then the
wizard on it) or to keep looking at them read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.i18n import label_language, tr
from citymgr_desktop.ui.shell.window import Window

if TYPE_CHECKING:
    from citymgr_desktop.core.importing import ImportResult
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
        if store is not None and not window.is_project:
            QTimer.singleShot(0, lambda: offer_import(window, store))

    refresh(window.store)
    action.triggered.connect(lambda: open_wizard(window))
    window.menu("file").addAction(action)
    window.storeChanged.connect(refresh)
    window.add_open_handler(lambda path: offer_source(window, path))
    return action


SOURCE_NAMES = {".shp": "Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML",
                ".kmz": "KML", ".csv": "CSV", ".xlsx": "Excel", ".osm": "OpenStreetMap",
                ".pbf": "OpenStreetMap", ".gml": "GML", ".fgb": "FlatGeobuf", ".dxf": "DXF",
                ".tab": "MapInfo", ".mif": "MapInfo"}


def offer_source(window: Window, path: str) -> bool:
    """File > Open (or a drop) of a file that is no GeoPackage but a source the importer
    reads (a Shapefile, GeoJSON, KML, CSV…): offer to import it into the open project, the
    wizard opened on it, as QGIS opens any OGR source. False: not such a source (the window
    shows its error)."""
    from pathlib import Path

    from citymgr_desktop.core.errors import CitymgrError
    from citymgr_desktop.core.importing.sources import list_layers

    source = Path(path)
    if source.suffix.lower() == ".gpkg":
        return False  # a damaged or foreign .gpkg: its own error says what is wrong
    try:
        if not list_layers(source):
            return False
    except CitymgrError:
        return False
    kind = SOURCE_NAMES.get(source.suffix.lower(), source.suffix.lstrip(".").upper())
    store = window.store
    if store is None or store.read_only or not window.is_project:
        QMessageBox.information(window, tr("Import data"), tr(
            "%1 is a %2 file, not a GeoPackage project. Open or create a project, then "
            "bring it in with File > Import data….").replace("%1", source.name)
            .replace("%2", kind))
        return True
    box = QMessageBox(QMessageBox.Icon.Question, tr("Import data"), tr(
        "%1 is a %2 file, not a GeoPackage project. Import it into %3?").replace(
        "%1", source.name).replace("%2", kind).replace("%3", store.path.name),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
    box.setObjectName("importSourceOffer")
    if box.exec() == QMessageBox.StandardButton.Yes:
        wizard = open_wizard(window)
        if wizard is not None:
            wizard.source_page.set_path(str(source))
    return True


def offer_import(window: Window, store: Store) -> str | None:
    """Say what a plain GeoPackage is and offer to import its layers into a new project;
    returns the new project's path when the person chose that."""
    if window.store is not store:
        return None
    box = QMessageBox(QMessageBox.Icon.Information, tr("Not a citymgr project"), tr(
        "%1 is a GeoPackage, but not a citymgr asset project: its layers are shown "
        "read-only, for reference.").replace("%1", store.path.name), parent=window)
    box.setObjectName("notAProject")
    box.setInformativeText(tr("Import its layers into a new project to edit them, make "
                              "work orders and sync them?"))
    importing = box.addButton(tr("Import into a new project…"),
                              QMessageBox.ButtonRole.AcceptRole)
    box.addButton(tr("Show read-only"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is not importing:
        return None
    source = str(store.path)
    suggested = str(store.path.with_name(store.path.stem + "-project.gpkg"))
    path, _ = QFileDialog.getSaveFileName(window, tr("New project for the import"), suggested,
                                          tr("GeoPackage (*.gpkg)"))
    if not path:
        return None
    from citymgr_desktop.core.errors import CitymgrError
    from citymgr_desktop.core.store import create_project
    from citymgr_desktop.ui.worker import show_error

    try:
        created = create_project(path if path.endswith(".gpkg") else path + ".gpkg")
    except CitymgrError as exc:
        show_error(window, tr("New project for the import"), exc)
        return None
    if not window.open_file(created):
        return None
    wizard = open_wizard(window)
    if wizard is not None:
        wizard.source_page.set_path(source)
    return str(created)


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
    if not window.may_write(window, tr(  # type: ignore[arg-type]
            "The import writes into this file. Save your edits first."),
            tr("Save and import")):
        return None
    wizard = ImportWizard(window, store, window.user_name)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    wizard.imported.connect(lambda result: record(window, result))
    # the window's own shortcuts (Ctrl+Shift+I again, Ctrl+Alt+I…) reach only the active
    # window: without a window manager to do it (Xvfb, offscreen) nothing is active once
    # the wizard is gone, and a click on the map does not make the window active again
    wizard.finished.connect(lambda _code: window.activateWindow())
    wizard.open()
    return wizard


def record(window: Window, result: ImportResult) -> None:
    """Put an import that committed on the undo stack and show it."""
    # imported here, not at start-up: the import package brings pyogrio (0.1-0.2 s)
    from citymgr_desktop.core.importing import ImportCommand

    table = result.table
    window.commands.push(ImportCommand(window.store, result, window.user_name(),
                                       on_change=lambda: window.notify_data_changed({table})))
    extent = result.extent()
    if extent is not None and result.report.inserted + result.report.updated:
        window.canvas.zoom_to_features(*extent)
    r = result.report
    name = sc.ASSET_TABLES_BY_NAME[table].label(label_language())
    window.status(tr("Imported into %1: %2 new, %3 updated, %4 unchanged, %5 skipped")
                  .replace("%1", name).replace("%2", str(r.inserted))
                  .replace("%3", str(r.updated)).replace("%4", str(r.unchanged))
                  .replace("%5", str(r.skipped_count)), 8000)
