"""A big file's map loads without blocking the window (ui/shell/map_loading.py): its
progress and Cancel are in the status bar (ui/map/load_progress.py), not a window-modal
dialog. While it loads menus open, Ctrl+Q and File ▸ Quit close the window (the loader
cancelled and waited for), Cancel and Esc stop it and the canvas says so (F5 reads it
again), Save Map as Image refuses, and a save meanwhile is read again once it is loaded.

Each test acts half a second after the load's first progress (its layers counted): a
progress dialog shows itself 400 ms after that, so that the old window-modal dialog would
hold the keys and clicks by then. The read is held at that first report until the test lets
it go (``slow_disk``), as a slow disk or network drive holds it, so no machine is fast
enough to finish it under the test; Cancel, Esc and quitting reach it through its progress
as they reach a real read.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.driver import CTRL, LEFT, menu_item, press

pytestmark = pytest.mark.slow
AFTER_A_DIALOG_WOULD_SHOW_MS = 500


@pytest.fixture
def big(district):
    """The sample district (its map's read held by ``slow_disk``)."""
    return district


@pytest.fixture(autouse=True)
def slow_disk(monkeypatch):
    """The whole map's read waits at its first progress report until ``gate.set()``
    (set at the end of each test), checking for Cancel every 10 ms like a read would."""
    from citymgr_desktop.ui.shell import map_loading

    gate = threading.Event()
    real = map_loading.load_map

    class Held:
        def __init__(self, progress):
            self._progress = progress

        def update(self, done, total=None, message=None):
            self._progress.update(done, total, message)
            while not gate.wait(0.01):
                self._progress.check()

        def __getattr__(self, name):
            return getattr(self._progress, name)

    def held(store, progress=None, **kwargs):
        return real(store, progress=Held(progress) if progress is not None else None,
                    **kwargs)

    monkeypatch.setattr(map_loading, "load_map", held)
    yield gate
    gate.set()


def _loading(qtbot, window_in, path, lang=None, size=(1200, 800)):
    """A window that opened ``path`` and is reading its map (past a dialog's delay)."""
    w = window_in(lang, size=size)
    loaded: list[object] = []
    w.mapLoaded.connect(loaded.append)
    assert w.open_file(path)
    task = w._load_task
    # the layers counted: the first progress (a dialog's 400 ms begin there), then past them
    qtbot.waitUntil(lambda: task.worker.progress.total > 0, timeout=30_000)
    qtbot.wait(AFTER_A_DIALOG_WOULD_SHOW_MS)
    assert w._load_task is task and not loaded, "the map loaded too soon for this test"
    assert QApplication.activeModalWidget() is None
    loading = w.status_bar.loading
    assert loading.isVisible() and loading.cancel_button.isVisible()
    assert w.width() == size[0]  # the status bar's widgets did not widen the window
    return w, loaded


def test_the_window_answers_while_the_map_loads_and_cancel_stops_it(qtbot, window_in, big,
                                                                     shots, slow_disk):
    w, loaded = _loading(qtbot, window_in, big)
    loading = w.status_bar.loading
    assert loading.label.text().startswith("Loading the map")
    shots("loading", w)
    # a menu opens (a modal dialog would have swallowed the click)
    menu_item(qtbot, w, "view", "Zoom Full")
    assert w._load_task is not None
    task = w._load_task
    qtbot.mouseClick(loading.cancel_button, LEFT)
    qtbot.waitUntil(lambda: w._load_task is None, timeout=20_000)
    assert not task.thread.isRunning()
    assert not loaded and w.map_data is None and w.canvas.data is None
    assert not loading.isVisible()
    assert w.store is not None  # the file stays open; its map is not shown, and it says so
    assert w.canvas.message == "Loading the map was cancelled. Press F5 to load it."
    assert w.status_bar.currentMessage() == "Loading the map was cancelled"
    shots("cancelled", w)
    # F5 (View ▸ Refresh) reads it again
    slow_disk.set()
    with qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        press(qtbot, w, Qt.Key.Key_F5)
    assert w.map_data is not None and not loading.isVisible()
    with sqlite3.connect(big) as con:
        bins = con.execute("SELECT count(*) FROM litter_bin").fetchone()[0]
    assert w.map_data.layer("litter_bin").count == bins


def test_esc_stops_the_load_in_chinese(qtbot, window_in, big, shots):
    w, loaded = _loading(qtbot, window_in, big, "zh_CN", size=(960, 640))  # the least
    loading = w.status_bar.loading
    assert loading.label.text().startswith("正在加载地图")
    assert loading.cancel_button.text() == "取消"
    shots("loading-zh", w)
    press(qtbot, w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._load_task is None, timeout=20_000)
    assert not loaded and w.map_data is None
    assert w.canvas.message == "地图加载已取消。按 F5 重新加载。"
    shots("cancelled-zh", w)


@pytest.mark.parametrize("how", ["ctrl+q", "menu"])
def test_quit_while_the_map_loads_closes_the_window(qtbot, window_in, big, how):
    w, loaded = _loading(qtbot, window_in, big)
    task = w._load_task
    if how == "ctrl+q":
        press(qtbot, w, Qt.Key.Key_Q, CTRL)
    else:
        menu_item(qtbot, w, "file", "Quit")
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=20_000)
    assert w.store is None and w._load_task is None
    assert not task.thread.isRunning()  # cancelled and waited for: no thread outlives it
    assert not loaded


