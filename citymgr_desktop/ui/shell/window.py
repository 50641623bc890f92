"""The main-window contract in code: what features (``ui/<feature>/feature.py``), their
dialogs and the shell's helper modules may use of the window, as a typed :class:`Window`
protocol. :class:`~citymgr_desktop.ui.shell.main_window.MainWindow` satisfies it; nothing
but the application entry point (and tests) imports ``MainWindow`` itself.

docs/ui-architecture.md explains each member. A feature that needs more of the window adds
a member here (and to ``MainWindow``), it never probes the window with ``hasattr``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtCore import QObject, Qt, SignalInstance
    from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar, QWidget

    from citymgr_desktop.core.commands import CommandStack
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import MapData
    from citymgr_desktop.ui.map.canvas import MapCanvas
    from citymgr_desktop.ui.map.identify import IdentifyWidget
    from citymgr_desktop.ui.map.layer_panel import LayerPanelWidget
    from citymgr_desktop.ui.map.status_bar import MapStatusBar
    from citymgr_desktop.ui.map.tool_manager import MapToolManager
    from citymgr_desktop.ui.selection import SelectionModel

_Child = TypeVar("_Child", bound="QObject")


@runtime_checkable
class Window(Protocol):
    """The application window as features see it: one open file at a time, its undo stack,
    the selection, the map, menus, the tool bar and docks.

    The window is also a ``QMainWindow``: features make it the parent of their actions,
    dialogs and docks. Of Qt's own API only what features rely on is listed (last block).
    Attributes are read-only for features; signals are the window's ``Signal`` members.
    """

    # -- the open file ----------------------------------------------------------------------
    store: Store | None
    """The open file, ``None`` when nothing is open."""
    storeChanged: SignalInstance
    """``Signal(object)``: after a file was opened or closed (the store, or ``None``)."""
    commands: CommandStack
    """The undo stack of the open file (a new stack per file)."""
    dataChanged: SignalInstance
    """``Signal(object)``: a ``set[str]`` of the tables whose data changed."""
    edit_session: EditSession | None
    """The open file's one edit session: every unsaved change (assets, maintenance records,
    work orders, attachments) as pending edits; ``None`` when the file is read-only or not a
    project. Features push their changes into it and read through it."""
    is_project: bool
    """The open file is a citymgr project (False for a plain GeoPackage shown read-only, or
    when nothing is open): features that need the project's tables check it."""
    map_data: MapData | None
    """The loaded map (``citymgr_desktop.render``) with the pending edits drawn as if saved;
    ``None`` while loading. Read-only: share it with worker threads."""
    mapLoaded: SignalInstance
    """``Signal(object)``: the map of the open file is loaded (the ``MapData``)."""

    def open_file(self, path: str | os.PathLike[str],
                  extent: tuple[float, float, float, float] | None = None) -> bool:
        """Open ``path`` (closing the current file); errors are shown to the user. The first
        view is ``extent`` (map CRS), else the one the file was closed at."""
        ...

    def close_file(self) -> bool:
        """Close the open file (after asking the close guards); False if one said no."""
        ...

    def add_close_guard(self, guard: Callable[[], bool]) -> None:
        """``guard()`` runs before the file is closed, another opened or the app quits; it
        returns False to keep the file open (e.g. "save changes?" -> Cancel)."""
        ...

    def add_write_guard(self, guard: Callable[[QWidget, str, str], bool]) -> None:
        """``guard(parent, what, button)`` runs before the app itself writes the open file
        outside the edit session (a sync, its conflicts' resolution or undo, an import, a
        field package); it returns False to write nothing (e.g. unsaved edits: "Save and
        sync" -> Cancel). ``what`` says what is about to be written, ``button`` is the text
        of the button that goes ahead."""
        ...

    def may_write(self, parent: QWidget, what: str, button: str) -> bool:
        """Call before writing the open file outside the edit session: True when every
        write guard agreed (the unsaved edits saved first), False to write nothing.
        ``parent`` is the dialog that asks (the question is shown over it)."""
        ...

    def add_open_handler(self, handler: Callable[[str], bool]) -> None:
        """``handler(path)`` runs when ``open_file`` meets a file that is no GeoPackage it can
        open (before the error is shown); it returns True when it took the file (e.g. the
        import wizard for a Shapefile), and then the window shows nothing more."""
        ...

    def notify_data_changed(self, tables: set[str]) -> None:
        """Call after writing to the store: the map reloads those layers, panels refresh."""
        ...

    # -- the selection and the map ----------------------------------------------------------
    selection: SelectionModel
    """Selected keys (``asset_uuid``, or fid for foreign layers) per layer."""
    canvas: MapCanvas
    """The map widget: extent, zooms, tools, ``clicked(x, y)`` in map coordinates."""
    tools: MapToolManager
    """The one map-tool manager (``canvas.tools``): ``register(tool, action)`` adds a
    feature's tool and its checkable action to the one exclusive group."""

    def current_layer(self) -> str | None:
        """The current layer (``selection.current_layer``): the layer panel's row, the
        attribute table's layer and the layer of a selection made on the map agree."""
        ...

    def hits_at(self, x: float, y: float) -> list[tuple[str, str]]:
        """(layer, key) of the features under a map point in visible layers, top layer first."""
        ...

    def zoom_to_selection(self) -> None:
        """Show the selected features (View menu, Ctrl+J)."""
        ...

    def identify_features(self, hits: list[tuple[str, str]]) -> None:
        """Show (layer, key) features in the identify panel, the first outlined on the map,
        its dock brought forward (as after a click of the identify tool)."""
        ...

    def zoom_to_layer(self, name: str | None) -> None:
        """Show the whole layer ``name`` (Layer menu, Ctrl+Shift+L)."""
        ...

    # -- menus, tool bar, docks and the status bar ------------------------------------------
    layer_panel: LayerPanelWidget
    """The layer panel (visible layers, drawing order, legend)."""
    identify_panel: IdentifyWidget
    """The identify results."""
    status_bar: MapStatusBar
    """Cursor position, scale, CRS, selection count and messages."""

    def menu(self, key: str) -> QMenu:
        """A top-level menu: ``file``, ``edit``, ``view``, ``layer``, ``asset``,
        ``workorder``, ``tools``, ``settings``, ``help``."""
        ...

    def toolbar(self) -> QToolBar:
        """The main tool bar."""
        ...

    def add_dock(self, widget: QWidget, area: Qt.DockWidgetArea, object_name: str
                 ) -> QDockWidget:
        """Add ``widget`` in a dock; its place and visibility are remembered by name."""
        ...

    def dock(self, object_name: str) -> QDockWidget | None:
        """A dock added with :meth:`add_dock` (e.g. ``"layersDock"``, ``"identifyDock"``)."""
        ...

    def status(self, message: str, ms: int = 4000) -> None:
        """A message in the status bar."""
        ...

    # -- the person and the language --------------------------------------------------------
    lang: str
    """The interface language in use (``en`` / ``zh_CN``)."""
    feature_errors: dict[str, str]
    """Features that failed to import or install (module -> error); the app still runs."""

    def user_name(self, ask: bool = True) -> str:
        """The editor's name for ``updated_by`` (settings); the first time an edit needs it
        (``ask``) the user is asked once and the answer kept; else the OS login."""
        ...

    # -- Qt's own members of the QMainWindow that features use ------------------------------
    windowTitleChanged: SignalInstance

    def windowTitle(self) -> str: ...

    def setWindowTitle(self, title: str) -> None: ...

    def setWindowModified(self, modified: bool) -> None: ...

    def findChild(self, kind: type[_Child], name: str = ...) -> _Child | None: ...

    def findChildren(self, kind: type[_Child], name: str = ...) -> list[_Child]: ...

    def dockWidgetArea(self, dock: QDockWidget) -> Qt.DockWidgetArea: ...

    def tabifiedDockWidgets(self, dock: QDockWidget) -> list[QDockWidget]: ...

    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...

    def close(self) -> bool: ...

    def activateWindow(self) -> None: ...
