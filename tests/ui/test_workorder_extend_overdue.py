"""The extension dialog (延期) in the real window with the Chinese interface, on an overdue
order: "+ N 个工作日" counts from now (a hint line says so), not from the past deadline that
made every N "in the past"; the reason hint stays while the reason is empty; the saved
history counts the days from now (read back with GDAL). A new deadline in a year the working
calendar does not cover is warned about, naming where to add the year."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
import subprocess

from PySide6.QtCore import Qt

from citymgr_desktop.core.clock import to_local, to_utc, utcnow
from citymgr_desktop.core.model.workcalendar import calendar_text
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.deadlines import calendar_of
from citymgr_desktop.ui.workorders.extend_dialog import WorkOrderExtendDialog
from tests.ui.driver import answer, menu_item, press, type_into

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
HINT = "请填写延期理由：此项必填。"


def _saved_note(path, case):
    def gdal(table, where, fields):
        out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table,
                              "-where", where, "-select", fields], capture_output=True,
                             text=True, check=True).stdout
        return list(csv.DictReader(io.StringIO(out)))

    wid = gdal("work_order", f"case_no = '{case}'", "work_order_uuid")[0]["work_order_uuid"]
    return gdal("work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]


def test_overdue_order_extended_from_now(chinese, window_in, small_district, qtbot, shots):
    past = to_utc(to_local(utcnow()) - dt.timedelta(days=40))
    with sqlite3.connect(small_district) as conn:  # an open order 40 days overdue
        states = ",".join(f"'{s}'" for s in sorted(wo.OVERDUE_STATES))
        (case,) = conn.execute(f"SELECT case_no FROM work_order WHERE state IN ({states}) "
                               "ORDER BY case_no LIMIT 1").fetchone()
        conn.execute("UPDATE work_order SET deadline=? WHERE case_no=?",
                     (past.strftime("%Y-%m-%dT%H:%M:00.000Z"), case))
    with Store.open(small_district) as store:
        calendar = calendar_of(store)
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    feat.list.select_case(case)
    seen = {}

    def extend(dlg: WorkOrderExtendDialog) -> None:
        assert dlg.from_now.isVisible() and dlg.from_now.text() == "已超期：工作日从现在起计算。"
        assert dlg.error.text() == HINT and not dlg.ok.isEnabled()
        before = to_local(utcnow()).replace(second=0, microsecond=0)
        type_into(qtbot, dlg.days, "3")
        after = to_local(utcnow()).replace(second=0, microsecond=0)
        shown = dlg.due.dateTime().toPython()
        assert shown in {calendar.shift_working_days(t, 3) for t in (before, after)}
        # the reason is still empty: its hint stays, OK stays disabled
        assert dlg.error.text() == HINT and not dlg.ok.isEnabled()
        assert dlg.warning.text() == ""
        type_into(qtbot, dlg.reason, "等待厂家配件")
        assert dlg.error.text() == "" and dlg.ok.isEnabled()
        shots("extend-overdue", dlg)
        seen["due"] = shown
        qtbot.mouseClick(dlg.ok, LEFT)

    with answer(qtbot, fill=extend, kind=WorkOrderExtendDialog):
        menu_item(qtbot, window, "workorder", "延期…")
    assert seen
    order = wo.get_order(window.store, case, window.edit_session.pending)
    assert order["deadline"].startswith(to_utc(seen["due"]).strftime("%Y-%m-%dT%H:%M"))
    assert not wo.is_overdue(order)
    press(qtbot, window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not window.edit_session.dirty, timeout=10_000)
    assert _saved_note(small_district, case).endswith(
        "(office time, 3 working day(s)): 等待厂家配件")


def test_dialog_warns_beyond_the_calendar_years(chinese, window_in, small_district, qtbot,
                                                shots):
    with sqlite3.connect(small_district) as conn:  # a calendar of 2098 only
        conn.execute("UPDATE citymgr_meta SET value=? WHERE key='work_calendar'",
                     (calendar_text({dt.date(2098, 10, 1)}, set(), [2098], "test"),))
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    uuid = window.store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
    case = feat.create(wo.OrderSpec("箱体破损", 3, [("litter_bin", uuid)],
                                    deadline=to_utc(dt.datetime(2098, 12, 30, 17, 30))))
    qtbot.waitUntil(lambda: feat.list.select_case(case) or feat.extend_action.isEnabled(),
                    timeout=5000)  # the new order listed and selected
    seen = {}

    def extend(dlg: WorkOrderExtendDialog) -> None:
        assert not dlg.from_now.isVisible()
        type_into(qtbot, dlg.days, "1")  # Wed 31 December 2098: inside the calendar
        assert dlg.warning.text() == ""
        type_into(qtbot, dlg.days, "2")  # 1 January 2099, New Year's Day, unknown here
        assert dlg.due.dateTime().toString("yyyy-MM-dd HH:mm") == "2099-01-01 17:30"
        seen["warning"] = dlg.warning.text()
        assert dlg.warning.isVisible()
        shots("extend-calendar-warning", dlg)
        dlg.reject()

    with answer(qtbot, fill=extend, kind=WorkOrderExtendDialog):
        menu_item(qtbot, window, "workorder", "延期…")
    assert seen["warning"] == ("工作日历未包含 2099 年：其节假日按工作日计算。"
                               "请在 工单 › 工作日历… 中添加")
