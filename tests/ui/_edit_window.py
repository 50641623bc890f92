"""A window with exactly the members docs/ui-architecture.md promises to features, for testing
features (editing, work orders, import) and their widgets without the real main window."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.ui.selection import SelectionModel
from citymgr_desktop.ui.shell.window import Window


def window_members() -> list[str]:
    """The members of the :class:`Window` protocol: attributes, signals and methods."""
    names = set(Window.__annotations__)
    names |= {n for n, v in vars(Window).items() if callable(v) and not n.startswith("_")}
    return sorted(names)


class FakeCanvas(QObject):
    clicked = Signal(float, float)
    toolChanged = Signal(str)

    def __init__(self, crs=None) -> None:
        super().__init__()
        self.map_crs = crs
        self.zoomed = None
        self.tool = "pan"
        self._extent = (526_000.0, 3_379_000.0, 531_000.0, 3_384_000.0)

    def extent(self):
        return self._extent

    def width(self) -> int:
        return 1000

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
    storeChanged = Signal(object)
    dataChanged = Signal(object)

    def __init__(self, store) -> None:
        super().__init__()
        self.store = store
        self.commands = CommandStack()
        self.selection = SelectionModel(self)
        self.canvas = FakeCanvas(store.project_crs() if store is not None else None)
        self._menus: dict[str, QMenu] = {}
        self._toolbar = self.addToolBar("main")
        self.changed: list[set[str]] = []
        self.messages: list[str] = []
        self.layer = "litter_bin"
        self.setWindowTitle("district.gpkg - citymgr")

    def menu(self, key: str) -> QMenu:
        if key not in self._menus:
            self._menus[key] = self.menuBar().addMenu(key)
        return self._menus[key]

    def toolbar(self) -> QToolBar:
        return self._toolbar

    def add_dock(self, widget, area, object_name) -> QDockWidget:
        dock = QDockWidget(object_name, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def current_layer(self):
        return self.layer

    def user_name(self) -> str:
        return "测试员"

    def notify_data_changed(self, tables):
        self.changed.append(set(tables))
        self.dataChanged.emit(set(tables))

    def status(self, message, ms=4000):
        self.messages.append(message)

    def open_store(self, store):
        self.store = store
        self.commands = CommandStack()
        self.storeChanged.emit(store)
