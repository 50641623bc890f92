"""Base maps and reference layers in the main window: the "Map layers" dock (rows with
visibility, opacity and order), Layer > Add Map Layer…, the canvas's backdrop (tiles from
the disk cache at once, the rest fetched off the UI thread) and one status line when a
layer could not be drawn. Changes are kept in the project file when it is writable."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction

from citymgr_desktop.core.basemaps import TileFetcher, project_layers, save_project_layers
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.store import Store
from citymgr_desktop.render.backdrop import Backdrop
from citymgr_desktop.ui.basemaps.add_layer_dialog import AddLayerDialog
from citymgr_desktop.ui.basemaps.map_layers_widget import MapLayersWidget
from citymgr_desktop.ui.i18n import render
from citymgr_desktop.ui.shell.window import Window

ORDER = 30


class BasemapsFeature(QObject):
    """The map layers of the open file, shown in a dock and drawn by the canvas."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.fetcher = TileFetcher()
        self.widget = MapLayersWidget()
        self.widget.setWindowTitle(self.tr("Map layers"))
        self.dock = window.add_dock(self.widget, Qt.DockWidgetArea.LeftDockWidgetArea,
                                    "mapLayersDock")
        self.dock.setWindowTitle(self.tr("Map layers"))
        settings = QSettings()
        if not settings.value("basemaps/installed", False, type=bool):
            # closed until asked for (View > Panels, Layer > Add Map Layer…, or a file that
            # keeps map layers): the window's layout stays as it was
            self.dock.hide()
            settings.setValue("basemaps/installed", True)
        self.add_action = QAction(self.tr("Add Map Layer…"), window)
        self.add_action.setObjectName("actionAddMapLayer")
        self.add_action.triggered.connect(self.add_layer)
        window.menu("layer").addAction(self.add_action)
        self.widget.addRequested.connect(self.add_layer)
        self.widget.layersEdited.connect(self._on_edited)
        window.storeChanged.connect(self._on_store)
        window.canvas.renderFinished.connect(self._after_frame)
        self._said = ""
        self._on_store(window.store)

    def _on_store(self, store: Store | None) -> None:
        layers = []
        if store is not None:
            try:
                layers = project_layers(store)
            except CitymgrError as exc:
                self.window.status(render(exc))
        self.widget.set_layers(layers)
        if layers and self.dock.isHidden():
            self.dock.show()
        self._apply()

    def _apply(self) -> None:
        store = self.window.store
        layers = self.widget.layers()
        # relative base-map paths are beside a file; a database has no folder
        folder = store.path.parent if store is not None and not store.is_database else None
        self.window.canvas.set_backdrop(
            Backdrop(layers, folder, self.fetcher, wait=False) if layers else None)

    def _on_edited(self) -> None:
        self._apply()
        store = self.window.store
        if store is None:
            return
        try:
            save_project_layers(store, self.widget.layers())
            self.widget.set_status("")
        except CitymgrError as exc:  # read-only: shown now, not kept
            self.widget.set_status(render(exc))

    def add_layer(self) -> None:
        self.dock.show()
        self.dock.raise_()
        dialog = AddLayerDialog(self.window)  # type: ignore[arg-type]
        try:
            if dialog.exec() and dialog.layer is not None:
                names = {la.name for la in self.widget.layers()}
                layer = dialog.layer
                if layer.name in names:
                    from dataclasses import replace

                    n = 2
                    while f"{layer.name} {n}" in names:
                        n += 1
                    layer = replace(layer, name=f"{layer.name} {n}")
                self.widget.set_layers([*self.widget.layers(), layer])
                self.widget.select(layer.name)
                self._on_edited()
        finally:
            dialog.deleteLater()

    def _after_frame(self, _seconds: float) -> None:
        backdrop = self.window.canvas.backdrop
        problems = [render(p) for p in backdrop.problems.values()] if backdrop else []
        text = "; ".join(problems)
        if text and text != self._said:
            self.window.status(self.tr("Map layer not drawn: %1").replace("%1", text), 8000)
        self.widget.set_status(text)
        self._said = text


def install(window: Window) -> BasemapsFeature:
    return BasemapsFeature(window)
