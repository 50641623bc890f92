"""Dialog to export work orders: which orders (the selected, those the list's filter shows,
or all), format (PDF, XLSX, CSV, GeoJSON, GeoPackage), file, language, map extracts; the
choices are remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

SETTINGS = "workorders/export"
SCOPES = ("selected", "filtered", "all")
FORMATS = (("pdf", "PDF (*.pdf)"), ("xlsx", "Excel (*.xlsx)"), ("csv", "CSV (*.csv)"),
           ("geojson", "GeoJSON (*.geojson)"), ("gpkg", "GeoPackage (*.gpkg)"))


class WorkOrderExportDialog(QDialog):
    """Chooses what to write; the caller runs the export in a worker."""

    def __init__(self, parent: QWidget | None, counts: dict[str, int], names: dict[str, str],
                 folder: Path | None = None) -> None:
        """``counts``: how many orders each scope (``SCOPES``) exports; ``names``: the file
        name suggested for each scope (without the ending; it follows the scope chosen until
        the person types a name of their own); ``folder``: where the file goes until one was
        chosen (the project's folder)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export work orders"))
        s = QSettings()
        saved = s.value(SETTINGS, {}) or {}
        saved = saved if isinstance(saved, dict) else {}
        form = QFormLayout()
        self.counts = counts
        self.names = names
        self.scope = QComboBox()
        self.scope.setObjectName("exportScope")
        labels = {"selected": self.tr("Selected orders (%1)"),
                  "filtered": self.tr("Orders the list shows (%1)"),
                  "all": self.tr("All orders (%1)")}
        for key in SCOPES:
            self.scope.addItem(labels[key].replace("%1", str(counts.get(key, 0))), key)
            if not counts.get(key):  # nothing selected: not a choice
                item = self.scope.model().item(self.scope.count() - 1)  # type: ignore[attr-defined]
                item.setEnabled(False)
        wanted = str(saved.get("scope", "selected"))
        order = [wanted, *SCOPES] if wanted in SCOPES else list(SCOPES)
        # the remembered scope, or the first that exports something
        first = next((k for k in order if counts.get(k)), "all")
        self.scope.setCurrentIndex(max(self.scope.findData(first), 0))
        form.addRow(self.tr("Orders"), self.scope)
        self.summary = QLabel()
        form.addRow(self.summary)
        self.format = QComboBox()
        for key, label in FORMATS:
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(self.format.findData(saved.get("format", "pdf")), 0))
        form.addRow(self.tr("Format"), self.format)
        folder = Path(str(saved.get("folder") or folder or Path.home()))
        self.suggested = self.names.get(self.scope.currentData(), "workorders")
        self.path = QLineEdit(str(folder / f"{self.suggested}.{self.format.currentData()}"))
        self.path.setMinimumWidth(380)
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(self.tr("File"), row)
        self.lang = QComboBox()
        self.lang.addItem("中文", "zh")
        self.lang.addItem("English", "en")
        self.lang.setCurrentIndex(max(self.lang.findData(saved.get("lang", "zh")), 0))
        form.addRow(self.tr("Language"), self.lang)
        self.with_map = QCheckBox(self.tr("Map extract on each order (PDF)"))
        self.with_map.setChecked(str(saved.get("map", "true")).lower() == "true")
        form.addRow("", self.with_map)
        self.with_photos = QCheckBox(self.tr("Latest photo of each asset (PDF)"))
        self.with_photos.setChecked(str(saved.get("photos", "false")).lower() == "true")
        form.addRow("", self.with_photos)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()
        self.scope.currentIndexChanged.connect(self._scope_changed)
        self._scope_changed()

    def _scope_changed(self) -> None:
        scope = self.scope.currentData()
        n = self.counts.get(scope, 0)
        self.summary.setText(self.tr("%1 work order(s) will be exported.").replace("%1", str(n)))
        p = Path(self.path.text().strip())
        name = self.names.get(scope, self.suggested)
        if p.stem == self.suggested and name != self.suggested:  # not a name typed
            self.path.setText(str(p.with_name(name + p.suffix)))
        self.suggested = name

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        p = Path(self.path.text())
        if p.name:
            self.path.setText(str(p.with_suffix(f".{fmt}")))
        self.with_map.setEnabled(fmt == "pdf")
        self.with_photos.setEnabled(fmt == "pdf")

    def _browse(self) -> None:
        fmt = self.format.currentData()
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export work orders"),
                                              self.path.text(), dict(FORMATS)[fmt])
        if name:
            self.path.setText(name)

    def values(self) -> dict[str, object]:
        return {"scope": self.scope.currentData(),
                "format": self.format.currentData(), "path": self.path.text().strip(),
                "lang": self.lang.currentData(), "map": self.with_map.isChecked(),
                "photos": self.with_photos.isChecked()}

    def accept(self) -> None:
        v = self.values()
        if not v["path"]:
            return
        QSettings().setValue(SETTINGS, {"scope": v["scope"], "format": v["format"],
                                        "lang": v["lang"],
                                        "map": v["map"], "photos": v["photos"],
                                        "folder": str(Path(str(v["path"])).parent)})
        super().accept()
