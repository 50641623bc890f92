"""The work-order list keeps what the user selected: several orders stay selected when the
list is read again (an edit, a save, another program's write), and a new order is the only
one selected even while Ctrl is still held from the shortcut that made it
(``QTableView.selectRow`` follows the keyboard's modifiers)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from citymgr_desktop.core.workorders import orders as wo

CTRL = Qt.KeyboardModifier.ControlModifier


def _orders(window, n):
    feat = window.installed_features["workorders"]
    ids = [r[0] for r in window.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT ?", (n,))]
    return feat, [feat.create(wo.OrderSpec(f"工单{i}", 3, [("litter_bin", u)]))
                  for i, u in enumerate(ids)]


def test_several_selected_orders_stay_selected_when_the_list_is_read_again(
        window_in, small_district, qtbot):
    window = window_in(None, small_district)
    feat, cases = _orders(window, 3)
    table = feat.list.table
    rows = [r for r in range(table.rowCount()) if table.item(r, 0).text() in cases[:2]]
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(table.model().index(rows[0], 1)).center())
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, CTRL,
                     pos=table.visualRect(table.model().index(rows[1], 1)).center())
    assert sorted(feat.list.selected_cases()) == sorted(cases[:2])
    qtbot.keyRelease(table, Qt.Key.Key_Control)  # the user lets go of Ctrl

    feat.list.refresh()  # as after a save or another program's write
    assert sorted(feat.list.selected_cases()) == sorted(cases[:2])


def test_a_new_order_is_the_only_one_selected_while_ctrl_is_held(
        window_in, small_district, qtbot):
    window = window_in(None, small_district)
    feat, (first,) = _orders(window, 1)
    assert feat.list.selected_cases() == [first]
    qtbot.keyPress(feat.list.table, Qt.Key.Key_Control, CTRL)  # still down after a shortcut
    try:
        ids = [r[0] for r in window.store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid DESC LIMIT 1")]
        second = feat.create(wo.OrderSpec("新工单", 3, [("litter_bin", ids[0])]))
        assert feat.list.selected_cases() == [second]
    finally:
        qtbot.keyRelease(feat.list.table, Qt.Key.Key_Control)
