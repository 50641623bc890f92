"""Two windows on the same GeoPackage: the first to open it holds its journal slot from that
moment (not from its first edit), so the second is told when it opens the file and views
only, instead of being refused after its user typed an edit; the viewing window follows the
other's saves (view and selection kept) and offers to edit once the other closed the file;
a window killed (-9) while holding the slot leaves it free for the next one (the OS drops
the lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from citymgr_desktop.core.editing.journal import journal_path
from citymgr_desktop.core.store import Store
from tests.faults.support import environment
from tests.ui.driver import CTRL, answer, press, settle
from tests.ui.scenarios.test_records_and_orders import select_bin, set_condition_in_form

pytestmark = pytest.mark.slow


def open_refused(qtbot, window_in, path: Path):
    """A window opening ``path`` another window holds: the message it shows at open (OK
    clicked), and the window."""
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox,
                title="Editing is not possible") as told:
        window = window_in(None, path)
    return told.text, window


def edit_and_save(qtbot, w, value: int) -> str:
    """A condition-1 bin's condition set to ``value`` in the form and saved (Ctrl+S)."""
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, value)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with Store.open(w.store.path, read_only=True) as store:
        assert store.get_row("litter_bin", uuid)["condition"] == value
    return uuid


def test_a_second_window_on_the_file_is_told_at_open_and_views_only(qtbot, window_in,
                                                                     district, shots):
    first = window_in(None, district)  # it edits nothing before the second opens
    said, second = open_refused(qtbot, window_in, district)
    assert said == f"{district.name} is open in another citymgr window; it is shown here " \
                   "read-only until that window closes it"
    assert second.edit_session is None and second.store is not None  # the map, to view
    assert second.windowTitle().startswith(f"{district.name} [read-only]")
    shots("second-window", second)
    edit_and_save(qtbot, first, 4)  # the first edits and saves as if alone
    second.close()
    first.close()  # the slot is released: the file's journal goes with it
    assert not journal_path(district).exists()
    third = window_in(None, district)
    assert third.edit_session is not None
    edit_and_save(qtbot, third, 5)


def condition_drawn(w, uuid: str) -> int:
    """The condition class the window's map draws the bin ``uuid`` in."""
    bins = w.map_data.layer("litter_bin")
    return int(bins.category[bins.indices_of([uuid])[0]])


def condition_in_table(w, uuid: str):
    """The condition the window's attribute table shows for the bin ``uuid``."""
    model = w.installed_features["editing"].table.model
    rows = model.rows_of([uuid])
    return model.value(int(rows[0]), model.columns.index("condition")) if len(rows) else None


def edit_here_button(w) -> QPushButton | None:
    """The status bar's "Edit here" button, when it is shown."""
    button = w.status_bar.findChild(QPushButton, "editHereButton")
    return button if button is not None and button.isVisible() else None


def test_the_viewing_window_follows_the_others_saves_and_edits_once_it_closes(
        qtbot, window_in, district, shots):
    first = window_in(None, district)
    _said, second = open_refused(qtbot, window_in, district)
    uuid, _x, _y = select_bin(qtbot, second, where=lambda u: second.store.get_row(
        "litter_bin", u)["condition"] == 1)
    press(qtbot, second, Qt.Key.Key_F6)  # the attribute table, as the viewer has it open
    qtbot.waitUntil(lambda: condition_in_table(second, uuid) == 1, timeout=10_000)
    settle(qtbot, second)
    shots("viewer-before-the-other-saves", second)
    view, width = second.canvas.extent(), second.width()
    select_bin(qtbot, first, where=lambda u: u == uuid)
    set_condition_in_form(qtbot, first, 4)
    press(qtbot, first, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not first.edit_session.dirty, timeout=10_000)
    qtbot.waitUntil(lambda: condition_drawn(second, uuid) == 4, timeout=10_000)
    qtbot.waitUntil(lambda: condition_in_table(second, uuid) == 4, timeout=10_000)
    assert second.status_bar.currentMessage() == \
        f"{district.name} was changed in another window or program: reloaded"
    assert second.canvas.extent() == view
    assert second.selection.selected("litter_bin") == [uuid]
    assert second.edit_session is None
    settle(qtbot, second)
    shots("viewer-after-the-other-saved", second)
    first.close()  # the file is free: the viewer offers to edit it
    qtbot.waitUntil(lambda: edit_here_button(second) is not None, timeout=10_000)
    edit_here = edit_here_button(second)
    assert second.status_bar.currentMessage() == f"{district.name} is no longer open in " \
        "another window: it can be edited in this one"
    assert second.width() == width  # the offer does not widen the window
    shots("viewer-offered-to-edit", second)
    with qtbot.waitSignal(second.mapLoaded, timeout=30_000):
        qtbot.mouseClick(edit_here, Qt.MouseButton.LeftButton)
    assert second.edit_session is not None
    assert not second.windowTitle().startswith(f"{district.name} [read-only]")
    assert second.selection.selected("litter_bin") == [uuid] and second.canvas.tool == "select"
    assert all(abs(a - b) < 1e-6 for a, b in zip(second.canvas.extent(), view, strict=True))
    assert edit_here_button(second) is None and second.status_bar.currentMessage() == ""
    settle(qtbot, second)
    shots("editing-here", second)
    edit_and_save(qtbot, second, 5)


