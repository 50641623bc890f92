"""A work order cannot be disposed of without a result, in the real window (Chinese UI): the
move dialog keeps OK disabled and says why while 已处置 has no 处置结果; the result typed there
is what closing writes as each asset's 处理措施 (read back from the saved file with GDAL). The
create dialog takes a deadline of its own, refusing one in the past."""

from __future__ import annotations

import csv
import io
import subprocess

from PySide6.QtCore import Qt

from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog
from tests.ui.driver import answer, pick, press, type_datetime, type_into

CTRL = Qt.KeyboardModifier.ControlModifier


def _move_in_dialog(qtbot, feat, case, target, fill_more=None):
    def fill(dlg: WorkOrderMoveDialog) -> None:
        pick(qtbot, dlg.target, target)
        if fill_more:
            fill_more(dlg)
        qtbot.mouseClick(dlg.ok, Qt.MouseButton.LeftButton)

    with answer(qtbot, fill=fill, kind=WorkOrderMoveDialog):
        feat.move_order(case)


def test_resolving_needs_a_result_and_closing_records_it(chinese, window_in, small_district,
                                                          qtbot, shots):
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    ids = [r[0] for r in window.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 ORDER BY fid LIMIT 2")]
    case = feat.create(wo.OrderSpec("箱体破损", 3, [("litter_bin", u) for u in ids]))
    for to in ("filed", "dispatched", "in_progress"):
        _move_in_dialog(qtbot, feat, case, to)
    seen = {}

    def no_result(dlg: WorkOrderMoveDialog) -> None:
        assert dlg.note_label.text() == "处置结果（必填）"
        assert not dlg.ok.isEnabled() and "处置结果" in dlg.error.text()
        shots("move-resolved-empty", dlg)
        type_into(qtbot, dlg.note, "   ")  # blanks are no result
        assert not dlg.ok.isEnabled()
        qtbot.mouseClick(dlg.ok, Qt.MouseButton.LeftButton)  # disabled: nothing happens
        assert dlg.isVisible()
        type_into(qtbot, dlg.note, "更换箱体两个，清洗周边")
        assert dlg.ok.isEnabled() and not dlg.error.text()
        shots("move-resolved-filled", dlg)
        seen["shown"] = True

    _move_in_dialog(qtbot, feat, case, "resolved", no_result)
    assert seen and wo.get_order(window.store, case, window.edit_session.pending)["state"] == \
        "resolved"

    def other_moves_need_none(dlg: WorkOrderMoveDialog) -> None:
        assert dlg.ok.isEnabled() and dlg.note_label.text() == "意见"

    _move_in_dialog(qtbot, feat, case, "checked", other_moves_need_none)
    _move_in_dialog(qtbot, feat, case, "closed", other_moves_need_none)
    press(qtbot, window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not window.edit_session.dirty, timeout=10_000)
    uuid = wo.get_order(window.store, case)["work_order_uuid"]
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(small_district),
                          "maintenance_record", "-where", f"work_order_uuid = '{uuid}'",
                          "-select", "asset_uuid,work_done"],
                         capture_output=True, text=True, check=True).stdout
    done = sorted((r["asset_uuid"], r["work_done"]) for r in csv.DictReader(io.StringIO(out)))
    assert done == sorted((u, "更换箱体两个，清洗周边") for u in ids)


def test_create_dialog_takes_a_deadline_of_its_own(chinese, window_in, small_district, qtbot,
                                                   shots):
    """The deadline field starts at the computed one (shown beside it) and follows the
    priority until edited; a past one is refused inline; a hotline case's own is stored."""
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    ids = [r[0] for r in window.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 ORDER BY fid LIMIT 2")]
    window.selection.set_selection("litter_bin", ids)
    seen = {}

    def fill(dlg: WorkOrderDialog) -> None:
        computed = dlg.due.dateTime().toString("yyyy-MM-dd HH:mm")
        assert computed in dlg.deadline.text() and "按时限计算" in dlg.deadline.text()
        pick(qtbot, dlg.priority, 1)  # not edited yet: follows the priority
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") in dlg.deadline.text()
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") != computed
        shots("create-computed", dlg)
        type_into(qtbot, dlg.title, "市民热线：垃圾箱倾倒")
        type_datetime(qtbot, dlg.due, "2020-01-01 09:00")
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
        assert dlg.isVisible() and "不晚于工单创建时间" in dlg.error.text()
        shots("create-past", dlg)
        type_datetime(qtbot, dlg.due, "2099-03-02 15:00")
        assert not dlg.error.text()
        pick(qtbot, dlg.priority, 3)  # edited: the priority leaves it alone
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") == "2099-03-02 15:00"
        shots("create-own", dlg)
        seen["ok"] = True
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)

    with answer(qtbot, fill=fill, kind=WorkOrderDialog):
        qtbot.mouseClick(window.toolbar().widgetForAction(feat.new_action),
                         Qt.MouseButton.LeftButton)
    assert seen
    case = feat.list.selected_cases()[0]
    order = wo.get_order(window.store, case, window.edit_session.pending)
    assert order["deadline"] == "2099-03-02T07:00:00.000Z" and order["priority"] == 3
