"""Add Map Layer: a tile URL template or a file (orthophoto, MBTiles, Shapefile, DXF…), its
name, opacity and, for a file without one, its CRS. The layer is checked before the dialog
closes (a refusal is shown in the dialog, in the interface language). The check reads a WMTS
capabilities document or opens the file, so it runs off the UI thread with a Cancel: a slow
server never freezes the window."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from citymgr_desktop.core.basemaps import MapLayer, make_layer
from citymgr_desktop.core.errors import CancelledError, CitymgrError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.ui.i18n import render
from citymgr_desktop.ui.worker import Task, run_task, show_error

FILE_FILTER = ("Maps and layers (*.tif *.tiff *.jp2 *.mbtiles *.gpkg *.shp *.geojson *.json "
               "*.dxf *.kml);;All files (*)")


class AddLayerDialog(QDialog):
    """Asks for a base map or reference layer; :attr:`layer` is the checked result."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addLayerDialog")
        self.setWindowTitle(self.tr("Add Map Layer"))
        self.layer: MapLayer | None = None
        self.location = QLineEdit(objectName="layerLocation")
        self.location.setPlaceholderText(self.tr("https://…/{z}/{x}/{y}.png or a file"))
        browse = QPushButton(self.tr("Browse…"), objectName="browseLayer")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(browse)
        self.name = QLineEdit(objectName="layerName")
        self.name.setPlaceholderText(self.tr("from the file or the address"))
        self.opacity = QDoubleSpinBox(objectName="layerOpacity")
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setSingleStep(0.1)
        self.opacity.setValue(1.0)
        self.crs = QLineEdit(objectName="layerCrs")
        self.crs.setPlaceholderText(self.tr("only for a file without a CRS, e.g. EPSG:4547"))
        self.error = QLabel(objectName="addLayerError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.task: Task | None = None
        form = QFormLayout(self)
        form.addRow(self.tr("Address or file"), where)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Opacity"), self.opacity)
        form.addRow(self.tr("CRS"), self.crs)
        form.addRow(self.error)
        form.addRow(buttons)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Add Map Layer"), "",
                                              self.tr(FILE_FILTER))
        if path:
            self.location.setText(path)

    def accept(self) -> None:
        """Check the layer in a worker thread; the dialog closes when it is good."""
        if self.task is not None and self.task.is_running():
            return
        location, name = self.location.text().strip(), self.name.text().strip() or None
        opacity, crs = self.opacity.value(), self.crs.text().strip() or None

        def check(progress: Progress) -> MapLayer:
            progress.update(0, 0, location)
            layer = make_layer(location, name=name, opacity=opacity, crs=crs)
            progress.check()  # cancelled while the server was answering: drop the answer
            return layer

        self.ok_button.setEnabled(False)
        self.error.setText("")
        self.task = run_task(self, self.tr("Checking the map layer"), check, uses=None,
                             on_done=self._checked, on_error=self._refused)

    def _checked(self, layer: MapLayer) -> None:
        self.ok_button.setEnabled(True)
        self.layer = layer
        super().accept()

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, CancelledError):
            return  # back to the dialog, nothing added
        if isinstance(exc, CitymgrError):
            self.error.setText(render(exc))
        else:
            show_error(self, self.tr("Add Map Layer"), exc)

    def reject(self) -> None:
        """Closing while a check runs cancels it and waits for the thread to end (the
        read has a timeout), so no thread outlives its dialog."""
        if self.task is not None and self.task.is_running():
            self.task.cancel()
            self.task.wait()
        super().reject()
