"""A window with exactly the members features may use (the :class:`Window` protocol of
``ui/shell/window.py``, documented in docs/ui-architecture.md), for testing features (editing,
work orders, history, import, printing, sync) and their widgets without the real main window:
no map is loaded, the canvas only records what it is asked, messages and data changes are
kept for the test to read."""

from __future__ import annotations

import os

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar, QWidget

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import MapView, drawable_layers
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.map.identify import IdentifyWidget
from citymgr_desktop.ui.map.layer_panel import LayerPanelWidget
from citymgr_desktop.ui.map.status_bar import MapStatusBar
from citymgr_desktop.ui.selection import SelectionModel
from citymgr_desktop.ui.shell.features import feature_name
from citymgr_desktop.ui.shell.window import Window


def window_members() -> list[str]:
    """The members of the :class:`Window` protocol: attributes, signals and methods."""
    names = set(Window.__annotations__)
    names |= {n for n, v in vars(Window).items() if callable(v) and not n.startswith("_")}
    return sorted(names)


class FakeCanvas(QWidget):
    """The map canvas as features use it, over a fixed extent; zooms are only recorded."""

    clicked = Signal(float, float)
    toolChanged = Signal(str)
    extentChanged = Signal(object)

    def __init__(self, crs=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map_crs = crs
        self.zoomed = None
        self.tool = "pan"
        self._extent = (526_000.0, 3_379_000.0, 531_000.0, 3_384_000.0)

    def extent(self):
        return self._extent

    def width(self) -> int:
        return 1000

    def view(self) -> MapView:
        return MapView.fit(self._extent, QRectF(0, 0, 1000, 1000))

    def zoom_to_bbox(self, *bbox):
        self.zoomed = bbox

    def refresh(self):
        pass

    def set_tool(self, tool):
        self.tool = tool
        self.toolChanged.emit(tool)

    def setCursor(self, cursor):
        self.cursor = cursor


class ContractWindow(QMainWindow):
    """The main-window contract and nothing more, over ``store`` (which the test owns)."""

    storeChanged = Signal(object)
    dataChanged = Signal(object)
    mapLoaded = Signal(object)

    def __init__(self, store) -> None:
        super().__init__()
        self.store = store
        self.map_data = None  # never loaded: features read the file themselves
        self.edit_session = None
        self.commands = CommandStack()
        self.selection = SelectionModel(self)
        self.canvas = FakeCanvas(store.project_crs() if store is not None else None, self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanelWidget(self)
        self.layer_panel.hide()
        if store is not None:
            self.layer_panel.set_layers(drawable_layers(store),
                                        {li.name: li.count for li in store.layers()})
        self.identify_panel = IdentifyWidget(self)
        self.identify_panel.hide()
        self.status_bar = MapStatusBar(self)
        self.setStatusBar(self.status_bar)
        self.lang = i18n.language()
        self.feature_errors: dict[str, str] = {}
        self.installed_features: dict[str, object] = {}
        self._menus: dict[str, QMenu] = {}
        self._docks: dict[str, QDockWidget] = {}
        self._close_guards: list = []
        self._toolbar = self.addToolBar("main")
        self.changed: list[set[str]] = []
        self.messages: list[str] = []
        self.layer = "litter_bin"
        self.setWindowTitle("district.gpkg - citymgr")

    def install(self, module):
        """Install a feature module (``ui/<feature>/feature.py``) as the main window does;
        returns what its ``install`` returned (also in ``installed_features``)."""
        self.installed_features[feature_name(module)] = module.install(self)
        return self.installed_features[feature_name(module)]

    # -- the open file -----------------------------------------------------------------------
    def open_store(self, store) -> None:
        self.store = store
        self.commands = CommandStack()
        self.storeChanged.emit(store)

    def open_file(self, path: str | os.PathLike[str]) -> bool:
        if not self.close_file():
            return False
        self.open_store(Store.open(path))
        return True

    def close_file(self) -> bool:
        if not all(guard() is not False for guard in list(self._close_guards)):
            return False
        if self.store is not None:
            self.store = None
            self.commands = CommandStack()
            self.storeChanged.emit(None)
        return True

    def add_close_guard(self, guard) -> None:
        self._close_guards.append(guard)

    def closeEvent(self, event) -> None:
        if not self.close_file():
            event.ignore()
            return
        super().closeEvent(event)

    def notify_data_changed(self, tables):
        self.changed.append(set(tables))
        self.dataChanged.emit(set(tables))

    # -- selection and map ------------------------------------------------------------------
    def current_layer(self):
        return self.layer

    def hits_at(self, x: float, y: float) -> list[tuple[str, str]]:
        return []

    def zoom_to_selection(self) -> None:
        pass

    def zoom_to_layer(self, name: str | None) -> None:
        pass

    # -- menus, tool bar, docks, status -----------------------------------------------------
    def menu(self, key: str) -> QMenu:
        if key not in self._menus:
            self._menus[key] = self.menuBar().addMenu(key)
        return self._menus[key]

    def toolbar(self) -> QToolBar:
        return self._toolbar

    def add_dock(self, widget, area: Qt.DockWidgetArea, object_name: str) -> QDockWidget:
        dock = QDockWidget(object_name, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks[object_name] = dock
        return dock

    def dock(self, object_name: str) -> QDockWidget | None:
        return self._docks.get(object_name)

    def status(self, message, ms=4000):
        self.messages.append(message)

    def user_name(self) -> str:
        return "测试员"
