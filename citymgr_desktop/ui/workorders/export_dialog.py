"""Dialog to export work orders: which orders (the selected, those the list's filter shows,
or all), format (PDF, XLSX, CSV, GeoJSON, GeoPackage), file, language, map extracts; the
choices are remembered (the shared part:
:class:`~citymgr_desktop.ui.widgets.export_file_dialog.ExportFileDialog`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from citymgr_desktop.ui.widgets.export_file_dialog import ExportFileDialog

SETTINGS = "workorders/export"
FORMATS = (("pdf", "PDF (*.pdf)"), ("xlsx", "Excel (*.xlsx)"), ("csv", "CSV (*.csv)"),
           ("geojson", "GeoJSON (*.geojson)"), ("gpkg", "GeoPackage (*.gpkg)"))


class WorkOrderExportDialog(ExportFileDialog):
    """Chooses what to write; the caller runs the export in a worker."""

    settings_key, formats, default_name = SETTINGS, FORMATS, "workorders"

    def __init__(self, parent: QWidget | None, counts: dict[str, int], names: dict[str, str],
                 folder: Path | None = None) -> None:
        """``counts``: how many orders each scope (selected, filtered, all) exports;
        ``names``: the file name suggested for each scope (without the ending; it follows
        the scope chosen until the person types a name of their own); ``folder``: where the
        file goes until one was chosen (the project's folder)."""
        super().__init__(parent, counts, names, folder)
        self.setWindowTitle(self.tr("Export work orders"))
        self.scope.setObjectName("exportScope")
        self.summary = QLabel()
        self.form.insertRow(1, self.summary)
        self.lang = QComboBox()
        self.lang.addItem("中文", "zh")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(max(self.lang.findData(self.saved.get("lang", "zh")), 0))
        self.form.addRow(self.tr("Language"), self.lang)
        self.with_map = QCheckBox(self.tr("Map extract on each order (PDF)"))
        self.with_map.setChecked(str(self.saved.get("map", "true")).lower() == "true")
        self.form.addRow("", self.with_map)
        self.with_photos = QCheckBox(self.tr("Latest photo of each asset (PDF)"))
        self.with_photos.setChecked(str(self.saved.get("photos", "false")).lower() == "true")
        self.form.addRow("", self.with_photos)
        self.choices_changed()

    def scope_texts(self) -> tuple[str, dict[str, str]]:
        return self.tr("Orders"), {"selected": self.tr("Selected orders (%1)"),
                                   "filtered": self.tr("Orders the list shows (%1)"),
                                   "all": self.tr("All orders (%1)")}

    def choices_changed(self) -> None:
        """How many orders go out; map extracts and photos are for the PDF only."""
        n = self.counts.get(self.scope.currentData(), 0)
        self.summary.setText(self.tr("%1 work order(s) will be exported.").replace("%1", str(n)))
        pdf = self.format.currentData() == "pdf"
        self.with_map.setEnabled(pdf)
        self.with_photos.setEnabled(pdf)

    def values(self) -> dict[str, object]:
        return {**super().values(), "lang": self.lang.currentData(),
                "map": self.with_map.isChecked(), "photos": self.with_photos.isChecked()}

    def remembered(self, values: dict[str, object]) -> dict[str, object]:
        return {**super().remembered(values), "lang": values["lang"], "map": values["map"],
                "photos": values["photos"]}
