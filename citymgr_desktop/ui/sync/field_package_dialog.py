"""The check-out dialog: write a field package of the open file for QField / QGIS: where it
goes, which area (whole file, a sub-district, or the current map view), which layers, the
surveyor and how much history goes along. Runs in a worker with progress and Cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
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
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.errors import CancelledError, CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sync.checkout import ASSET_LAYERS, PackageResult
from citymgr_desktop.core.sync.database_checkout import create_package_of
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import run_task

KEY = "field_package/"
AREA_ALL, AREA_DISTRICT, AREA_VIEW = "all", "district", "view"


class FieldPackageDialog(QDialog):
    """Check out a field package of ``window.store`` (the main-window contract)."""

    created = Signal(object)  # PackageResult

    def __init__(self, window: Window, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.window, self.store = window, window.store
        self.task: Any = None
        self.result: PackageResult | None = None
        self.setWindowTitle(self.tr("New field package"))
        self.out = QLineEdit(placeholderText=self.tr("Where the package (.gpkg) is written"))
        browse = QPushButton(self.tr("&Browse…"))
        browse.clicked.connect(self.browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        self.area = QComboBox()
        self.area.addItem(self.tr("Whole file"), AREA_ALL)
        self.area.addItem(self.tr("One sub-district"), AREA_DISTRICT)
        self.area.addItem(self.tr("Current map view"), AREA_VIEW)
        self.district = QComboBox()
        self.district.addItems(self.store.districts())
        self.area.currentIndexChanged.connect(self._area_changed)
        self.district.currentIndexChanged.connect(self._area_changed)
        self.layers = {}
        layer_row = QHBoxLayout()
        for name in ASSET_LAYERS:
            box = QCheckBox(sc.table(name).label(label_language()))
            box.setChecked(True)
            self.layers[name] = box
            layer_row.addWidget(box)
        self.surveyor = QLineEdit(placeholderText=self.tr("Who takes it out"))
        self.years = QSpinBox(minimum=0, maximum=50, suffix=self.tr(" years"))
        self.years.setValue(3)
        self.all_history = QCheckBox(self.tr("All history"))
        self.all_history.toggled.connect(lambda on: self.years.setEnabled(not on))
        hist_row = QHBoxLayout()
        hist_row.addWidget(self.years)
        hist_row.addWidget(self.all_history)
        hist_row.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Package file:"), out_row)
        form.addRow(self.tr("Area:"), self.area)
        form.addRow(self.tr("Sub-district:"), self.district)
        form.addRow(self.tr("Layers:"), layer_row)
        form.addRow(self.tr("Surveyor:"), self.surveyor)
        form.addRow(self.tr("Maintenance history:"), hist_row)
        self.message = QLabel(wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.create_button = self.buttons.addButton(self.tr("&Create package"),
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(620)
        self._restore()
        self._suggestions = {self._suggested_name()}
        self._area_changed()

    def _restore(self) -> None:
        s = QSettings()
        self.surveyor.setText(str(s.value(KEY + "surveyor", "")))
        self.years.setValue(int(s.value(KEY + "years", 3)))
        if self.store.is_database:  # no folder of its own: the home folder, the database's name
            home, stem = Path.home(), str(self.store.path).rsplit("/", 1)[-1].split("?")[0]
        else:
            home, stem = self.store.path.parent, self.store.path.stem
        folder = Path(str(s.value(KEY + "folder", "")) or home)
        self._stem = stem.replace("service=", "")
        self.out.setText(str(folder / self._suggested_name()))

    def _suggested_name(self) -> str:
        """``district-field.gpkg``, or ``district-粮道街道.gpkg`` for one sub-district."""
        if self.area.currentData() == AREA_DISTRICT and self.district.currentText():
            return f"{self._stem}-{self.district.currentText()}.gpkg"
        return f"{self._stem}-field.gpkg"

    def _save(self) -> None:
        s = QSettings()
        s.setValue(KEY + "surveyor", self.surveyor.text().strip())
        s.setValue(KEY + "years", self.years.value())
        if self.out.text().strip():
            s.setValue(KEY + "folder", str(Path(self.out.text().strip()).parent))

    def _area_changed(self, *_: Any) -> None:
        """The 街道 drop-down follows the area; a file name the dialog suggested follows the
        街道 (one the person typed or browsed to is kept)."""
        self.district.setEnabled(self.area.currentData() == AREA_DISTRICT)
        current = Path(self.out.text().strip())
        if self.out.text().strip() and current.name in self._suggestions:
            name = self._suggested_name()
            self._suggestions.add(name)
            self.out.setText(str(current.with_name(name)))

    def busy(self) -> bool:
        return self.task is not None and self.task.is_running()

    def done(self, result: int) -> None:
        if not self.busy():
            self._save()
            super().done(result)

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Field package"),
                                              self.out.text().strip(),
                                              self.tr("GeoPackage (*.gpkg)"))
        if path:
            self.out.setText(path if path.lower().endswith(".gpkg") else path + ".gpkg")

    def create(self) -> None:
        if self.busy():
            return
        out = self.out.text().strip()
        layers = [n for n, box in self.layers.items() if box.isChecked()]
        if not out or not layers:
            self.message.setText(self.tr("Choose the package file and at least one layer."))
            return
        if not self.window.may_write(self, self.tr(
                "The package takes the assets as saved in this file. Save your edits first, "
                "so that the field gets them."), self.tr("Save and write the package")):
            return
        area = self.area.currentData()
        kwargs: dict[str, Any] = {
            "layers": layers, "surveyor": self.surveyor.text().strip(),
            "user": self.window.user_name(), "overwrite": False,
            "history_years": None if self.all_history.isChecked() else self.years.value(),
            "district": self.district.currentText() if area == AREA_DISTRICT else None,
            "bbox": self.view_bbox() if area == AREA_VIEW else None,
        }
        self._save()
        self.message.setText("")
        self.task = run_task(self, self.tr("Writing %1").replace("%1", Path(out).name),
                             create_package_of, self.store, out, uses=self.store,
                             on_done=self._done,
                             on_error=self._error, **kwargs)

    def view_bbox(self) -> tuple[float, float, float, float]:
        """The map view's extent in the project's CRS."""
        canvas = self.window.canvas
        minx, miny, maxx, maxy = (float(v) for v in canvas.extent())
        map_crs = canvas.map_crs
        project = self.store.project_crs()
        if map_crs is not None and not project.equals(map_crs):
            from pyproj import Transformer

            t = Transformer.from_crs(map_crs, project, always_xy=True)
            minx, miny, maxx, maxy = t.transform_bounds(minx, miny, maxx, maxy)
        return minx, miny, maxx, maxy

    def _done(self, result: PackageResult) -> None:
        self.task = None
        self.result = result
        assets = sum(v for k, v in result.counts.items() if k in ASSET_LAYERS)
        text = (self.tr("Wrote %1 and %2: %3 assets, %4 maintenance records. Copy both files "
                        "to the tablet; bring the .gpkg back to sync it.")
                .replace("%1", result.path.name).replace("%2", result.qgz.name)
                .replace("%3", str(assets))
                .replace("%4", str(result.counts.get("maintenance_record", 0))))
        self.message.setText(text)
        self.window.status(text, 8000)
        self.created.emit(result)

    def _error(self, exc: BaseException) -> None:
        self.task = None
        if isinstance(exc, CancelledError):
            self.message.setText(self.tr("Cancelled: nothing was written."))
        elif isinstance(exc, CitymgrError):
            self.message.setText(i18n.render(exc))
        else:
            self.message.setText(self.tr("Unexpected error: %1").replace("%1", str(exc)))
