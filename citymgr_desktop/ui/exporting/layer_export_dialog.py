"""Dialog to export an asset layer (QGIS's "Save Features As…"): which assets (the selected,
those the attribute table's filter shows, or all), format (GeoJSON, GeoPackage, CSV, XLSX),
coded values as words or codes, and the file, its name suggested from the layer and the
街道 or the scope; the choices and the folder are remembered (the shared part:
:class:`~citymgr_desktop.ui.widgets.export_file_dialog.ExportFileDialog`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from citymgr_desktop.core.messages import sentences
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.widgets.export_file_dialog import ExportFileDialog

SETTINGS = "layers/export"
FORMATS = (("geojson", "GeoJSON (*.geojson)"), ("gpkg", "GeoPackage (*.gpkg)"),
           ("csv", "CSV (*.csv)"), ("xlsx", "Excel (*.xlsx)"))


class LayerExportDialog(ExportFileDialog):
    """Chooses what to write; the caller runs the export in a worker."""

    settings_key, formats = SETTINGS, FORMATS

    def __init__(self, parent: QWidget | None, layer_label: str,
                 counts: Mapping[str, int | None], names: dict[str, str],
                 folder: Path | None = None, unsaved: bool = False) -> None:
        """``counts``: how many assets each scope (selected, filtered, all) exports (None:
        still counted); ``names``: the file name each scope suggests; ``folder``: where the
        file goes until one was chosen; ``unsaved``: the layer has edits not saved yet (said
        in the note)."""
        super().__init__(parent, counts, names, folder)
        self.setObjectName("layerExportDialog")
        self.setWindowTitle(self.tr("Export layer — %1").replace("%1", layer_label))
        self.scope.setObjectName("layerExportScope")
        self.format.setObjectName("layerExportFormat")
        self.path.setObjectName("layerExportPath")
        self.codes = QComboBox()
        self.codes.setObjectName("layerExportCodes")
        self.codes.addItem(self.tr("As words (the interface's language)"), False)
        self.codes.addItem(self.tr("As stored codes"), True)
        self.codes.setCurrentIndex(
            1 if str(self.saved.get("codes", "false")).lower() == "true" else 0)
        self.form.insertRow(2, self.tr("Coded values"), self.codes)
        self.unsaved = unsaved
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.form.addRow(self.note)
        self.choices_changed()

    def scope_texts(self) -> tuple[str, dict[str, str]]:
        return self.tr("Assets"), {"selected": self.tr("Selected assets (%1)"),
                                   "filtered": self.tr("Assets the table's filter shows (%1)"),
                                   "all": self.tr("All assets (%1)")}

    def choices_changed(self) -> None:
        """The note on the format's coordinates and on unsaved edits."""
        fmt = self.format.currentData()
        if fmt == "geojson":
            notes = [self.tr("GeoJSON is written in WGS 84 (longitude/latitude), as RFC "
                             "7946 requires.")]
        elif fmt == "gpkg":
            notes = [self.tr("GeoPackage keeps the project's coordinate system and a "
                             "QGIS style.")]
        else:
            notes = [self.tr("The table has a location point of each asset in WGS 84.")]
        if self.unsaved:
            notes.append(self.tr("Unsaved edits are exported as the window shows them."))
        self.note.setText(sentences(notes, i18n.language()))

    def values(self) -> dict[str, object]:
        return {**super().values(), "codes": bool(self.codes.currentData())}

    def remembered(self, values: dict[str, object]) -> dict[str, object]:
        return {**super().remembered(values), "codes": values["codes"]}
