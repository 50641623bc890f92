"""The map of the main window's open file: read in a worker (the first view's small box
first, ``first_view.py``), drawn with the edit session's pending edits as if saved, read again
after a save or another change (``notify_data_changed``). A base of ``MainWindow``: the
methods use the window's members (``store``, ``canvas``, ``layer_panel``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from citymgr_desktop.core.editing import EditEvent
from citymgr_desktop.core.store import LayerInfo, Store
from citymgr_desktop.render import MapData, load_map
from citymgr_desktop.render.view import Extent, fit_extent
from citymgr_desktop.ui.shell import database as db
from citymgr_desktop.ui.shell import file_session as fs
from citymgr_desktop.ui.shell import first_view as fv
from citymgr_desktop.ui.shell import select_identify as si
from citymgr_desktop.ui.worker import Task, run_task, show_error

if TYPE_CHECKING:
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.ui.map.canvas import MapCanvas
    from citymgr_desktop.ui.map.layer_panel import LayerPanelWidget
    from citymgr_desktop.ui.map.status_bar import MapStatusBar


def _load(open_reader: Callable[[], Store], progress) -> MapData:
    with open_reader() as store:  # its own connection: the UI keeps its
        return load_map(store, progress=progress)


def _reload(open_reader: Callable[[], Store], data: MapData, tables: set[str],
            progress) -> MapData:
    with open_reader() as store:
        return data.reloaded(store, tables, progress)


class MapLoadingMixin:
    """Loading and reloading the open file's map (see the module docstring)."""

    store: Store | None
    edit_session: EditSession | None
    map_data: MapData | None
    _file_map: MapData | None
    _box_map: MapData | None
    _first_view: Extent | None
    _load_task: Task | None
    _reloads: list[Task]
    canvas: MapCanvas
    layer_panel: LayerPanelWidget
    status_bar: MapStatusBar

    def _start_map_load(self, store: Store, address: str, infos: list[LayerInfo],
                        extent: Extent | None) -> None:
        """Read the map of the just opened ``store``: the first view's box first when it is
        small (``first_view.py``), else the whole map at once."""
        view = extent or fv.remembered_view(address)
        if view is not None and not fv.meets_data(view, infos):
            view = None
        self._first_view = fit_extent(view, max(self.canvas.width(), 1),
                                      max(self.canvas.height(), 1)) if view else None
        if self._first_view is not None and fv.reads_box_first(self._first_view, infos):
            self._load_task = run_task(
                self, self.tr("Opening %1").replace("%1", db.store_name(store)), fv.load_box,
                store.reader, self._first_view, uses=None, show_dialog=False,
                on_done=lambda data: self._on_box_loaded(data, store),
                on_error=lambda _exc: self._load_whole_map(store))
        else:
            self._load_whole_map(store)

    def _load_whole_map(self, store: Store) -> None:
        """Read the whole map (with a progress dialog unless the first view is drawn)."""
        if self.store is not store:
            return
        self._load_task = run_task(
            self, self.tr("Opening %1").replace("%1", db.store_name(store)), _load,
            store.reader, uses=None, on_done=self._on_loaded, on_error=self._on_load_error,
            show_dialog=self._box_map is None)

    def _on_box_loaded(self, data: MapData, store: Store) -> None:
        """The first view's box is read: draw it, then read the whole map once that frame
        is on screen (so the two do not share the CPU)."""
        if self.store is not store or self._file_map is not None:
            return
        self._box_map = data
        self.canvas.layers = self.layer_panel.visible_layers()
        self.canvas.set_data(fs.drawn_with_pending(data, self.edit_session, store) or data)
        self.canvas.set_extent(self._first_view or self.canvas.full_extent())
        self.status_bar.set_crs(data.crs)
        started = [False]

        def whole(*_args) -> None:
            if not started[0]:
                started[0] = True
                self.canvas.renderFinished.disconnect(whole)
                self._load_whole_map(store)

        self.canvas.renderFinished.connect(whole)
        QTimer.singleShot(fv.WHOLE_MAP_AFTER_MS, self, whole)  # no frame (a hidden canvas): anyway

    def notify_data_changed(self, tables: set[str]) -> None:
        """Call after writing to the store: the map reloads those layers, panels refresh."""
        tables = set(tables)
        self.dataChanged.emit(tables)
        if self.store is None or self._file_map is None:
            return
        drawn = tables & set(self._file_map.names())
        if drawn:
            self._reload(drawn)

    def _reload(self, tables: set[str], attempt: int = 0) -> None:
        """Read these layers again in a worker. The file may be mid-write by another task
        of ours (a sync's resolution while the map reloads after the sync): GDAL then fails
        to read it, so it is tried again a little later, and only said in the status bar."""
        if self.store is None or self._file_map is None:
            return
        store = self.store

        def failed(exc: BaseException) -> None:
            if self.store is not store:
                return
            if attempt < 3:
                QTimer.singleShot(300 * (attempt + 1), lambda: self._reload(tables, attempt + 1))
            else:
                self.status(self.tr("The map could not be read again: %1").replace(
                    "%1", str(exc)), 10000)

        self._reloads = [t for t in self._reloads if t.is_running()]
        self._reloads.append(run_task(
            self, self.tr("Updating the map"), _reload, store.reader, self._file_map, tables,
            uses=None, show_dialog=False, on_done=self._on_reloaded, on_error=failed))

    def _end_map_reads(self) -> None:
        """The map's reads under way cancelled and waited for (the file closed): a task's
        thread still running when the window is destroyed with it aborts the process."""
        tasks = [t for t in (self._load_task, *self._reloads) if t is not None]
        self._load_task, self._reloads = None, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            task.wait()

    def _session_changed(self, event: EditEvent) -> None:
        """Pending edits are drawn as if saved; a save reads the file again instead."""
        if event.saved:
            self.notify_data_changed(set(event.tables))
            return
        if self._file_map is None and self._box_map is not None:  # the first view's box
            self.canvas.set_data(fs.drawn_with_pending(self._box_map, self.edit_session,
                                                       self.store), keep_extent=True)
            return
        self._show_map(fs.drawn_with_pending(self._file_map, self.edit_session, self.store))
        si.refresh_identify(self)

    def _show_map(self, data: MapData | None) -> None:
        if data is None or data is self.map_data:
            return
        self.map_data = data
        self.layer_panel.set_data(data)
        self.canvas.set_data(data, keep_extent=True)

    def _on_loaded(self, data: MapData) -> None:
        self._load_task = None
        if self.store is None or str(data.path) != str(self.store.path):
            return
        self._file_map = data
        data = fs.drawn_with_pending(data, self.edit_session, self.store) or data
        self.map_data = data
        self.layer_panel.set_data(data)
        self.canvas.layers = self.layer_panel.visible_layers()
        box_shown, self._box_map = self._box_map is not None, None
        self.canvas.set_data(data, keep_extent=box_shown)  # the box's view stays
        if not box_shown and self._first_view is not None:
            self.canvas.set_extent(self._first_view)
        self.status_bar.set_crs(data.crs)
        self.mapLoaded.emit(data)

    def _on_load_error(self, exc: BaseException) -> None:
        self._load_task = None
        if self._box_map is not None:  # the first view's box alone would mislead
            self._box_map = None
            self.canvas.set_data(None)
        self.canvas.message = ""
        self.canvas.update()
        show_error(self, self.tr("Open"), exc)

    def _on_reloaded(self, data: MapData) -> None:
        """The file read again (a save, a sync, an import): the map, the legend counts and
        the identify results show its values, the outline its place."""
        if self.store is not None and str(data.path) == str(self.store.path):
            self._file_map = data
            self._show_map(fs.drawn_with_pending(data, self.edit_session, self.store))
            si.refresh_identify(self)


__all__ = ["MapLoadingMixin"]
