"""The main window: the map canvas, the layer panel, identify results, the status bar; it
satisfies the contract that features (``ui/<feature>/feature.py``) build on, the
:class:`~citymgr_desktop.ui.shell.window.Window` protocol (docs/ui-architecture.md). Only the
entry point (``ui/app.py``) and tests import this module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QToolBar,
    QWidget,
)

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.editing import EditSession, held_elsewhere
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.targets import is_database_target
from citymgr_desktop.render import MapData, drawable_layers, layer_title
from citymgr_desktop.render.view import Extent
from citymgr_desktop.ui import i18n, icons
from citymgr_desktop.ui.map.canvas import MapCanvas
from citymgr_desktop.ui.map.identify import IdentifyWidget
from citymgr_desktop.ui.map.layer_panel import LayerPanelWidget
from citymgr_desktop.ui.map.status_bar import MapStatusBar
from citymgr_desktop.ui.selection import SelectionModel
from citymgr_desktop.ui.shell import actions as window_actions
from citymgr_desktop.ui.shell import database as db
from citymgr_desktop.ui.shell import features, read_only, start_page
from citymgr_desktop.ui.shell import file_session as fs
from citymgr_desktop.ui.shell import first_view as fv
from citymgr_desktop.ui.shell import select_identify as si
from citymgr_desktop.ui.shell import settings as ws
from citymgr_desktop.ui.shell.database_watch import DatabaseWatcher, watch_database
from citymgr_desktop.ui.shell.file_watch import FileWatcher, follow_file
from citymgr_desktop.ui.shell.map_loading import MapLoadingMixin
from citymgr_desktop.ui.worker import Task, show_error

log = logging.getLogger(__name__)
MAX_RECENT = 10


class MainWindow(MapLoadingMixin, QMainWindow):
    """The application window (one open file at a time); a
    :class:`~citymgr_desktop.ui.shell.window.Window`."""

    storeChanged = Signal(object)
    dataChanged = Signal(object)
    mapLoaded = Signal(object)  # MapData (or None) once the map of the open file is ready

    def __init__(self, install_features: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(icons.icon("app"))
        self.setAcceptDrops(True)
        self.store: Store | None = None
        self.is_project = False  # the open file is a citymgr project (not a plain GeoPackage)
        self.map_data: MapData | None = None  # the file's map with the pending edits drawn
        self._file_map: MapData | None = None  # the map as read from the file
        self.edit_session: EditSession | None = None
        self.commands = CommandStack()
        self._asked_name = False
        self.selection = SelectionModel(self)
        self.lang = i18n.language()
        self.feature_errors: dict[str, str] = {}
        self.installed_features: dict[str, object] = {}  # package name -> what install() returned
        self._close_guards: list[Callable[[], bool]] = []
        self._write_guards: list[Callable[[QWidget, str, str], bool]] = []
        self._open_handlers: list[Callable[[str], bool]] = []
        self._menus: dict[str, QMenu] = {}
        self._docks: dict[str, QDockWidget] = {}
        self._load_task: Task | None = None
        self._reloads: list[Task] = []  # the map read again (map_loading.py)
        self._changed_while_loading: set[str] = set()  # tables written while the map is read
        self._box_map: MapData | None = None  # the first view's box, until the whole map is read
        self._first_view: Extent | None = None  # the view the open file is shown at first
        self._watcher: DatabaseWatcher | FileWatcher | None = None  # others' commits
        self._restored = False  # window state restored: docks added later take their place
        self.canvas = MapCanvas(self)
        self.canvas.lang = self.lang
        self.setCentralWidget(self.canvas)
        self._toolbar = QToolBar(self.tr("Map"), self)
        self._toolbar.setObjectName("mainToolBar")
        self.addToolBar(self._toolbar)
        for key, title in window_actions.menu_titles().items():
            self._menus[key] = self.menuBar().addMenu(title)
            self._menus[key].setObjectName(f"menu_{key}")
        self.recent_menu = QMenu(self.tr("Open &Recent"), self)
        self.recent_menu.setObjectName("menu_recent")
        self.panels_menu = QMenu(self.tr("&Panels"), self)  # a show/hide item per dock
        self.layer_panel = LayerPanelWidget(self)
        self.layer_panel.lang = self.lang
        self.identify_panel = IdentifyWidget(self)
        self.status_bar = MapStatusBar(self)
        self.setStatusBar(self.status_bar)
        self.actions_by_name = window_actions.build(self, self.recent_menu, self.panels_menu)
        self.actions_by_name["refresh"].triggered.connect(self._ask_the_file)
        self.actions_by_name["refresh"].triggered.connect(self.load_map_again)
        self.status_bar.loading.cancelRequested.connect(self.cancel_map_load)
        self.read_only_indicator = read_only.install(self)
        self.add_dock(self.layer_panel, Qt.DockWidgetArea.LeftDockWidgetArea, "layersDock")
        self.add_dock(self.identify_panel, Qt.DockWidgetArea.RightDockWidgetArea, "identifyDock")
        self.tools = self.canvas.tools
        self._connect()
        if install_features:
            self.install_features()
        window_actions.finish(self, self.actions_by_name)
        self._restore_settings()
        self.start_page = start_page.install(self, self.actions_by_name, self.recent_menu)
        self._update_title()

    # -- the contract (docs/ui-architecture.md) -------------------------------------------
    def open_file(self, path: str | os.PathLike[str], extent: Extent | None = None) -> bool:
        """Open ``path`` (closing the current file); errors are shown. The map loads in the
        background (``mapLoaded`` when ready). A GeoPackage that is not a citymgr project is
        opened read-only (its layers drawn for reference). The first view is ``extent`` (map
        CRS), else the view the file was closed at, else the whole map; a small first view is
        read and drawn before the rest (``first_view.py``)."""
        if not is_database_target(path):  # remembered and offered as a folder: absolute
            path = os.path.abspath(path)
        try:  # a file that cannot be opened changes nothing (no "save your edits?" first)
            db.check_openable(str(path))
        except CitymgrError as exc:
            if not any(handler(str(path)) for handler in list(self._open_handlers)):
                show_error(self, self.tr("Open"), exc)
            return False
        if not self._may_close():
            return False
        try:
            store = db.open_project(self, str(path))
            if store is None:
                return False
        except CitymgrError as exc:
            show_error(self, self.tr("Open"), exc)
            return False
        self._close_store()
        self.store = store
        self.is_project = store.is_asset_project()
        self.commands = CommandStack()
        self.edit_session = fs.open_session(self, store)
        if self.edit_session is not None:
            self.edit_session.subscribe(self._session_changed)
        address = db.remembered_address(store, str(path))
        self._add_recent(address)
        infos = store.layers()
        self.layer_panel.set_layers(drawable_layers(store, infos),
                                    {li.name: li.count for li in infos})
        top = self.layer_panel.all_layers()
        self.selection.set_current_layer(top[-1] if top else None)
        self.status_bar.set_crs(None)
        self.canvas.set_data(None)
        self.canvas.message = self.tr("Loading the map…")
        self._update_title()
        self.storeChanged.emit(store)
        name = db.store_name(store)
        self._start_map_load(store, address, infos, extent)
        if store.is_database:
            self._watcher = watch_database(self, store)
        elif self.is_project:  # another window's saves, the command line's writes shown
            self._watcher = follow_file(
                self, store, viewing=self.edit_session is None and held_elsewhere(store))
        if not self.is_project:
            self.status(self.tr("%1 is not a citymgr project: its layers are shown read-only")
                        .replace("%1", name), 10000)
        elif store.read_only:
            self.status(self.tr("%1 is read-only: viewing only").replace("%1", name), 8000)
        return True

    def current_layer(self) -> str | None:
        return self.selection.current_layer

    def menu(self, key: str) -> QMenu:
        if key not in self._menus:
            raise KeyError(f"no menu {key!r}; menus: {', '.join(self._menus)}")
        self._menus[key].menuAction().setVisible(True)
        return self._menus[key]

    def toolbar(self) -> QToolBar:
        return self._toolbar

    def add_dock(self, widget: QWidget, area: Qt.DockWidgetArea, object_name: str) -> QDockWidget:
        """Add ``widget`` in a dock (title = its windowTitle); its state is remembered."""
        dock = QDockWidget(widget.windowTitle() or object_name, self)
        dock.setObjectName(object_name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self._docks[object_name] = dock
        self.panels_menu.addAction(dock.toggleViewAction())
        ws.heighten_when_shown(self, dock)
        if self._restored:
            self.restoreDockWidget(dock)
        return dock

    def dock(self, object_name: str) -> QDockWidget | None:
        """The dock added under ``object_name`` (None if there is none)."""
        return self._docks.get(object_name)

    def user_name(self, ask: bool = True) -> str:
        """The editor's name: from the settings (per database login on a database); the
        first time it is needed for an edit (``ask``) the user is asked once, the database
        or OS login offered, and the answer kept."""
        name = str(QSettings().value(ws.user_name_key(self), "") or "").strip()
        if name:
            return name
        if ask and not self._asked_name:
            self._asked_name = True
            name = ws.ask_user_name(self, first=True)
            if name:
                if self.edit_session is not None:
                    self.edit_session.user = name
                return name
        return ws.default_user_name(self)

    def status(self, message: str, ms: int = 4000) -> None:
        self.status_bar.showMessage(message, ms)

    # -- added members (documented in docs/ui-architecture.md) ---------------------------
    def add_close_guard(self, guard: Callable[[], bool]) -> None:
        """``guard()`` runs before the file is closed (or another opened, or the app quits);
        it returns False to keep the file open (e.g. the user cancelled 'save changes?')."""
        self._close_guards.append(guard)

    def add_write_guard(self, guard: Callable[[QWidget, str, str], bool]) -> None:
        """``guard(parent, what, button)`` runs before the app writes the open file outside
        the edit session; it returns False to write nothing."""
        self._write_guards.append(guard)

    def may_write(self, parent: QWidget, what: str, button: str) -> bool:
        """Ask the write guards before a sync, an import… writes the open file."""
        return all(guard(parent, what, button) for guard in list(self._write_guards))

    def add_open_handler(self, handler: Callable[[str], bool]) -> None:
        """``handler(path)`` may take a file ``open_file`` cannot open (returns True)."""
        self._open_handlers.append(handler)

    def close_file(self) -> bool:
        if not self._may_close():
            return False
        self._close_store()
        self._update_title()
        return True

    def zoom_to_selection(self) -> None:
        si.zoom_to_selection(self)

    def identify_features(self, hits: list[tuple[str, str]]) -> None:
        si.identify_features(self, hits)

    def hits_at(self, x: float, y: float) -> list[tuple[str, str]]:
        """(layer, key) of the features under a map point, the top layer's first."""
        return si.hits_at(self, x, y)

    def zoom_to_layer(self, name: str | None) -> None:
        if self.map_data is not None and name in self.map_data.names():
            b = self.map_data.layer(name).bounds
            if b:
                pad = max(b[2] - b[0], b[3] - b[1]) * 0.03
                self.canvas.zoom_to_bbox(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)

    # -- internals -------------------------------------------------------------------------
    def install_features(self) -> None:
        """Install every feature (``ui/<feature>/feature.py``); a failing one is logged and skipped."""
        for mod in features.discover(self.feature_errors):
            try:
                self.installed_features[features.feature_name(mod)] = mod.install(self)
            except Exception as exc:  # one broken feature must not take the app down
                self.feature_errors[mod.__name__] = f"{type(exc).__name__}: {exc}"
                log.exception("feature %s failed to install", mod.__name__)
        if self.feature_errors:
            self.status(self.tr("Some features could not be loaded: %1").replace(
                "%1", ", ".join(n.rsplit(".", 1)[-1] for n in self.feature_errors)), 10000)

    def _connect(self) -> None:
        c, sb = self.canvas, self.status_bar
        c.cursorMoved.connect(sb.set_cursor)
        c.extentChanged.connect(lambda _e: sb.set_scale(c.scale()))
        c.renderingChanged.connect(sb.set_busy)
        sb.scaleEntered.connect(c.zoom_to_scale)
        c.selectRequested.connect(lambda x, y, mods: si.select_at(self, x, y, mods))
        c.rectSelected.connect(lambda extent, mods: si.select_rect(self, extent, mods))
        c.identifyRequested.connect(lambda x, y: si.identify(self, x, y))
        self.layer_panel.layersChanged.connect(
            lambda: c.set_layers(self.layer_panel.visible_layers()))
        self.layer_panel.zoomToLayer.connect(self.zoom_to_layer)
        self.layer_panel.currentLayerChanged.connect(
            lambda name: name is not None and self.selection.set_current_layer(name))
        self.selection.currentLayerChanged.connect(
            lambda name: name and self.layer_panel.set_current_layer(name))
        self.identify_panel.featureActivated.connect(
            lambda layer, key: self.selection.set_selection(layer, [key]))
        self.identify_panel.currentFeatureChanged.connect(
            lambda layer, key: si.highlight(self, layer, key))
        self.selection.changed.connect(self._on_selection)

    def _on_selection(self, _layer: str) -> None:
        self.canvas.set_selection(self.selection.all())
        si.selection_changed(self)
        self.status_bar.set_selection_count(self.selection.count(), {
            layer_title(name, i18n.label_language()): len(keys)
            for name, keys in self.selection.all().items()})

    def _may_close(self) -> bool:
        return all(guard() is not False for guard in list(self._close_guards))

    def _ask_the_file(self) -> None:
        """View ▸ Refresh (F5, "Draw the map again"): the file asked at once whether another
        program wrote it, not at the watcher's next tick (a command just run in a terminal
        is shown; the map, drawn again from memory meanwhile, follows once it is read)."""
        if isinstance(self._watcher, FileWatcher):
            self._watcher.poll(at_once=True)

    def _close_store(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
            self.status_bar.set_notice(None)
        self._end_map_reads()
        self._box_map = self._first_view = None
        if self.store is None:
            return
        if self.canvas.data is not None:  # the view to open this file at next time
            fv.remember_view(db.remembered_address(self.store, str(self.store.path)),
                             self.canvas.extent())
        self.canvas.set_tool("pan")
        self.selection.clear()
        self.selection.set_current_layer(None)
        self.map_data = self._file_map = None
        self.canvas.set_highlight([])
        if self.edit_session is not None:
            self.edit_session.unsubscribe(self._session_changed)
            self.edit_session.close()  # unsaved edits stay in the journal, offered on reopen
            self.edit_session = None
        self.is_project = False
        self.canvas.set_data(None)
        self.layer_panel.set_data(None)
        self.identify_panel.clear()
        self.status_bar.set_crs(None)
        store, self.store = self.store, None
        self.commands = CommandStack()
        self.storeChanged.emit(None)
        store.close()

    def _update_title(self) -> None:
        name = db.store_name(self.store) if self.store else ""
        viewing = self.store is not None and (self.store.read_only or (  # or another
            self.is_project and self.edit_session is None))  # window holds its journal slot
        ro = self.tr(" [read-only]") if viewing else ""
        self.setWindowTitle(f"{name}{ro} — citymgr-desktop" if name else "citymgr-desktop")

    # -- recent files, window layout (ui/shell/settings.py) ------------------------------
    def recent_files(self) -> list[str]:
        return ws.recent_files()

    def _add_recent(self, path: str) -> None:
        ws.add_recent(self, self.recent_menu, path)

    def _restore_settings(self) -> None:
        ws.restore(self)
        ws.fill_recent(self, self.recent_menu)
        self._restored = True

    def _save_settings(self) -> None:
        ws.save(self)

    def closeEvent(self, event) -> None:
        if not self._may_close():
            event.ignore()
            return
        self._save_settings()
        self._close_store()
        self.canvas.close_worker()
        super().closeEvent(event)

    def dragEnterEvent(self, event) -> None:  # any file: open_file says or offers the rest
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = sorted((u.toLocalFile() for u in urls if u.isLocalFile()),
                       key=lambda p: not p.lower().endswith(".gpkg"))  # a project first
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_file(paths[0]))
