"""The open file's map as the window reads it: the whole map in a worker when a file opens
(progress, Cancel), the changed layers again after a write (tried again a little later while
another task of ours is still writing the file), each read on a connection of its own, and
shown with the edit session's pending edits drawn as if saved. Window behaviour on the
:class:`~citymgr_desktop.ui.shell.window.Window` contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from citymgr_desktop.render import MapData, load_map
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell import file_session as fs
from citymgr_desktop.ui.worker import Task, run_task, show_error

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.shell.window import Window


def _load(open_reader: Callable[[], Store], progress) -> MapData:
    with open_reader() as store:  # its own connection: the UI keeps its
        return load_map(store, progress=progress)


def _reload(open_reader: Callable[[], Store], data: MapData, tables: set[str],
            progress) -> MapData:
    with open_reader() as store:
        return data.reloaded(store, tables, progress)


class MapReader:
    """Reads the map of ``w``'s open file: ``file_map`` is the map as the file has it, the
    window's ``map_data`` the same with the pending edits; ``loaded(data)`` once the file's
    map is first shown."""

    def __init__(self, w: Window, loaded: Callable[[MapData], None]) -> None:
        self.w = w
        self.loaded = loaded
        self.file_map: MapData | None = None
        self.task: Task | None = None

    def load(self, store: Store, name: str) -> None:
        """Read the whole map of the newly opened ``store`` in a worker."""
        self.task = run_task(self.w, i18n.tr("Opening %1").replace("%1", name),
                             _load, store.reader, on_done=self._on_loaded,
                             on_error=self._on_load_error)

    def cancel(self) -> None:
        """Stop a load still running (the file is closing)."""
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def data_changed(self, tables: set[str]) -> None:
        """The store was written: read the drawn layers among ``tables`` again."""
        if self.w.store is None or self.file_map is None:
            return
        drawn = tables & set(self.file_map.names())
        if drawn:
            self.reload(drawn)

    def reload(self, tables: set[str], attempt: int = 0) -> None:
        """Read these layers again in a worker. The file may be mid-write by another task
        of ours (a sync's resolution while the map reloads after the sync): GDAL then fails
        to read it, so it is tried again a little later, and only said in the status bar."""
        w = self.w
        if w.store is None or self.file_map is None:
            return
        store = w.store

        def failed(exc: BaseException) -> None:
            if w.store is not store:
                return
            if attempt < 3:
                QTimer.singleShot(300 * (attempt + 1), lambda: self.reload(tables, attempt + 1))
            else:
                w.status(i18n.tr("The map could not be read again: %1").replace(
                    "%1", str(exc)), 10000)

        run_task(w, i18n.tr("Updating the map"), _reload, store.reader, self.file_map,
                 tables, show_dialog=False, on_done=self._on_reloaded, on_error=failed)

    def show_pending(self) -> None:
        """Draw the file's map with the session's pending edits as they are now."""
        self._show(fs.drawn_with_pending(self.file_map, self.w.edit_session, self.w.store))

    def _show(self, data: MapData | None) -> None:
        w = self.w
        if data is None or data is w.map_data:
            return
        w.map_data = data
        w.layer_panel.set_data(data)
        w.canvas.set_data(data, keep_extent=True)

    def _on_loaded(self, data: MapData) -> None:
        self.task = None
        w = self.w
        if w.store is None or str(data.path) != str(w.store.path):
            return
        self.file_map = data
        data = fs.drawn_with_pending(data, w.edit_session, w.store) or data
        w.map_data = data
        w.layer_panel.set_data(data)
        w.canvas.layers = w.layer_panel.visible_layers()
        w.canvas.set_data(data)
        w.status_bar.set_crs(data.crs)
        self.loaded(data)

    def _on_load_error(self, exc: BaseException) -> None:
        self.task = None
        self.w.canvas.message = ""
        self.w.canvas.update()
        show_error(self.w, i18n.tr("Open"), exc)

    def _on_reloaded(self, data: MapData) -> None:
        if self.w.store is not None and str(data.path) == str(self.w.store.path):
            self.file_map = data
            self.show_pending()
