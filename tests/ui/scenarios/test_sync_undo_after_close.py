"""Edit › Undo of a sync made in the Field sync dialog, after the dialog was closed (trial 7,
fault 1): the dialog is deleted on close, and the undo step called back into it (an
uncaught "Internal C++ object (SyncDialog) already deleted", the file undone but the stack
still offering "Undo Sync …" and no Redo). Now the window owns the refresh: Ctrl+Z undoes
the file, the map reloads, Redo (Ctrl+Shift+Z) is offered and works.

When the sync was undone and synced again with the CLI meanwhile (a new run with the same
sync id), the window's step refuses with a message saying what happened and how to undo the
run now in the file, leaves the file as the CLI left it and is taken off Edit › Undo/Redo.

Through the real window: the menu, the dialog's buttons, real key events, the real
``citymgr`` processes in between. An uncaught exception fails the test (pytest-qt)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from citymgr_desktop.ui.sync.dialog import SyncDialog
from tests.core.sync_support import checkout, dump, edit, row, uuids
from tests.faults.support import run
from tests.ui.driver import CTRL, LEFT, SHIFT, answer, button_of, menu_item, press, type_into

FIELD_NAME = "现场改名"


def citymgr(*args: str) -> str:
    """The CLI as a person runs it in a terminal next to the open window."""
    return run(args, timeout=300).ok()  # the one way the tests run the CLI


@pytest.fixture
def synced_and_closed(qtbot, window_in, district, tmp_path):
    """A package whose surveyor renamed one bin and set another's condition to 5, synced
    from File › Field sync… in the window; the dialog then closed with its Close button (and
    deleted by Qt)."""
    pkg = tmp_path / "field" / "巡查.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, district="中华路街道", surveyor="张三")
    a, b = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (a,))
        c.execute("UPDATE litter_bin SET name = ? WHERE asset_uuid = ?", (FIELD_NAME, b))
    w = window_in(None, district)
    menu_item(qtbot, w, "file", "Field sync…" if w.lang == "en" else "外业同步…")
    dialog = w.findChild(SyncDialog)
    assert dialog is not None and dialog.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    type_into(qtbot, dialog.package, str(pkg))
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        qtbot.mouseClick(dialog.sync_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    sync_id = dialog.report.sync_id
    assert row(district, "litter_bin", b)["name"] == FIELD_NAME
    qtbot.mouseClick(button_of(dialog, QDialogButtonBox.StandardButton.Close), LEFT)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)  # deleted
    assert w.findChild(SyncDialog) is None
    w.changed = []  # the tables each dataChanged named from here on
    w.dataChanged.connect(lambda tables: w.changed.append(set(tables)))
    return w, district, pkg, sync_id, (a, b)


def run_states(master: Path, sync_id: str) -> list[str]:
    with sqlite3.connect(master) as c:
        return [s for (s,) in c.execute("SELECT state FROM sync_run WHERE sync_id = ? "
                                        "ORDER BY rowid", (sync_id,))]


def edit_action(w, name: str):
    return next(a for a in w.menu("edit").actions() if a.objectName() == name)


def test_ctrl_z_after_closing_the_dialog_undoes_and_redo_is_offered(qtbot, synced_and_closed):
    w, master, _, sync_id, (a, b) = synced_and_closed
    undo, redo = edit_action(w, "action_undo"), edit_action(w, "action_redo")
    assert undo.isEnabled() and undo.text() == "Undo Sync 巡查.gpkg" and not redo.isEnabled()

    press(qtbot, w, Qt.Key.Key_Z, CTRL)
    assert row(master, "litter_bin", b)["name"] != FIELD_NAME
    assert row(master, "litter_bin", a)["condition"] != 5
    assert run_states(master, sync_id) == ["undone"]
    assert w.changed and "litter_bin" in w.changed[-1]  # the map and panels reload
    assert redo.isEnabled() and redo.text() == "Redo Sync 巡查.gpkg"
    assert not undo.isEnabled()

    press(qtbot, w, Qt.Key.Key_Z, CTRL | SHIFT)
    assert row(master, "litter_bin", b)["name"] == FIELD_NAME
    assert row(master, "litter_bin", a)["condition"] == 5
    assert undo.isEnabled() and undo.text() == "Undo Sync 巡查.gpkg" and not redo.isEnabled()
    assert len(w.changed) == 2

    press(qtbot, w, Qt.Key.Key_Z, CTRL)  # and back again: the step stays truthful
    assert row(master, "litter_bin", b)["name"] != FIELD_NAME and redo.isEnabled()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_undo_after_the_cli_undid_and_synced_again_refuses_and_says_why(
        qtbot, request, lang, shots):
    if lang == "zh_CN":
        request.getfixturevalue("chinese")
    w, master, pkg, sync_id, (_, b) = request.getfixturevalue("synced_and_closed")
    citymgr("sync-undo", str(master), sync_id, "--user", "李四")
    citymgr("sync", str(master), str(pkg), "--user", "李四")  # a new run, the same sync id
    as_the_cli_left_it = dump(master, skip=set())
    assert row(master, "litter_bin", b)["name"] == FIELD_NAME

    def look(box):
        shots(f"undo-refused-{lang}", box)

    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox, fill=look) as told:
        press(qtbot, w, Qt.Key.Key_Z, CTRL)
    if lang == "en":
        assert f"sync {sync_id} was undone outside this window and synced again" in told.text
        assert "by 李四" in told.text and "nothing was changed" in told.text
        assert "Field sync ▸ History" in told.text
    else:
        assert f"同步 {sync_id} 已在本窗口之外撤销" in told.text and "李四" in told.text
        assert "外业同步 ▸ 同步历史" in told.text
    assert f"citymgr sync-undo {master} {sync_id}" in told.text
    assert dump(master, skip=set()) == as_the_cli_left_it
    assert row(master, "litter_bin", b)["name"] == FIELD_NAME
    assert run_states(master, sync_id) == ["undone", "applied"]
    undo, redo = edit_action(w, "action_undo"), edit_action(w, "action_redo")
    assert not undo.isEnabled() and not redo.isEnabled()  # the step is gone, not lying
    assert len(w.commands) == 0


def test_redo_after_the_cli_synced_again_refuses_and_drops_the_step(qtbot, synced_and_closed):
    w, master, pkg, sync_id, (_, b) = synced_and_closed
    press(qtbot, w, Qt.Key.Key_Z, CTRL)  # the window undoes the sync
    assert row(master, "litter_bin", b)["name"] != FIELD_NAME
    citymgr("sync", str(master), str(pkg), "--user", "李四")  # and the CLI applies it again
    as_the_cli_left_it = dump(master, skip=set())
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox) as told:
        press(qtbot, w, Qt.Key.Key_Z, CTRL | SHIFT)
    assert f"sync {sync_id} was synced again outside this window" in told.text
    assert f"citymgr sync-undo {master} {sync_id}" in told.text
    assert dump(master, skip=set()) == as_the_cli_left_it
    assert not edit_action(w, "action_redo").isEnabled()
    assert not w.commands.can_redo() and not w.commands.can_undo()