def test_the_viewing_window_says_it_in_chinese(qtbot, chinese, window_in, district):
    first = window_in(None, district)
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox,
                title="无法编辑") as told:
        second = window_in(None, district)
    assert told.text == f"{district.name} 已在另一个 citymgr 窗口中打开；在该窗口关闭它之前，" \
                        "这里只能只读查看"
    first.close()
    qtbot.waitUntil(lambda: edit_here_button(second) is not None, timeout=10_000)
    assert edit_here_button(second).text() == "在此窗口中编辑"
    assert second.status_bar.currentMessage() == \
        f"{district.name} 已不在另一个窗口中打开：可以在此窗口中编辑"


def locked_by(path: Path) -> int | None:
    """The process holding an flock on ``path`` (from /proc/locks; never taking it)."""
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a lock someone waits for
            continue
        if parts[1] == "FLOCK" and parts[5].rsplit(":", 1)[-1] == str(inode):
            return int(parts[4])
    return None


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads /proc/locks (Linux)")
def test_a_window_killed_while_holding_the_slot_leaves_it_to_the_next(qtbot, window_in,
                                                                      district, tmp_path):
    env = environment()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # the app's own settings
    app = subprocess.Popen([sys.executable, "-m", "citymgr_desktop.ui.app", str(district)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: locked_by(journal_path(district)) == app.pid,
                        timeout=120_000)  # it holds the slot, having edited nothing
        said, viewer = open_refused(qtbot, window_in, district)
        assert "is open in another citymgr window" in said
    finally:
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=30)
    assert app.returncode == -signal.SIGKILL
    qtbot.waitUntil(lambda: edit_here_button(viewer) is not None, timeout=10_000)  # free
    viewer.close()
    assert journal_path(district).exists()  # left behind, its lock gone with the process
    w = window_in(None, district)  # no message, no restore question: the slot is free
    assert w.edit_session is not None and w.edit_session.recovery is None
    assert locked_by(journal_path(district)) == os.getpid()
    edit_and_save(qtbot, w, 3)
    w.close()
    assert not journal_path(district).exists()


def test_edit_here_then_another_file_opened_keeps_the_views_selection_to_itself(
        qtbot, window_in, district, tmp_path):
    """"Edit in this window" clicked, then another file opened before the map was read
    again: that file's map is not given the first file's selection and map tool."""
    import shutil

    other = shutil.copy(district, tmp_path / "other.gpkg")
    first = window_in(None, district)
    _said, second = open_refused(qtbot, window_in, district)
    select_bin(qtbot, second, where=lambda u: True)
    assert second.canvas.tool == "select"
    first.close()
    qtbot.waitUntil(lambda: edit_here_button(second) is not None, timeout=10_000)
    qtbot.mouseClick(edit_here_button(second), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(second.mapLoaded, timeout=30_000):
        assert second.open_file(other)
    assert second.store.path.name == "other.gpkg"
    assert second.selection.selected("litter_bin") == []
    assert second.canvas.tool != "select"
