"""The window that edits a GeoPackage follows what the command line writes into it (trial 7,
fault 2: after ``citymgr sync`` / ``edit`` / ``sync-resolve`` the map, the legend and the
conflict list stayed old while Identify showed the new values). The real window and the
real ``citymgr`` process on the same file: within the watcher's poll the map, the legend,
the attribute table, the sync dialog's conflicts and the status bar's count show the file;
the view, the selection and the window's unsaved edits stay, and saving those still meets
the outside change as a conflict. F5 (Draw the map again) asks the file at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QPushButton

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing.merge_dialog import COL_THEIRS
from citymgr_desktop.ui.shell.settings import USABLE_BOTTOM_DOCK
from citymgr_desktop.ui.sync.conflict_model import CHOICE_COL
from citymgr_desktop.ui.sync.dialog import SyncDialog
from tests.core.sync_support import checkout, edit, row, uuids
from tests.faults.support import run
from tests.ui.driver import CTRL, LEFT, answer, menu_item, pick, press, settle, type_into
from tests.ui.scenarios.test_records_and_orders import select_bin, set_condition_in_form
from tests.ui.scenarios.test_two_windows_file import condition_drawn, condition_in_table

pytestmark = pytest.mark.slow
WAIT = 30_000  # the poll is each second; the reload reads the map in a worker


def citymgr(*argv: object) -> str:
    """``citymgr ARGV`` as its own process; it must succeed."""
    result = run(argv)
    assert result.rc == 0, result.err
    return result.out


def set_condition_outside(path: Path, condition: int, *bins: str) -> None:
    where = "asset_uuid in (" + ", ".join(f"'{u}'" for u in bins) + ")"
    citymgr("edit", path, "--layer", "litter_bin", "--where", where,
            "--set", f"condition={condition}", "--user", "terminal")


def legend(w) -> dict[str, str]:
    """The layer panel's litter bin rows: its own line and each category's, by label."""
    panel = w.layer_panel
    for i in range(panel.topLevelItemCount()):
        item = panel.topLevelItem(i)
        if item.toolTip(0) == "litter_bin":
            lines = {"layer": item.text(0)}
            for j in range(item.childCount()):
                label, _sep, count = item.child(j).text(0).rpartition("  ")
                lines[label] = count
            return lines
    raise AssertionError("no litter bin layer in the panel")


def critical_count(path: Path) -> str:
    with Store.open(path, read_only=True) as store:
        n = store.conn.execute("SELECT count(*) FROM litter_bin WHERE condition = 5 "
                               "AND retired_at IS NULL").fetchone()[0]
    return f"({n:,})"


def test_the_editing_window_follows_a_citymgr_edit_of_its_file(qtbot, window_in, district,
                                                                shots):
    w = window_in(None, district)
    assert w.edit_session is not None  # the window that edits the file
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    press(qtbot, w, Qt.Key.Key_F6)  # the attribute table open
    qtbot.waitUntil(lambda: condition_in_table(w, uuid) == 1, timeout=WAIT)
    table = w.findChild(QDockWidget, "attribute_table_dock")
    qtbot.waitUntil(lambda: table.height() >= USABLE_BOTTOM_DOCK, timeout=WAIT)  # laid out
    settle(qtbot, w)
    view, before = w.canvas.extent(), legend(w)
    assert before["5 Critical"] == critical_count(district)

    set_condition_outside(district, 5, uuid)
    qtbot.waitUntil(lambda: condition_drawn(w, uuid) == 5, timeout=WAIT)
    qtbot.waitUntil(lambda: condition_in_table(w, uuid) == 5, timeout=WAIT)
    assert legend(w)["5 Critical"] == critical_count(district) != before["5 Critical"]
    assert w.status_bar.currentMessage() == \
        f"{district.name} was changed by another program: reloaded"
    assert w.canvas.extent() == view and w.selection.selected("litter_bin") == [uuid]
    assert not w.edit_session.dirty
    settle(qtbot, w)
    shots("after-citymgr-edit", w)

    # F5 asks the file at once, not at the next tick
    w._watcher._timer.stop()
    set_condition_outside(district, 2, uuid)
    press(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: condition_drawn(w, uuid) == 2, timeout=WAIT)


def test_this_windows_own_saves_are_not_taken_for_anothers(qtbot, window_in, district):
    w = window_in(None, district)
    select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 3)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=WAIT)
    w.status_bar.clearMessage()
    qtbot.wait(2500)  # two polls
    assert "another program" not in w.status_bar.currentMessage()


def test_unsaved_edits_stay_and_their_save_meets_the_outside_change(qtbot, window_in,
                                                                     district, shots):
    w = window_in(None, district)
    mine, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)  # not saved
    other = next(u for u in uuids(district, "litter_bin", "condition = 1", limit=50)
                 if u != mine)
    view = w.canvas.extent()
    set_condition_outside(district, 5, mine, other)
    qtbot.waitUntil(lambda: condition_drawn(w, other) == 5, timeout=WAIT)
    assert condition_drawn(w, mine) == 4  # this window's edit, still drawn as if saved
    assert w.edit_session.dirty and w.edit_session.row("litter_bin", mine)["condition"] == 4
    assert w.canvas.extent() == view and w.selection.selected("litter_bin") == [mine]
    settle(qtbot, w)
    shots("unsaved-edit-kept", w)
    seen: dict[str, str] = {}

    def read(dialog) -> None:
        seen["theirs"] = dialog.table.item(0, COL_THEIRS).text()
        pick(qtbot, dialog.boxes[0], "mine")

    with answer(qtbot, "Merge and save", fill=read, title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=WAIT)
    assert seen["theirs"] == "5 Critical"
    assert row(district, "litter_bin", mine)["condition"] == 4
    assert row(district, "litter_bin", other)["condition"] == 5


def test_the_sync_dialog_and_status_bar_follow_a_citymgr_sync_resolve(qtbot, window_in,
                                                                       district, tmp_path,
                                                                       shots):
    pkg = tmp_path / "field" / "p.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, surveyor="crew")
    uuid = uuids(pkg, "litter_bin", "condition = 1", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (uuid,))
    with edit(district) as c:
        c.execute("UPDATE litter_bin SET condition = 2 WHERE asset_uuid = ?", (uuid,))
    w = window_in(None, district)
    menu_item(qtbot, w, "file", "Field sync…")
    dialog = w.findChild(SyncDialog)
    type_into(qtbot, dialog.package, str(pkg))
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        qtbot.mouseClick(dialog.sync_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    button = w.status_bar.findChild(QPushButton, "openConflicts")
    assert [r.uuid for r in dialog.model.records] == [uuid]
    assert button.isVisible() and button.text() == "Unresolved conflicts: 1"

    # a choice made in the list stays while another program writes something else
    dialog.model.setData(dialog.model.index(0, CHOICE_COL), "master")
    other = next(u for u in uuids(district, "litter_bin", "condition = 1", limit=50)
                 if u != uuid)
    set_condition_outside(district, 5, other)
    qtbot.waitUntil(lambda: condition_drawn(w, other) == 5, timeout=WAIT)
    assert dialog.model.choices == {0: "master"}

    citymgr("sync-resolve", district, "--all", "--take", "field", "--user", "terminal")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: not button.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: condition_drawn(w, uuid) == 4, timeout=WAIT)
    assert dialog.tabs.tabText(1) == "Conflicts"
    settle(qtbot, w)
    shots("after-cli-resolve", w)
    shots("dialog-after-cli-resolve", dialog)
    dialog.close()


def test_a_citymgr_sync_adds_its_new_bin_to_the_map_and_the_legend(qtbot, window_in,
                                                                   district, tmp_path, shots):
    pkg = tmp_path / "field" / "p.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, surveyor="crew")
    w = window_in(None, district)
    drawn = len(w.map_data.layer("litter_bin").keys)
    before = legend(w)["layer"]
    with edit(pkg) as c:  # the crew copies a bin as a new one (a new uuid and code)
        cols = [r[1] for r in c.execute("PRAGMA table_info(litter_bin)")
                if r[1] not in ("fid", "asset_uuid", "obj_code")]
        names = ", ".join(f'"{n}"' for n in cols)
        c.execute(f"INSERT INTO litter_bin (asset_uuid, {names}) "
                  f"SELECT 'a0000000-0000-4000-8000-00000000fe11', {names} FROM litter_bin "
                  "LIMIT 1")
    citymgr("sync", district, pkg, "--user", "terminal")
    new = "a0000000-0000-4000-8000-00000000fe11"
    qtbot.waitUntil(lambda: len(w.map_data.layer("litter_bin").indices_of([new])) == 1,
                    timeout=WAIT)
    assert len(w.map_data.layer("litter_bin").keys) == drawn + 1
    assert legend(w)["layer"] == f"Litter bins  ({drawn + 1:,})" != before
    settle(qtbot, w)
    shots("after-cli-sync", w)



def test_a_write_in_progress_elsewhere_does_not_freeze_the_window(qtbot, window_in, district):
    """Another program holding the file's write lock: asking the file would wait for it
    (SQLite's 5 s busy wait, the window frozen); the watcher asks again once it committed."""
    w = window_in(None, district)
    uuid = uuids(district, "litter_bin", "condition = 1", limit=1)[0]
    conn = gpkg.connect(str(district))
    try:
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (uuid,))
        started = time.monotonic()
        press(qtbot, w, Qt.Key.Key_F5)  # asks the file at once
        assert time.monotonic() - started < 1.0
        conn.execute("COMMIT")
    finally:
        conn.close()
    qtbot.waitUntil(lambda: condition_drawn(w, uuid) == 5, timeout=WAIT)
