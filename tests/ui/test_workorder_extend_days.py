"""An extension (延期) in working days and a disposal unit cleared at 派遣, in the real window
with the Chinese interface: the extension dialog's "+ N 个工作日" and its date stay in step by
the file's working calendar (holidays and a 调休 Sunday); the timeline says how many working
days were granted and shows a long reason whole (the row grows, the text wraps); emptying
the unit at dispatching clears it ("处置单位 环卫一所 → （无）"); the saved file holds both
(read back with GDAL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

from PySide6.QtCore import QRect, Qt

from citymgr_desktop.core.clock import to_utc
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.deadlines import save_calendar
from citymgr_desktop.ui.workorders.detail_dialog import WorkOrderDetailDialog
from citymgr_desktop.ui.workorders.extend_dialog import WorkOrderExtendDialog
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog
from tests.ui.driver import answer, menu_item, pick, press, type_datetime, type_into

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
# 60 characters: longer than the timeline's note column is wide
REASON = ("定制箱体需由厂家重新开模生产，厂家回复交货期约为两周，到货后还需安装调试并经街道验收，"
          "故申请延期")


def _calendar_2099(path) -> None:
    """New Year 2099 (Thursday and Friday) off, Sunday 4 January worked in exchange."""
    with Store.open(path) as store, store.session():
        save_calendar(store, {dt.date(2099, 1, 1), dt.date(2099, 1, 2)}, {dt.date(2099, 1, 4)})


def _saved(path, table, where, fields):
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table, "-where",
                          where, "-select", fields], capture_output=True, text=True,
                         check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def _move(qtbot, window, target, fill_more=None):
    def fill(dlg: WorkOrderMoveDialog) -> None:
        pick(qtbot, dlg.target, target)
        if fill_more:
            fill_more(dlg)
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=fill, kind=WorkOrderMoveDialog):
        menu_item(qtbot, window, "workorder", "工单流转…")


def _note_row(dialog: WorkOrderDetailDialog, start: str):
    t = dialog.timeline
    rows = [t.topLevelItem(i) for i in range(t.topLevelItemCount())]
    found = [r for r in rows if r.text(4).startswith(start)]
    assert found, [r.text(4) for r in rows]
    return found[-1]


def test_extension_in_working_days_long_reason_shown_and_unit_cleared(
        chinese, window_in, small_district, qtbot, shots):
    _calendar_2099(small_district)
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    uuid = window.store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
    case = feat.create(wo.OrderSpec("箱体破损", 3, [("litter_bin", uuid)], assignee="环卫一所",
                                    deadline=to_utc(dt.datetime(2098, 12, 31, 17, 30))))
    assert case
    menu_item(qtbot, window, "workorder", "工单详情…")
    qtbot.waitUntil(lambda: any(w.isVisible() for w in
                                window.findChildren(WorkOrderDetailDialog)), timeout=5000)
    dialog = next(w for w in window.findChildren(WorkOrderDetailDialog) if w.isVisible())
    seen = {}

    def extend(dlg: WorkOrderExtendDialog) -> None:
        assert dlg.days.value() == 0
        # 3 working days after Wed 31 Dec: not the holidays (Thu, Fri) nor Saturday, but the
        # 调休 Sunday, Monday and Tuesday
        type_into(qtbot, dlg.days, "3")
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") == "2099-01-06 17:30"
        type_datetime(qtbot, dlg.due, "2099-01-09 17:30")  # a date picked shows its days
        assert dlg.days.value() == 6
        type_into(qtbot, dlg.days, "3")
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") == "2099-01-06 17:30"
        type_into(qtbot, dlg.reason, REASON)
        shots("extend-days", dlg)
        seen["ok"] = True
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=extend, kind=WorkOrderExtendDialog):
        qtbot.mouseClick(dialog.extend_button, LEFT)
    assert seen
    pending = window.edit_session.pending
    assert wo.get_order(window.store, case, pending)["deadline"] == "2099-01-06T09:30:00.000Z"
    qtbot.waitUntil(lambda: any(dialog.timeline.topLevelItem(i).text(4).startswith("延期")
                                for i in range(dialog.timeline.topLevelItemCount())),
                    timeout=5000)
    row = _note_row(dialog, "延期")
    assert row.text(4) == ("延期：处置时限 2098-12-31 17:30 → 2099-01-06 17:30（3个工作日），"
                           f"理由：{REASON}")

    # the long note is shown whole: its column lies inside the view and its row is as tall
    # as the wrapped text
    t = dialog.timeline
    qtbot.waitUntil(lambda: t.visualItemRect(row).height() > t.fontMetrics().height() * 1.5,
                    timeout=5000)
    left = t.header().sectionViewportPosition(4)
    width = t.header().sectionSize(4)
    assert left >= 0 and left + width <= t.viewport().width()
    needed = t.fontMetrics().boundingRect(QRect(0, 0, width - 8, 10_000),
                                          Qt.TextFlag.TextWordWrap, row.text(4)).height()
    assert needed > t.fontMetrics().height() * 1.5  # it does need more than one line
    assert t.visualItemRect(row).height() >= needed
    shots("timeline-long-reason", dialog)
    # a narrower window: the note wraps to more lines, the row grows again
    before = t.visualItemRect(row).height()
    dialog.resize(520, dialog.height())
    qtbot.waitUntil(lambda: t.visualItemRect(row).height() > before, timeout=5000)
    shots("timeline-narrow", dialog)

    # dispatching with the unit emptied clears it
    _move(qtbot, window, "filed")

    def clear_unit(dlg: WorkOrderMoveDialog) -> None:
        assert dlg.unit.currentText() == "环卫一所"
        type_into(qtbot, dlg.unit.lineEdit(), "")
        shots("dispatch-no-unit", dlg)

    _move(qtbot, window, "dispatched", clear_unit)
    assert wo.get_order(window.store, case, window.edit_session.pending)["assignee"] is None
    qtbot.waitUntil(lambda: _note_row(dialog, "处置单位").text(4) == "处置单位 环卫一所 → （无）",
                    timeout=5000)
    assert "环卫一所" not in dialog.header.text()
    shots("timeline-unit-cleared", dialog)
    dialog.close()

    press(qtbot, window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not window.edit_session.dirty, timeout=10_000)
    (saved,) = _saved(small_district, "work_order", f"case_no = '{case}'",
                      "assignee,deadline,state")
    assert saved["assignee"] == "" and saved["state"] == "dispatched"
    assert saved["deadline"].replace("/", "-").startswith("2099-01-06")
