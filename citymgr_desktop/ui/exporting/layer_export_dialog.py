"""Dialog to export an asset layer (QGIS's "Save Features As…"): which assets (the selected,
those the attribute table's filter shows, or all), format (GeoJSON, GeoPackage, CSV, XLSX),
coded values as words or codes, and the file, its name suggested from the layer and the
街道 or the scope; the choices and the folder are remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
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

from citymgr_desktop.core.messages import sentences
from citymgr_desktop.ui import i18n

SETTINGS = "layers/export"
SCOPES = ("selected", "filtered", "all")
FORMATS = (("geojson", "GeoJSON (*.geojson)"), ("gpkg", "GeoPackage (*.gpkg)"),
           ("csv", "CSV (*.csv)"), ("xlsx", "Excel (*.xlsx)"))


class LayerExportDialog(QDialog):
    """Chooses what to write; the caller runs the export in a worker."""

    def __init__(self, parent: QWidget | None, layer_label: str, counts: dict[str, int],
                 names: dict[str, str], folder: Path | None = None,
                 unsaved: bool = False) -> None:
        """``counts``: how many assets each scope (``SCOPES``) exports; ``names``: the file
        name each scope suggests; ``folder``: where the file goes until one was chosen."""
        super().__init__(parent)
        self.setObjectName("layerExportDialog")
        self.setWindowTitle(self.tr("Export layer — %1").replace("%1", layer_label))
        s = QSettings()
        saved = s.value(SETTINGS, {}) or {}
        saved = saved if isinstance(saved, dict) else {}
        self.counts, self.names = counts, names
        form = QFormLayout()
        self.scope = QComboBox()
        self.scope.setObjectName("layerExportScope")
        labels = {"selected": self.tr("Selected assets (%1)"),
                  "filtered": self.tr("Assets the table's filter shows (%1)"),
                  "all": self.tr("All assets (%1)")}
        for key in SCOPES:
            self.scope.addItem(labels[key].replace("%1", f"{counts.get(key, 0):,}"), key)
            if not counts.get(key):  # nothing selected, no filter: not a choice
                item = self.scope.model().item(self.scope.count() - 1)  # type: ignore[attr-defined]
                item.setEnabled(False)
        wanted = str(saved.get("scope", "selected"))
        order = [wanted, *SCOPES] if wanted in SCOPES else list(SCOPES)
        first = next((k for k in order if counts.get(k)), "all")
        self.scope.setCurrentIndex(max(self.scope.findData(first), 0))
        form.addRow(self.tr("Assets"), self.scope)
        self.format = QComboBox()
        self.format.setObjectName("layerExportFormat")
        for key, label in FORMATS:
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(self.format.findData(saved.get("format", "geojson")),
                                        0))
        form.addRow(self.tr("Format"), self.format)
        self.codes = QComboBox()
        self.codes.setObjectName("layerExportCodes")
        self.codes.addItem(self.tr("As words (the interface's language)"), False)
        self.codes.addItem(self.tr("As stored codes"), True)
        self.codes.setCurrentIndex(1 if str(saved.get("codes", "false")).lower() == "true"
                                   else 0)
        form.addRow(self.tr("Coded values"), self.codes)
        self.folder = Path(str(saved.get("folder") or folder or Path.home()))
        self.path = QLineEdit()
        self.path.setObjectName("layerExportPath")
        self.path.setMinimumWidth(380)
        self._suggested = ""
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow(self.tr("File"), row)
        self.note = QLabel()
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.unsaved = unsaved
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.scope.currentIndexChanged.connect(lambda _i: self._suggest())
        self.format.currentIndexChanged.connect(lambda _i: self._suggest())
        self._suggest()

    def _suggest(self) -> None:
        """The suggested file for the scope and format; a name the user typed is kept (its
        suffix follows the format)."""
        fmt = self.format.currentData()
        current = Path(self.path.text().strip()) if self.path.text().strip() else None
        if current is None or str(current) == self._suggested:
            name = self.names.get(self.scope.currentData(), "export")
            current = self.folder / name
            self._suggested = str(current.with_name(f"{name}.{fmt}"))
            self.path.setText(self._suggested)
        else:
            self.path.setText(str(current.with_suffix(f".{fmt}")))
        notes = []
        if fmt == "geojson":
            notes.append(self.tr("GeoJSON is written in WGS 84 (longitude/latitude), as RFC "
                                 "7946 requires."))
        elif fmt == "gpkg":
            notes.append(self.tr("GeoPackage keeps the project's coordinate system and a "
                                 "QGIS style."))
        else:
            notes.append(self.tr("The table has a location point of each asset in WGS 84."))
        if self.unsaved:
            notes.append(self.tr("Unsaved edits are exported as the window shows them."))
        self.note.setText(sentences(notes, i18n.language()))

    def _browse(self) -> None:
        fmt = self.format.currentData()
        name, _ = QFileDialog.getSaveFileName(self, self.windowTitle(), self.path.text(),
                                              dict(FORMATS)[fmt])
        if name:
            self.path.setText(name)

    def values(self) -> dict[str, object]:
        return {"scope": self.scope.currentData(), "format": self.format.currentData(),
                "codes": bool(self.codes.currentData()), "path": self.path.text().strip()}

    def accept(self) -> None:
        v = self.values()
        if not v["path"]:
            return
        QSettings().setValue(SETTINGS, {"scope": v["scope"], "format": v["format"],
                                        "codes": v["codes"],
                                        "folder": str(Path(str(v["path"])).parent)})
        super().accept()
