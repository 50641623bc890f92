"""Wizard page 1: the source file, its layer, a filter and the hints GDAL cannot guess.

Leaving the page reads the whole layer in the worker (progress and Cancel) and describes its
fields; a profile can be loaded here, which fixes the source options and the mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWizardPage,
)

from citymgr_desktop.core.errors import CitymgrError, ValidationError
from citymgr_desktop.core.importing.memory import remembered_mapping
from citymgr_desktop.core.importing.profile import load_profile
from citymgr_desktop.core.importing.sources import (
    SourceOptions,
    describe_data,
    is_table,
    list_layers,
    read_source,
)
from citymgr_desktop.core.importing.sources.table import CLI_COLUMNS, no_coordinates
from citymgr_desktop.core.messages import bracketed, words
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.importing.source_labels import geometry_type_label
from citymgr_desktop.ui.importing.state import ImportHost
from citymgr_desktop.ui.worker import show_error

SETTINGS_DIR = "importer/last_dir"
ENCODINGS = ("", "UTF-8", "GBK", "GB18030", "Big5", "ISO-8859-1")
FILTERS = ("Vector data (*.gpkg *.shp *.geojson *.json *.kml *.kmz *.gml *.fgb *.csv *.txt "
           "*.tsv *.xlsx *.osm *.pbf *.tab *.mif *.dxf *.sqlite);;All files (*)")


def read_and_describe(path: str, options: SourceOptions, choose: str = "",
                      progress: Any = None) -> Any:
    """Worker job: the whole layer and its field descriptions. A table without coordinates
    is refused naming ``choose``, where the wizard takes the coordinate columns (not the
    command line's options)."""
    try:
        data = read_source(path, options, progress=progress)
    except ValidationError as exc:
        if not choose or exc.args_.get("choose") is not CLI_COLUMNS:
            raise
        raise no_coordinates(exc.args_["columns"], choose) from None
    return data, describe_data(data)


class ImportSourcePage(QWizardPage):
    """Choose what to import."""

    def __init__(self, wizard: ImportHost) -> None:
        super().__init__()  # QWizard.setPage makes the wizard its parent
        self.wiz = wizard
        self.setTitle(self.tr("Data source"))
        self.setSubTitle(self.tr("Any format GDAL reads (GeoPackage, Shapefile, GeoJSON, "
                                 "FileGDB, KML, OpenStreetMap) or a CSV/Excel table with "
                                 "X/Y or WKT columns."))
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("import_path")
        self.path_edit.setPlaceholderText(self.tr("File to import"))
        self.path_edit.editingFinished.connect(self._path_changed)
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.browse)
        folder = QPushButton(self.tr("FileGDB folder…"))
        folder.clicked.connect(self.browse_folder)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        row.addWidget(folder)
        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("import_layer")
        self.where_edit = QLineEdit()
        self.where_edit.setPlaceholderText("highway IS NOT NULL")
        self.encoding_combo = QComboBox()
        for enc in ENCODINGS:
            self.encoding_combo.addItem(enc or self.tr("Automatic"), enc)
        self.crs_edit = QLineEdit()
        self.crs_edit.setPlaceholderText(self.tr("from the file, e.g. EPSG:4490"))
        self.x_edit, self.y_edit, self.wkt_edit = QLineEdit(), QLineEdit(), QLineEdit()
        for edit, hint in ((self.x_edit, "X / lon / 经度"), (self.y_edit, "Y / lat / 纬度"),
                           (self.wkt_edit, "WKT")):
            edit.setPlaceholderText(self.tr("found by name: %1").replace("%1", hint))
        columns = QHBoxLayout()
        for label, edit in ((self.tr("X:"), self.x_edit), (self.tr("Y:"), self.y_edit),
                            (self.tr("WKT:"), self.wkt_edit)):
            columns.addWidget(QLabel(label))
            columns.addWidget(edit, 1)
        self.columns_label = QLabel(self.tr("Table columns:"))
        profile = QPushButton(self.tr("Load profile…"))
        profile.clicked.connect(self.load_profile_dialog)
        self.profile_label = QLabel()
        form = QFormLayout(self)
        form.addRow(self.tr("File:"), row)
        form.addRow(self.tr("Layer:"), self.layer_combo)
        form.addRow(self.tr("Filter (OGR SQL):"), self.where_edit)
        form.addRow(self.tr("Encoding:"), self.encoding_combo)
        form.addRow(self.tr("Source CRS:"), self.crs_edit)
        form.addRow(self.columns_label, columns)
        self._columns_row = (self.columns_label, columns)
        form.addRow(profile, self.profile_label)
        self.registerField("path*", self.path_edit)

    # -- choosing ----------------------------------------------------------------------------
    def browse(self) -> None:
        start = str(QSettings().value(SETTINGS_DIR, str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import data"), start,
                                              self.tr(FILTERS))
        if path:
            self.set_path(path)

    def browse_folder(self) -> None:
        start = str(QSettings().value(SETTINGS_DIR, str(Path.home())))
        path = QFileDialog.getExistingDirectory(self, self.tr("FileGDB folder"), start)
        if path:
            self.set_path(path)

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        QSettings().setValue(SETTINGS_DIR, str(Path(path).parent))
        self._path_changed()

    def _path_changed(self) -> None:
        self.layer_combo.clear()
        path = self.path_edit.text().strip()
        table = is_table(Path(path)) if path else False
        for w in (self.columns_label, self.x_edit, self.y_edit, self.wkt_edit):
            w.setEnabled(table)
        if not path:
            return
        try:
            layers = list_layers(path)
        except CitymgrError as exc:
            self.layer_combo.addItem(i18n.render(exc), None)
            return
        for name, gtype in layers:
            kind = (self.tr("a table without coordinate columns") if table and gtype is None
                    else geometry_type_label(gtype))
            self.layer_combo.addItem(words(name, bracketed(kind, i18n.language())), name)
        spatial = [i for i, (_, g) in enumerate(layers) if g is not None]
        if spatial:
            self.layer_combo.setCurrentIndex(spatial[0])

    def load_profile_dialog(self) -> None:
        start = str(QSettings().value(SETTINGS_DIR, str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Load import profile"), start,
                                              self.tr("Import profiles (*.json *.toml)"))
        if path:
            self.load_profile(path)

    def load_profile(self, path: str) -> bool:
        try:
            mapping, options = load_profile(path)
        except CitymgrError as exc:
            show_error(self, self.tr("Load profile"), exc)
            return False
        self.wiz.state.profile = mapping
        if options.layer:
            i = self.layer_combo.findData(options.layer)
            if i >= 0:
                self.layer_combo.setCurrentIndex(i)
        self.where_edit.setText(options.where or "")
        i = self.encoding_combo.findData(options.encoding or "")
        self.encoding_combo.setCurrentIndex(max(i, 0))
        self.crs_edit.setText(options.source_crs or "")
        self.x_edit.setText(options.x_field or "")
        self.y_edit.setText(options.y_field or "")
        self.wkt_edit.setText(options.wkt_field or "")
        self.wiz.state.options = options
        self.profile_label.setText(self.tr("Profile: %1").replace("%1", Path(path).name))
        return True

    # -- leaving -------------------------------------------------------------------------------
    def options(self) -> SourceOptions:
        table = self.x_edit.isEnabled()
        return SourceOptions(
            layer=self.layer_combo.currentData(), where=self.where_edit.text().strip() or None,
            encoding=self.encoding_combo.currentData() or None,
            source_crs=self.crs_edit.text().strip() or None,
            x_field=(self.x_edit.text().strip() or None) if table else None,
            y_field=(self.y_edit.text().strip() or None) if table else None,
            wkt_field=(self.wkt_edit.text().strip() or None) if table else None)

    def validatePage(self) -> bool:  # Qt override
        state = self.wiz.state
        path, opts = self.path_edit.text().strip(), self.options()
        if state.data is not None and state.path == path and state.options == opts:
            return True
        choose = self.tr("the X and Y fields, or WKT, of Table columns above")
        self.wiz.run(self.tr("Reading %1").replace("%1", Path(path).name), read_and_describe,
                     lambda out: self._read(path, opts, out), path, opts, choose, uses=None)
        return False

    def _read(self, path: str, opts: SourceOptions, out: Any) -> None:
        state = self.wiz.state
        state.path, state.options = path, opts
        state.data, state.info = out
        state.mapping = state.dry_run = None
        if state.remembered:  # a mapping remembered for another source goes
            state.profile, state.remembered = None, ""
        if state.profile is None:  # the fields and words the previous import of it used
            found = remembered_mapping(self.wiz.store, state.info)
            if found is not None:
                state.profile, state.remembered = found[0], found[2]
        self.wiz.next()
