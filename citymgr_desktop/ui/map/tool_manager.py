"""One manager for every map tool: the canvas's own (pan, zoom box, select, identify) and the
ones features add (add and move a point asset, measure). Exactly one tool is active; its
action is checked in one exclusive group, whoever chose it (menu, tool bar, shortcut, a
feature, Esc). ``toolChanged`` is emitted only when the tool really changes, so a tool is
never switched off by the canvas restoring its cursor (issue 12: add point did nothing).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QPainter

from citymgr_desktop.render import MapView

BUILT_IN = ("pan", "zoom_in", "zoom_out", "select", "identify")


class MapTool(QObject):
    """A tool a feature adds to the map. The canvas hands it clicks, double clicks and moves
    in map coordinates; drags still pan the map unless ``pans`` is False; ``paint`` draws
    its rubber band over the map (device pixels through ``view``)."""

    name = ""
    cursor = Qt.CursorShape.CrossCursor
    pans = True

    def activate(self) -> None:
        """The tool was chosen."""

    def deactivate(self) -> None:
        """Another tool was chosen (or the file closed): forget half-done work."""

    def clicked(self, x: float, y: float, modifiers: Qt.KeyboardModifier,
                button: Qt.MouseButton) -> None:
        """A click (press and release without a drag) at map point (x, y)."""

    def double_clicked(self, x: float, y: float) -> None:
        """A double click at map point (x, y)."""

    def moved(self, x: float, y: float) -> None:
        """The cursor moved to map point (x, y) (buttons up)."""

    def escape(self) -> bool:
        """Esc was pressed: True when the tool used it (dropped a half-drawn shape)."""
        return False

    def paint(self, painter: QPainter, view: MapView) -> None:
        """Draw over the map (rubber bands, pick markers)."""


class MapToolManager(QObject):
    """The active tool of one canvas, the registered feature tools and the one group of
    checkable actions that shows which is active."""

    toolChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = "pan"
        self._tools: dict[str, MapTool] = {}
        self._actions: dict[str, QAction] = {}
        self.group = QActionGroup(self)
        self.group.setExclusive(True)

    def register(self, tool: MapTool, action: QAction | None = None) -> None:
        """Add a feature's tool (and the checkable action that chooses it)."""
        if not tool.name or tool.name in BUILT_IN:
            raise ValueError(f"a map tool needs a name of its own, not {tool.name!r}")
        self._tools[tool.name] = tool
        if action is not None:
            self.add_action(tool.name, action)

    def add_action(self, name: str, action: QAction) -> None:
        """``action`` chooses tool ``name`` and is checked while it is active."""
        action.setCheckable(True)
        self.group.addAction(action)
        self._actions.setdefault(name, action)
        action.setChecked(name == self.active)

    def names(self) -> list[str]:
        return [*BUILT_IN, *self._tools]

    def tool(self, name: str | None = None) -> MapTool | None:
        """The feature tool ``name`` (default: the active one); None for a built-in tool."""
        return self._tools.get(name or self.active)

    def set_active(self, name: str) -> bool:
        """Make ``name`` the active tool; False when it already was."""
        if name not in BUILT_IN and name not in self._tools:
            raise ValueError(f"unknown map tool {name!r}")
        if name == self.active:
            self._check(name)
            return False
        old = self._tools.get(self.active)
        self.active = name
        if old is not None:
            old.deactivate()
        self._check(name)
        new = self._tools.get(name)
        if new is not None:
            new.activate()
        self.toolChanged.emit(name)
        return True

    def _check(self, name: str) -> None:
        action = self._actions.get(name) or (self._actions.get("zoom_in")
                                             if name == "zoom_out" else None)
        if action is not None and not action.isChecked():
            action.setChecked(True)
