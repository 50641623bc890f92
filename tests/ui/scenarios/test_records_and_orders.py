"""Maintenance records and work orders in the one edit session, with real input: a record
whose "condition after" joins an unsaved condition edit (no "another program" on save, issue
12 item 4), undo and redo across assets and records, Del on a chosen record, a photo attached
to a record that stays chosen, a work order made from a rectangle selection and moved to
dispatched through its detail view, photos attached to the order, a real other program's
change merged field by field, and Discard keeping the undo of what was saved."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTreeWidget,
    QWidget,
)

from citymgr_desktop.core import history
from citymgr_desktop.core.workorders import orders as wo
from tests.ui.driver import (
    CTRL,
    answer,
    choose_file,
    click_map,
    drag_map,
    map_point,
    menu_item,
    pick,
    press,
    settle,
    type_into,
)
from tests.ui.scenarios.helpers import zoom_on_a_bin

ALT = Qt.KeyboardModifier.AltModifier
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"  # 1x1 red
                    "1f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d00"
                    "00000049454e44ae426082")


def select_bin(qtbot, w, where=None):
    uuid, x, y = zoom_on_a_bin(qtbot, w, where=where)
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)
    click_map(qtbot, w, x, y)
    assert w.selection.selected("litter_bin") == [uuid]
    return uuid, x, y


def set_condition_in_form(qtbot, w, value: int) -> None:
    with answer(qtbot, "OK", fill=lambda form: pick(qtbot, form.editors["condition"].inner,
                                                     value)):
        press(qtbot, w, Qt.Key.Key_E, CTRL)


def add_record(qtbot, w, shots=None, after: int | None = None, kind: str = "inspection",
               seen: dict | None = None):
    def fill(dialog):
        if seen is not None:
            seen["before"] = dialog.before.currentData()
        pick(qtbot, dialog.type, kind)
        if after is not None:
            pick(qtbot, dialog.after, after)
        type_into(qtbot, dialog.crew, "巡查一组")
        if shots is not None:
            shots("record-dialog", dialog)

    with answer(qtbot, "OK", fill=fill):
        menu_item(qtbot, w, "asset", "Add maintenance record")


def test_a_record_joins_the_unsaved_condition_edit_and_saves_without_a_question(
        qtbot, opened_window, shots):
    w = opened_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)
    seen: dict = {}
    add_record(qtbot, w, shots, after=2, seen=seen)
    assert seen == {"before": 4}  # the form starts at the condition shown (unsaved 4)
    assert w.edit_session.row("litter_bin", uuid)["condition"] == 2
    panel = w.findChild(QWidget,
                        "historyRecords")
    assert panel.topLevelItem(0).text(3) == "4 → 2"  # the unsaved record, first
    shots("before-save", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # no "another program changed values" box
    assert not w.edit_session.dirty
    assert w.store.get_row("litter_bin", uuid)["condition"] == 2
    recs = history.records(w.store, uuid)
    assert recs[0]["condition_before"] == 4 and recs[0]["condition_after"] == 2
    assert recs[0]["created_by"] == "测试员"


def test_undo_and_redo_across_assets_and_records(qtbot, opened_window):
    w = opened_window
    uuid, _x, _y = select_bin(qtbot, w)
    set_condition_in_form(qtbot, w, 5)
    add_record(qtbot, w, kind="cleaning")
    n = len(history.records(w.store, uuid, pending=w.edit_session.pending))
    press(qtbot, w, Qt.Key.Key_Z, CTRL)  # the record goes
    assert len(history.records(w.store, uuid, pending=w.edit_session.pending)) == n - 1
    assert w.edit_session.row("litter_bin", uuid)["condition"] == 5
    press(qtbot, w, Qt.Key.Key_Z, CTRL)  # then the condition
    assert not w.edit_session.dirty
    press(qtbot, w, Qt.Key.Key_Y, CTRL)
    press(qtbot, w, Qt.Key.Key_Y, CTRL)
    assert w.edit_session.row("litter_bin", uuid)["condition"] == 5
    assert len(history.records(w.store, uuid, pending=w.edit_session.pending)) == n
    edit_menu = w.menu("edit").actions()[0].text()
    assert edit_menu.startswith("Undo Add maintenance record")


def test_del_deletes_the_chosen_record_not_the_asset(qtbot, opened_window):
    """Issue 12 item 7: Del with a record chosen in the history list ("Ambiguous shortcut")."""
    w = opened_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: bool(history.records(w.store, u)))
    tree = w.findChild(QTreeWidget,
                       "historyRecords")
    w.dock("history_dock").show()
    w.dock("history_dock").raise_()
    qtbot.waitUntil(tree.isVisible)
    n = tree.topLevelItemCount()
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tree.selectedItems()
    qtbot.keyClick(tree, Qt.Key.Key_Delete)
    assert tree.topLevelItemCount() == n - 1
    assert w.edit_session.rows("litter_bin", [uuid])  # the bin is still there
    assert w.edit_session.commands.undo_label() == "Delete maintenance record"


def test_a_photo_attached_to_a_record_keeps_it_chosen(qtbot, opened_window, tmp_path, shots):
    w = opened_window
    select_bin(qtbot, w, where=lambda u: bool(history.records(w.store, u)))
    tree = w.findChild(QTreeWidget,
                       "historyRecords")
    w.dock("history_dock").show()
    w.dock("history_dock").raise_()
    qtbot.waitUntil(tree.isVisible)
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    record = tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole)
    photo = tmp_path / "site-photo.png"
    photo.write_bytes(PNG)
    QSettings().setValue("history/attach_dir", str(tmp_path))  # where photos were last taken
    button = w.findChild(QPushButton,
                         "historyAttach")
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert tree.selectedItems() and tree.selectedItems()[0].data(
        0, Qt.ItemDataRole.UserRole) == record
    thumbs = w.findChild(QListWidget,
                         "history_photos")
    names = [thumbs.item(i).text() for i in range(thumbs.count())]
    assert "site-photo.png" in names
    shots("photo-attached", w)


def order_row(w, case: str) -> QPoint:
    table = w.findChild(QTableWidget,
                        "workOrderTable")
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == case:
            table.scrollToItem(table.item(r, 0))
            return table, table.visualItemRect(table.item(r, 0)).center()
    raise AssertionError(f"{case} is not listed")


def test_work_order_from_a_rectangle_selection_moved_to_dispatched(qtbot, opened_window,
                                                                   tmp_path, shots):
    w = opened_window
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)
    c = map_point(w, x, y)
    drag_map(qtbot, w, c - QPoint(120, 100), c + QPoint(120, 100))
    chosen = w.selection.all()
    n = sum(len(v) for v in chosen.values())
    assert n >= 2

    def fill(dialog):
        type_into(qtbot, dialog.title, "垃圾箱清洗")
        shots("new-order", dialog)

    with answer(qtbot, "OK", fill=fill, title="New work order"):
        menu_item(qtbot, w, "workorder", "New work order")
    case = w.edit_session.commands.undo_label().split()[-1]
    order = wo.get_order(w.store, case, w.edit_session.pending)
    assert order["state"] == "reported" and w.store.conn.execute(
        "SELECT count(*) FROM work_order WHERE case_no = ?", (case,)).fetchone()[0] == 0
    w.dock("workorders_dock").show()
    w.dock("workorders_dock").raise_()
    table, pos = order_row(w, case)
    qtbot.waitUntil(table.isVisible)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # the details
    qtbot.waitUntil(lambda: w.findChild(QDialog, "workOrderDetail") is not None)
    detail = w.findChild(QDialog, "workOrderDetail")
    assert detail.assets.topLevelItemCount() == n
    for target in ("filed", "dispatched"):
        with answer(qtbot, "OK", fill=lambda d, t=target: pick(qtbot, d.target, t)):
            qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)
    assert detail.timeline.topLevelItemCount() == 3
    photo = tmp_path / "dispatch.png"
    photo.write_bytes(PNG)
    QSettings().setValue("workorders/photo_dir", str(tmp_path))
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(detail.attach_button, Qt.MouseButton.LeftButton)
    assert detail.photos.count() == 1
    shots("order-detail", detail)
    qtbot.mouseClick(detail.findChild(QDialogButtonBox).button(
        QDialogButtonBox
        .StandardButton.Close), Qt.MouseButton.LeftButton)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # order, events, links and photo in one transaction
    saved = wo.get_order(w.store, case)
    assert saved["state"] == "dispatched"
    assert len(wo.assets_of(w.store, saved["work_order_uuid"])) == n
    assert len(history.attachments(w.store, saved["work_order_uuid"])) == 1


def test_a_real_other_program_is_merged_field_by_field(qtbot, opened_window, shots):
    w = opened_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)
    conn = sqlite3.connect(w.store.path)  # QGIS changes the same bin meanwhile
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(fn, 1, lambda _g: 0)
    with conn:
        conn.execute("UPDATE litter_bin SET condition = 3, name = 'QGIS改' WHERE "
                     "asset_uuid = ?", (uuid,))
    conn.close()

    def fill(dialog):
        shots("merge", dialog)
        assert dialog.table.rowCount() == 1 and dialog.table.item(0, 3).text() == "3 Mediocre"
        pick(qtbot, dialog.boxes[0], "theirs")

    with answer(qtbot, "Merge and save", fill=fill, title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    row = w.store.get_row("litter_bin", uuid)
    assert (row["condition"], row["name"]) == (3, "QGIS改")  # theirs kept, nothing lost
    assert not w.edit_session.dirty


def test_discard_keeps_the_undo_of_a_saved_work_order(qtbot, opened_window):
    w = opened_window
    select_bin(qtbot, w)
    with answer(qtbot, "OK", fill=lambda d: type_into(qtbot, d.title, "修"),
                title="New work order"):
        menu_item(qtbot, w, "workorder", "New work order")
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    set_condition_in_form(qtbot, w, 3)
    with answer(qtbot, "Yes", title="Discard edits"):
        menu_item(qtbot, w, "edit", "Discard edits")
    assert not w.edit_session.dirty
    assert w.edit_session.commands.undo_label().startswith("Create work order")
    settle(qtbot, w)
