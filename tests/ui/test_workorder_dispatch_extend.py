"""After creation a work order can go to another disposal unit (处置单位) and get more time
(延期), in the real window with the Chinese interface: the 派遣 move names the unit
(pre-filled, a known one picked or a new one typed) and the timeline says "处置单位 A → B";
工单 ▸ 延期… and the detail window's 延期… ask for a later deadline and a reason; each is
one undo step; the saved file holds the new unit and deadline (read back with GDAL)."""

from __future__ import annotations

import csv
import io
import subprocess

from PySide6.QtCore import Qt

from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.ui.workorders.detail_dialog import WorkOrderDetailDialog
from citymgr_desktop.ui.workorders.extend_dialog import WorkOrderExtendDialog
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog
from tests.ui.driver import answer, menu_item, pick, press, type_datetime, type_into

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton


def _move_by_menu(qtbot, window, target, fill_more=None):
    seen = {}

    def fill(dlg: WorkOrderMoveDialog) -> None:
        pick(qtbot, dlg.target, target)
        if fill_more:
            fill_more(dlg)
        seen["ok"] = True
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=fill, kind=WorkOrderMoveDialog):
        menu_item(qtbot, window, "workorder", "工单流转…")
    assert seen


def _timeline_notes(dialog: WorkOrderDetailDialog) -> list[str]:
    t = dialog.timeline
    return [t.topLevelItem(i).text(4) for i in range(t.topLevelItemCount())]


def _saved(path, table, where, fields):
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table, "-where",
                          where, "-select", fields], capture_output=True, text=True,
                         check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def test_dispatch_names_the_unit_and_extension_gives_more_time(chinese, window_in,
                                                               small_district, qtbot, shots):
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    ids = [r[0] for r in window.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 ORDER BY fid LIMIT 2")]
    other = feat.create(wo.OrderSpec("其他工单", 3, [("litter_bin", ids[0])],
                                     assignee="园林绿化队"))
    case = feat.create(wo.OrderSpec("箱体破损", 3, [("litter_bin", u) for u in ids],
                                    assignee="环卫一所"))
    assert other and case and feat.list.selected_cases() == [case]
    pending = window.edit_session.pending

    def filing(dlg: WorkOrderMoveDialog) -> None:
        assert not dlg.form.isRowVisible(dlg.unit)  # the unit is asked at dispatching only

    _move_by_menu(qtbot, window, "filed", filing)

    def dispatch(dlg: WorkOrderMoveDialog) -> None:
        assert dlg.form.isRowVisible(dlg.unit)
        assert dlg.unit.currentText() == "环卫一所"  # the current one
        units = [dlg.unit.itemText(i) for i in range(dlg.unit.count())]
        assert {"环卫一所", "园林绿化队"} <= set(units)  # the known ones to pick
        type_into(qtbot, dlg.unit.lineEdit(), "市政维修二队")  # or a new one typed
        type_into(qtbot, dlg.note, "箱体需焊接")
        shots("dispatch-unit", dlg)

    _move_by_menu(qtbot, window, "dispatched", dispatch)
    order = wo.get_order(window.store, case, pending)
    assert (order["state"], order["assignee"]) == ("dispatched", "市政维修二队")

    # the crew sends it back; re-dispatched to a unit picked from the list
    _move_by_menu(qtbot, window, "returned")
    _move_by_menu(qtbot, window, "dispatched",
                  lambda d: pick(qtbot, d.unit, text="园林绿化队"))
    assert wo.get_order(window.store, case, pending)["assignee"] == "园林绿化队"

    menu_item(qtbot, window, "workorder", "工单详情…")

    def shown() -> list[WorkOrderDetailDialog]:
        return [w for w in window.findChildren(WorkOrderDetailDialog) if w.isVisible()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=5000)
    dialog = shown()[0]
    notes = _timeline_notes(dialog)
    assert "处置单位 环卫一所 → 市政维修二队；箱体需焊接" in notes
    assert "处置单位 市政维修二队 → 园林绿化队" in notes
    assert "园林绿化队" in dialog.header.text()
    old_deadline = order["deadline"]
    seen = {}

    def extend(dlg: WorkOrderExtendDialog) -> None:
        assert not dlg.ok.isEnabled() and "延期理由" in dlg.error.text()
        type_into(qtbot, dlg.reason, "等待定制箱体到货")
        assert dlg.ok.isEnabled()
        type_datetime(qtbot, dlg.due, "2020-01-02 09:00")  # not later: refused, stays open
        qtbot.mouseClick(dlg.ok, LEFT)
        assert dlg.isVisible() and "不晚于当前时限" in dlg.error.text()
        shots("extend-refused", dlg)
        type_datetime(qtbot, dlg.due, "2099-03-02 15:00")
        shots("extend-filled", dlg)
        seen["ok"] = True
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=extend, kind=WorkOrderExtendDialog):
        qtbot.mouseClick(dialog.extend_button, LEFT)
    assert seen
    order = wo.get_order(window.store, case, pending)
    assert order["deadline"] == "2099-03-02T07:00:00.000Z"
    qtbot.waitUntil(lambda: any(n.startswith("延期：处置时限") and "2099-03-02 15:00" in n
                                and "等待定制箱体到货" in n for n in _timeline_notes(dialog)),
                    timeout=5000)
    shots("detail-timeline", dialog)
    dialog.close()

    # undo takes the extension back, redo puts it again, as any work-order change
    window.commands.undo()
    assert wo.get_order(window.store, case, window.edit_session.pending)["deadline"] == \
        old_deadline
    window.commands.redo()

    # the same from the 工单 menu, on the other order
    feat.list.select_case(other)

    def extend_other(dlg: WorkOrderExtendDialog) -> None:
        type_datetime(qtbot, dlg.due, "2099-01-05 17:30")
        type_into(qtbot, dlg.reason, "节假日顺延")
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=extend_other, kind=WorkOrderExtendDialog):
        menu_item(qtbot, window, "workorder", "延期…")
    press(qtbot, window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not window.edit_session.dirty, timeout=10_000)
    rows = {r["case_no"]: r for r in _saved(small_district, "work_order",
                                            f"case_no IN ('{case}', '{other}')",
                                            "case_no,assignee,deadline")}
    assert rows[case]["assignee"] == "园林绿化队"
    assert rows[case]["deadline"].startswith("2099/03/02 07:00") or \
        rows[case]["deadline"].startswith("2099-03-02T07:00")
    assert rows[other]["deadline"][:10].replace("/", "-") == "2099-01-05"
