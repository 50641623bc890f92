"""The map of the main window's open file: read in a worker (the first view's small box
first, ``first_view.py``) with its progress and Cancel in the status bar, never a modal
dialog (the window answers meanwhile: menus, Ctrl+Q, closing it); drawn with the edit
session's pending edits as if saved, read again after a save or another change
(``notify_data_changed``). A base of ``MainWindow``: the methods use the window's members
(``store``, ``canvas``, ``layer_panel``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from citymgr_desktop.core.editing import EditEvent
from citymgr_desktop.core.errors import CancelledError
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
    _changed_while_loading: set[str]
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
        self._changed_while_loading = set()
        if self._first_view is not None and fv.reads_box_first(self._first_view, infos):

            def box_failed(exc: BaseException) -> None:  # the whole map says why, if it fails
                if isinstance(exc, CancelledError):
                    self._on_load_error(exc, store)
                else:
                    self._load_whole_map(store)

            self._load_task = run_task(
                self, self.tr("Opening %1").replace("%1", db.store_name(store)), fv.load_box,
                store.reader, self._first_view, uses=None, show_dialog=False,
                on_done=lambda data: self._on_box_loaded(data, store), on_error=box_failed)
            self.status_bar.loading.start(self._load_task)
        else:
            self._load_whole_map(store)

    def _load_whole_map(self, store: Store) -> None:
        """Read the whole map, its progress in the status bar."""
        if self.store is not store:
            return
        self._load_task = run_task(
            self, self.tr("Opening %1").replace("%1", db.store_name(store)), _load,
            store.reader, uses=None, on_done=self._on_loaded,
            on_error=lambda exc: self._on_load_error(exc, store), show_dialog=False)
        self.status_bar.loading.start(self._load_task)

    def cancel_map_load(self) -> None:
        """The status bar's Cancel (or Esc): the map's load stops (the first view's box,
        if drawn, goes with it); the canvas says so, and View ▸ Refresh (F5) reads it again."""
        task, store = self._load_task, self.store
        if task is None or store is None:
            return
        task.cancel()  # its error (a CancelledError) ends the load, once its thread ended
        if not task.is_running():  # the first view's box read, the whole map not yet begun
            self._on_load_error(None, store)

    def load_map_again(self) -> None:
        """View ▸ Refresh (F5) after a cancelled or failed load: read the map again."""
        if self.store is not None and self._file_map is None and self._load_task is None:
            self.canvas.message = self.tr("Loading the map…")
            self.canvas.update()
            self._load_whole_map(self.store)

    def _on_box_loaded(self, data: MapData, store: Store) -> None:
        """The first view's box is read: draw it, then read the whole map once that frame
        is on screen (so the two do not share the CPU)."""
        if self.store is not store or self._file_map is not None:
            return
        if self._load_task is not None and self._load_task.worker.progress.cancelled:
            self._on_load_error(None, store)  # cancelled as it ended
            return
        self._box_map = data
        self.canvas.layers = self.layer_panel.visible_layers()
        self.canvas.set_data(fs.drawn_with_pending(data, self.edit_session, store) or data)
        self.canvas.set_extent(self._first_view or self.canvas.full_extent())
        self.status_bar.set_crs(data.crs)
        started = [False]

        def whole(*_args) -> None:
            if not started[0] and self._box_map is data:  # not cancelled meanwhile
                started[0] = True
                self.canvas.renderFinished.disconnect(whole)
                self._load_whole_map(store)

        self.canvas.renderFinished.connect(whole)
        QTimer.singleShot(fv.WHOLE_MAP_AFTER_MS, self, whole)  # no frame (a hidden canvas): anyway

    def notify_data_changed(self, tables: set[str]) -> None:
        """Call after writing to the store: the map reloads those layers, panels refresh."""
        tables = set(tables)
        self.dataChanged.emit(tables)
        if self.store is None:
            return
        if self._file_map is None:  # a layer may have been read before the write:
            if self._load_task is not None:  # read again once the map is loaded
                self._changed_while_loading |= tables
            return
        drawn = tables & set(self._file_map.names())
        if drawn:
            self._reload(drawn)

    def _reload(self, tables: set[str], attempt: int = 0) -> None:
        """Read these layers again in a worker, one read at a time: each starts from the map
        the last one left, so none undoes another's layers; tables changed meanwhile are
        read once it ends (``_reload_changed``). The file may be mid-write by another task
        of ours (a sync's resolution while the map reloads after the sync): GDAL then fails
        to read it, so it is tried again a little later, and only said in the status bar."""
        if self.store is None or self._file_map is None:
            return
        self._reloads = [t for t in self._reloads if t.is_running()]
        if self._reloads:
            self._changed_while_loading |= tables
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
                self._reload_changed()

        self._reloads.append(run_task(
            self, self.tr("Updating the map"), _reload, store.reader, self._file_map, tables,
            uses=None, show_dialog=False, on_done=self._on_reloaded, on_error=failed))

    def _end_map_reads(self) -> None:
        """The map's reads under way cancelled and waited for (the file closed): a task's
        thread still running when the window is destroyed with it aborts the process."""
        tasks = [t for t in (self._load_task, *self._reloads) if t is not None]
        self._load_task, self._reloads = None, []
        self._changed_while_loading = set()
        self.status_bar.loading.finish()
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
        self.status_bar.loading.finish()
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
        self._reload_changed()  # written while it was read (an import, a save)

    def _on_load_error(self, exc: BaseException | None, store: Store) -> None:
        """The load failed or was cancelled (``exc`` a CancelledError; None: cancelled
        between its tasks): no map (the first view's box alone would mislead); the canvas
        says so, and F5 reads it again."""
        if self.store is not store or self._file_map is not None:  # closed meanwhile
            return
        self._load_task = None
        self._changed_while_loading = set()
        self.status_bar.loading.finish()
        if self._box_map is not None:
            self._box_map = None
            self.canvas.set_data(None)
        cancelled = exc is None or isinstance(exc, CancelledError)
        self.canvas.message = (self.tr("Loading the map was cancelled. Press F5 to load it.")
                               if cancelled else "")
        self.canvas.update()
        if cancelled:
            self.status(self.tr("Loading the map was cancelled"), 8000)
        if exc is not None:
            show_error(self, self.tr("Open"), exc)

    def _on_reloaded(self, data: MapData) -> None:
        """The file read again (a save, a sync, an import): the map, the legend counts and
        the identify results show its values, the outline its place."""
        if self.store is not None and str(data.path) == str(self.store.path):
            self._file_map = data
            self._show_map(fs.drawn_with_pending(data, self.edit_session, self.store))
            si.refresh_identify(self)
            self._reload_changed()

    def _reload_changed(self) -> None:
        """The tables changed while the map was read: read again now."""
        changed, self._changed_while_loading = self._changed_while_loading, set()
        if self._file_map is not None and changed & set(self._file_map.names()):
            self._reload(changed & set(self._file_map.names()))


__all__ = ["MapLoadingMixin"]