def test_save_map_as_image_waits_for_the_map(qtbot, window_in, big, slow_disk):
    w, _loaded = _loading(qtbot, window_in, big)
    menu_item(qtbot, w, "file", "Save Map as Image")  # no file dialog: it says why
    assert w.status_bar.currentMessage() == "The map is not loaded yet"
    with qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        slow_disk.set()


def test_a_save_while_the_map_loads_is_read_again_once_loaded(qtbot, window_in, big,
                                                              slow_disk):
    with sqlite3.connect(big) as con:
        uuid, condition = con.execute(
            "SELECT asset_uuid, condition FROM litter_bin WHERE condition IS NOT NULL "
            "ORDER BY fid LIMIT 1").fetchone()
    new = 1 if int(condition) != 1 else 5
    w, _loaded = _loading(qtbot, window_in, big)
    w.edit_session.set_value("litter_bin", uuid, "condition", new)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # Edit ▸ Save
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=20_000)
    assert w._file_map is None, "the map loaded before the save: nothing tested"
    slow_disk.set()
    qtbot.waitUntil(lambda: w._file_map is not None, timeout=60_000)
    qtbot.waitUntil(lambda: bool(w._reloads) and not any(t.is_running() for t in w._reloads),
                    timeout=30_000)  # read again: the loader may have read it before
    layer = w._file_map.layer("litter_bin")
    assert int(layer.category[layer.indices_of([uuid])[0]]) == new


def test_cancel_after_the_first_view_drops_its_box(qtbot, window_in, big, slow_disk):
    """A file reopened at a small view draws that view's box first (first_view.py), then
    reads the whole map with the same progress and Cancel: Cancel then leaves no box map
    (it would pass for the whole map at other views) and says so."""
    slow_disk.set()  # the first opening reads at once
    w = window_in(None, big)
    w.canvas.setFocus()
    for _ in range(4):  # 1/256 of the area: read first when reopened
        qtbot.keyClick(w.canvas, Qt.Key.Key_Plus)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    assert w.close_file()
    slow_disk.clear()  # the reopening's whole map is held after its box
    assert w.open_file(big)
    qtbot.waitUntil(lambda: w.canvas.data is not None, timeout=30_000)  # the box drawn
    assert w.map_data is None and w.status_bar.loading.isVisible()
    qtbot.mouseClick(w.status_bar.loading.cancel_button, LEFT)
    qtbot.waitUntil(lambda: w._load_task is None, timeout=20_000)
    qtbot.wait(1500)  # the whole map's read, had it been started after the box, would run
    assert w._load_task is None and w.map_data is None and w.canvas.data is None
    assert w.canvas.message == "Loading the map was cancelled. Press F5 to load it."
    assert not w.status_bar.loading.isVisible()
