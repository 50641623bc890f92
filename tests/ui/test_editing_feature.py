"""The editing feature in a window honouring the main-window contract: Edit menu with undo/redo
labels and shortcuts, save / discard, "*" in the title, prompt on close, restore offer after a
crash, add / move point tools on canvas clicks, delete-or-retire, bulk edit."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.core.editing.journal import journal_path
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing import feature as editing_feature
from tests.ui._edit_window import ContractWindow


def editing(window) -> editing_feature.EditingFeature:
    """The editing feature installed in ``window`` (the real one or the stand-in)."""
    return window.installed_features["editing"]


@pytest.fixture
def win(qtbot, district):
    store = Store.open(district)
    w = ContractWindow(store)
    w.install(editing_feature)
    yield w
    if w.edit_session is not None:  # no close prompt: the edits are dropped first
        w.edit_session.discard()
    w.close()
    w.deleteLater()
    store.close()


def _bins(store, where="1", n=3):
    return [r[0] for r in store.conn.execute(
        f"SELECT asset_uuid FROM litter_bin WHERE {where} AND retired_at IS NULL ORDER BY fid "
        f"LIMIT {n}")]


def test_menu_shortcuts_and_labels(win):
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
    assert win.windowTitle() == "* district.gpkg - citymgr"
    f.undo_action.trigger()
    assert f.redo_action.text().startswith("Redo Edit Condition")
    assert win.windowTitle() == "district.gpkg - citymgr"
    f.redo_action.trigger()
    assert win.changed == []  # the file is unchanged until saved: the map need not reload
    f.save_action.trigger()
    assert win.changed == [{"litter_bin"}]
    assert not win.edit_session.dirty and win.windowTitle() == "district.gpkg - citymgr"
    assert win.store.get_row("litter_bin", uid)["condition"] == 3
    assert win.store.get_row("litter_bin", uid)["updated_by"] == "测试员"
    assert any(m.startswith("Saved: 1 row") for m in win.messages)


def test_title_keeps_qt_placeholder(win):
    win.setWindowTitle("district.gpkg[*] - citymgr")
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.edit_session.set_value("litter_bin", uid, "condition", 3)
    assert win.isWindowModified() and win.windowTitle() == "district.gpkg[*] - citymgr"


def test_discard_asks_and_forgets(win, monkeypatch):
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.edit_session.set_value("litter_bin", uid, "condition", 3)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.No)
    editing(win).discard_action.trigger()
    assert win.edit_session.dirty
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    editing(win).discard_action.trigger()
    assert not win.edit_session.dirty and not win.commands.can_undo()


@pytest.mark.parametrize("answer", ["cancel", "save", "discard"])
def test_close_prompts_with_unsaved_edits(qtbot, win, monkeypatch, answer):
    uid = _bins(win.store, "condition = 1", 1)[0]
    win.show()
    win.edit_session.set_value("litter_bin", uid, "condition", 4)
    buttons = {"cancel": QMessageBox.StandardButton.Cancel,
               "save": QMessageBox.StandardButton.Save,
               "discard": QMessageBox.StandardButton.Discard}
    asked = []
    monkeypatch.setattr(editing(win), "ask_close",
                        lambda: asked.append(1) or buttons[answer])
    store = win.store
    win.close()
    assert asked == [1]
    assert win.isVisible() == (answer == "cancel")
    saved = store.get_row("litter_bin", uid)["condition"] == 4
    assert saved == (answer == "save")
    if answer != "cancel":
        assert not journal_path(store.path).exists()


def test_restore_offered_after_a_crash(qtbot, district, monkeypatch):
    from citymgr_desktop.core.editing import EditSession

    store = Store.open(district)
    crashing = EditSession(store, "测试员")
    uid = _bins(store, "condition = 1", 1)[0]
    crashing.set_value("litter_bin", uid, "condition", 5)
    crashing.journal.close(remove=False)  # the process "dies" here
    store.close()

    store = Store.open(district)
    offered = []
    monkeypatch.setattr(editing_feature.EditingFeature, "ask_restore",
                        lambda self, rec: offered.append(rec.count) or True)
    second = ContractWindow(store)
    qtbot.addWidget(second)
    second.install(editing_feature)
    assert offered == [1]
    assert second.edit_session.row("litter_bin", uid)["condition"] == 5
    assert second.windowTitle().startswith("* ")
    assert second.commands.undo_label() == "Restore unsaved edits"
    editing(second).save()
    assert store.get_row("litter_bin", uid)["condition"] == 5
    second.edit_session.close()
    store.close()


def test_add_point_by_clicking_the_map(win, monkeypatch):
    f = editing(win)
    forms = []
    monkeypatch.setattr(f, "ask_form", lambda table, values, new: forms.append(dict(values))
                        or {**values, "name": "新垃圾箱", "bin_type": "kitchen"})
    f.add_action.trigger()
    assert f.tool == "add" and win.canvas.cursor == Qt.CursorShape.CrossCursor
    x, y = win.store.get_row("litter_bin", _bins(win.store, n=1)[0])["geom"].coords[0]
    win.canvas.clicked.emit(x + 3.0, y + 3.0)
    assert forms and forms[0].get("district")  # defaults from the neighbouring bin
    (uuid,) = win.selection.selected("litter_bin")
    row = win.edit_session.row("litter_bin", uuid)
    assert row["name"] == "新垃圾箱" and row["obj_code"].startswith("42010603")
    assert row["district"] == forms[0]["district"]
    assert win.commands.undo_label().startswith("Add litter bin")
    win.canvas.set_tool("select")  # choosing another map tool ends the add tool
    assert f.tool is None and not f.add_action.isChecked()


def test_add_tool_needs_a_point_layer(win):
    win.layer = "road_segment"
    editing(win).add_action.trigger()
    assert editing(win).tool is None
    assert "point layer" in win.messages[-1]


def test_move_point_with_two_clicks(win):
    f = editing(win)
    uuid = _bins(win.store, n=1)[0]
    x, y = win.store.get_row("litter_bin", uuid)["geom"].coords[0]
    f.move_action.trigger()
    win.canvas.clicked.emit(x + 1.0, y - 1.0)  # picks the bin (tolerance 8 px = 40 m here)
    assert win.selection.selected("litter_bin") == [uuid]
    win.canvas.clicked.emit(x + 25.0, y + 25.0)
    assert win.edit_session.row("litter_bin", uuid)["geom"].coords[0] == (x + 25.0, y + 25.0)
    assert win.commands.undo_label().startswith("Move ")


def test_delete_retires_assets_with_history(win, monkeypatch):
    store = win.store
    free = _bins(store, "asset_uuid NOT IN (SELECT asset_uuid FROM maintenance_record) AND "
                 "asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset)", 2)
    refd = _bins(store, "asset_uuid IN (SELECT asset_uuid FROM maintenance_record)", 1)
    win.selection.set_selection("litter_bin", free + refd)
    asked = []
    monkeypatch.setattr(editing(win), "confirm_delete",
                        lambda label: asked.append(label) or True)
    editing(win).delete_action.trigger()
    assert asked == ["Delete 2 and retire 1 litter bins"]
    assert win.selection.selected("litter_bin") == []
    editing(win).save()
    assert store.conn.execute("SELECT count(*) FROM litter_bin WHERE asset_uuid IN (?,?)",
                              free).fetchone()[0] == 0
    assert store.get_row("litter_bin", refd[0])["retired_at"] is not None


def test_bulk_edit_of_the_selection_is_one_step(win, monkeypatch):
    from citymgr_desktop.ui.editing import bulk_edit_dialog as bed

    chosen = _bins(win.store, "condition IN (1, 2)", 1200)
    win.selection.set_selection("litter_bin", chosen)

    class Accepting(bed.BulkEditDialog):
        def exec(self):
            self.field_box.setCurrentIndex(self.field_box.findData("condition"))
            self.editor.set_value(4)
            self.accept()
            return self.result()

    monkeypatch.setattr("citymgr_desktop.ui.editing.actions.BulkEditDialog",
                        Accepting)
    editing(win).bulk_action.trigger()
    assert len(win.commands) == 1
    assert win.commands.undo_label() == f"Set Condition of {len(chosen):,} litter bins"
    assert set(win.edit_session.select("litter_bin", "condition = 4")) >= set(chosen)
    editing(win).undo_action.trigger()
    assert not win.edit_session.dirty


def test_read_only_file_shows_the_table_without_editing(qtbot, district):
    store = Store.open(district, read_only=True)
    w = ContractWindow(store)
    qtbot.addWidget(w)
    f = w.install(editing_feature)
    w.show()
    assert w.edit_session is None
    assert not f.add_action.isEnabled() and not f.save_action.isEnabled()
    f.show_table("bridge")
    qtbot.waitUntil(lambda: f.table.model.rowCount() > 0, timeout=10_000)
    assert not f.table.model.flags(f.table.model.index(0, 5)) & Qt.ItemFlag.ItemIsEditable
    store.close()


def test_in_the_real_main_window(qtbot, opened_window, monkeypatch):
    """Installed by discovery; Ctrl+Z/Ctrl+S reach it; the overlay marks pending edits; the
    window's close guard asks before the file is closed."""
    w = opened_window
    f = editing(w)
    assert "editing" not in " ".join(w.feature_errors)
    edit_texts = [a.text() for a in w.menu("edit").actions() if a.text()]
    assert edit_texts[0] == "Undo"
    store = w.store
    uid = _bins(store, "condition = 1", 1)[0]
    x, y = store.get_row("litter_bin", uid)["geom"].coords[0]
    w.canvas.zoom_to_bbox(x - 100, y - 100, x + 100, y + 100)
    w.edit_session.move_point("litter_bin", uid, __import__("shapely").Point(x + 20, y))
    assert [m[0] for m in f.overlay.markers] == ["moved"]
    assert f.overlay.geometry() == w.canvas.rect()
    assert w.windowTitle().startswith("* ")
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not w.edit_session.dirty and f.overlay.markers == []
    qtbot.keyClick(w, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert w.edit_session.dirty
    asked = []
    monkeypatch.setattr(f, "ask_close", lambda: asked.append(1) or QMessageBox.StandardButton.Cancel)
    assert not w.close_file() and asked == [1] and w.store is store
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not w.edit_session.dirty
    assert store.get_row("litter_bin", uid)["geom"].coords[0] == (x + 20, y)
    assert w.close_file() and w.edit_session is None


def test_a_big_save_runs_in_a_worker_with_progress(qtbot, win, monkeypatch):
    monkeypatch.setattr(editing_feature, "BIG_SAVE", 10)
    chosen = _bins(win.store, "1", 50)
    win.edit_session.bulk_set("litter_bin", chosen, {"remarks": "批量"})
    events = []
    win.edit_session.subscribe(events.append)
    assert editing(win).save() is False  # started, not finished
    qtbot.waitUntil(lambda: not win.edit_session.dirty and bool(events), timeout=10_000)
    assert events[-1].saved  # delivered on the UI thread after the worker finished
    qtbot.waitUntil(lambda: any(m.startswith("Saved: 50 row") for m in win.messages))
    assert win.store.conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '批量'"
                                  ).fetchone()[0] == 50


def test_field_calculator_from_the_menu(qtbot, win, monkeypatch):
    from citymgr_desktop.ui.editing import field_calculator_dialog as fcd

    class Accepting(fcd.FieldCalculatorDialog):
        def exec(self):
            self.target.setCurrentIndex(self.target.findData("capacity_l"))
            self.expression.setPlainText("if(capacity_l < 240, 240, capacity_l)")
            self.accept()
            return self.result()

    monkeypatch.setattr("citymgr_desktop.ui.editing.actions.FieldCalculatorDialog",
                        Accepting)
    small = set(win.edit_session.select("litter_bin", "capacity_l < 240"))
    assert small
    editing(win).calc_action.trigger()  # no selection: every bin
    qtbot.waitUntil(lambda: win.commands.can_undo(), timeout=10_000)
    assert win.commands.undo_label() == f"Calculate Capacity (L) of {len(small):,} litter bins"
    assert win.edit_session.select("litter_bin", "capacity_l < 240") == []
