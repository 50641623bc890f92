"""The editing feature in the real main window: Edit menu with undo/redo labels and
shortcuts, save / discard with their questions answered by clicking, "*" in the title,
delete-or-retire, the add tool refusing a line layer, a read-only table, a big save and
the field calculator in workers. The full workflows (add, move, condition colour, bulk
edit, close prompts, crash recovery) are the scenarios in tests/ui/scenarios/."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from citymgr_desktop.ui.editing import feature as editing_feature
from tests.ui.driver import CTRL, answer, menu_item, pick, press
from tests.ui.scenarios.test_edit_assets import choose_layer


def editing(window) -> editing_feature.EditingFeature:
    return window.installed_features["editing"]


@pytest.fixture
def win(small_window):
    return small_window


def _bins(store, where="1", n=3):
    return [r[0] for r in store.conn.execute(
        f"SELECT asset_uuid FROM litter_bin WHERE {where} AND retired_at IS NULL ORDER BY fid "
        f"LIMIT {n}")]


def test_menu_shortcuts_and_labels(qtbot, win):
    f = editing(win)
    texts = [a.text() for a in win.menu("edit").actions() if a.text()]
    assert texts[:4] == ["Undo", "Redo", "Save edits", "Discard edits…"]
    assert f.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert [s.toString() for s in f.redo_action.shortcuts()] == ["Ctrl+Y", "Ctrl+Shift+Z"]
    assert f.save_action.shortcut().toString() == "Ctrl+S"
    assert not f.undo_action.isEnabled() and not f.save_action.isEnabled()
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.edit_session.set_value("litter_bin", uid, "condition", 3)
    assert f.undo_action.isEnabled() and f.undo_action.text().startswith("Undo Edit Condition")
    assert win.windowTitle() == "* small.gpkg — citymgr-desktop"
    press(qtbot, win, Qt.Key.Key_Z, CTRL)
    assert f.redo_action.text().startswith("Redo Edit Condition")
    assert win.windowTitle() == "small.gpkg — citymgr-desktop"
    press(qtbot, win, Qt.Key.Key_Y, CTRL)
    press(qtbot, win, Qt.Key.Key_S, CTRL)
    assert not win.edit_session.dirty and win.windowTitle() == "small.gpkg — citymgr-desktop"
    assert win.store.get_row("litter_bin", uid)["condition"] == 3
    assert win.store.get_row("litter_bin", uid)["updated_by"] == "测试员"
    assert win.status_bar.currentMessage() == "Saved: 1 row(s) written (editor: 测试员)"


def test_title_keeps_qt_placeholder(win):
    win.setWindowTitle("small.gpkg[*] - citymgr")
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.edit_session.set_value("litter_bin", uid, "condition", 3)
    assert win.isWindowModified() and win.windowTitle() == "small.gpkg[*] - citymgr"


def test_discard_asks_and_forgets(qtbot, win):
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.edit_session.set_value("litter_bin", uid, "condition", 3)
    with answer(qtbot, "No", kind=QMessageBox, title="Discard edits"):
        menu_item(qtbot, win, "edit", "Discard edits")
    assert win.edit_session.dirty
    with answer(qtbot, "Yes", kind=QMessageBox, title="Discard edits"):
        menu_item(qtbot, win, "edit", "Discard edits")
    assert not win.edit_session.dirty and not win.commands.can_undo()


def test_add_tool_needs_a_point_layer(qtbot, win):
    choose_layer(qtbot, win, "road_segment")
    assert not editing(win).add_action.isEnabled()
    editing(win).toggle_add(True)  # as if the action were triggered anyway
    assert win.canvas.tool == "pan"
    assert "point layer" in win.status_bar.currentMessage()


def test_delete_retires_assets_with_history(qtbot, win):
    store = win.store
    free = _bins(store, "asset_uuid NOT IN (SELECT asset_uuid FROM maintenance_record) AND "
                 "asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset)", 2)
    refd = _bins(store, "asset_uuid IN (SELECT asset_uuid FROM maintenance_record)", 1)
    win.selection.set_selection("litter_bin", free + refd)
    with answer(qtbot, "Yes", kind=QMessageBox, title="Delete assets") as asked:
        press(qtbot, win, Qt.Key.Key_Delete)
    assert asked.text.startswith("Delete 2 and retire 1 litter bins?")
    assert win.selection.selected("litter_bin") == []
    press(qtbot, win, Qt.Key.Key_S, CTRL)
    assert store.conn.execute("SELECT count(*) FROM litter_bin WHERE asset_uuid IN (?,?)",
                              free).fetchone()[0] == 0
    assert store.get_row("litter_bin", refd[0])["retired_at"] is not None


def test_read_only_file_shows_the_table_without_editing(qtbot, main_window, small_district):
    small_district.chmod(0o444)
    try:
        with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
            main_window.open_file(small_district)
        f = editing(main_window)
        assert main_window.edit_session is None
        assert not f.add_action.isEnabled() and not f.save_action.isEnabled()
        f.show_table("bridge")
        qtbot.waitUntil(lambda: f.table.model is not None and f.table.model.rowCount() > 0,
                        timeout=10_000)
        assert not f.table.model.flags(f.table.model.index(0, 5)) & Qt.ItemFlag.ItemIsEditable
    finally:
        small_district.chmod(0o644)


def test_a_big_save_runs_in_a_worker_with_progress(qtbot, win, monkeypatch):
    monkeypatch.setattr(editing_feature, "BIG_SAVE", 10)
    chosen = _bins(win.store, "1", 50)
    win.edit_session.bulk_set("litter_bin", chosen, {"remarks": "批量"})
    events = []
    win.edit_session.subscribe(events.append)
    press(qtbot, win, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not win.edit_session.dirty and bool(events), timeout=10_000)
    assert events[-1].saved  # delivered on the UI thread after the worker finished
    qtbot.waitUntil(lambda: win.status_bar.currentMessage().startswith("Saved: 50 row"))
    assert win.store.conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '批量'"
                                  ).fetchone()[0] == 50


def test_field_calculator_from_the_menu(qtbot, win):
    small = set(win.edit_session.select("litter_bin", "capacity_l < 240"))
    assert small
    choose_layer(qtbot, win, "litter_bin")

    def fill(dialog) -> None:
        pick(qtbot, dialog.target, "capacity_l")
        dialog.expression.setFocus()
        qtbot.keyClicks(dialog.expression, "if(capacity_l < 240, 240, capacity_l)")

    with answer(qtbot, QDialogButtonBox.StandardButton.Ok, fill=fill):  # "Update 172"
        menu_item(qtbot, win, "edit", "Field calculator")  # no selection: every bin
    qtbot.waitUntil(lambda: win.commands.can_undo(), timeout=10_000)
    assert win.commands.undo_label() == f"Calculate Capacity (L) of {len(small):,} litter bins"
    assert win.edit_session.select("litter_bin", "capacity_l < 240") == []
