"""Extending an overdue order (延期) through the CLI process, read back with GDAL: ``--days N``
counts N working days from now, not from the past deadline (which made every N "in the
past"), and the history's day count starts there too; a new deadline in a year the working
calendar does not cover is written with a warning naming the command that adds the year."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import subprocess

from citymgr_desktop.core.clock import to_local, utcnow
from citymgr_desktop.core.model.workcalendar import calendar_text
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders.deadlines import calendar_of
from tests.faults.support import run


def _gdal(path, table, where, fields):
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table, "-where",
                          where, "-select", fields], capture_output=True, text=True,
                         check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def _order(f, due):
    created = run(["workorders", "create", f, "--layer", "litter_bin", "--where",
                   "condition = 5", "--priority", "normal", "--title", "箱体破损",
                   "--due", due])
    assert created.rc == 0, created.err
    case = created.out.strip()
    wid = _gdal(f, "work_order", f"case_no = '{case}'", "work_order_uuid")[0]["work_order_uuid"]
    return case, wid


def _overdue(f, days_ago):
    """An open order whose deadline passed ``days_ago`` days ago (at 17:30 office time)."""
    case, wid = _order(f, "2098-12-31 17:30")
    past = (to_local(utcnow()) - dt.timedelta(days=days_ago)).replace(hour=9, minute=30)
    with sqlite3.connect(f) as conn:  # the order made long ago: set up, not the door tested
        conn.execute("UPDATE work_order SET deadline=? WHERE case_no=?",
                     (past.strftime("%Y-%m-%dT%H:%M:00.000Z"), case))
    return case, wid


def _note(f, wid):
    return _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]


def test_cli_extends_an_overdue_order_from_now(small_district):
    f = str(small_district)
    with Store.open(small_district) as store:
        calendar = calendar_of(store)
    case, wid = _overdue(f, 40)
    for n in (1, 3, 10):
        before = to_local(utcnow()).replace(second=0, microsecond=0)
        done = run(["workorders", "extend", f, case, "--days", str(n), "--reason", "等配件"])
        after = to_local(utcnow()).replace(second=0, microsecond=0)
        assert done.rc == 0, done.err
        assert "Traceback" not in done.err
        expected = {calendar.shift_working_days(t, n).strftime("%Y-%m-%d %H:%M")
                    for t in (before, after)}
        assert done.out.strip().split(": ", 1)[1] in {f"{t} office time (UTC+8)"
                                                      for t in expected}, (n, done.out)
        assert f"(office time, {n} working day(s)): 等配件" in _note(f, wid)
        # overdue again for the next round
        case, wid = _overdue(f, 40)
    # a date next week: the days granted count from today, not from the old deadline
    today = to_local(utcnow())
    due = calendar.shift_working_days(today, 5).date().isoformat()
    done = run(["workorders", "extend", f, case, "--due", due, "--reason", "厂家供货"])
    assert done.rc == 0, done.err
    assert "(office time, 5 working day(s)): 厂家供货" in _note(f, wid)
    helped = run(["workorders", "extend", "--help"]).out
    assert "from now when the order is overdue" in helped


def test_cli_warns_beyond_the_calendar_years(small_district):
    f = str(small_district)
    with sqlite3.connect(f) as conn:  # a calendar of 2098 only (New Year 2099 not in it)
        conn.execute("UPDATE citymgr_meta SET value=? WHERE key='work_calendar'",
                     (calendar_text({dt.date(2098, 10, 1)}, set(), [2098], "test"),))
    case, _wid = _order(f, "2098-12-30 17:30")
    inside = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件"])
    assert inside.rc == 0 and inside.err == "", inside.err
    beyond = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件"])
    assert beyond.rc == 0, beyond.err  # a warning, not a refusal: written
    # 2099-01-01 (New Year's Day) counted as a working day, and said so
    assert beyond.out.strip().endswith("2099-01-01 17:30 office time (UTC+8)")
    (line,) = beyond.err.splitlines()
    assert line.startswith("citymgr: warning: the working calendar does not cover 2099")
    assert f"citymgr workorders calendar {f} --seed 2099" in line
    zh = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件", "--lang",
              "zh_CN"])
    assert zh.rc == 0 and "工作日历未包含 2099 年" in zh.err and "--seed 2099" in zh.err
    # once the year is added, no warning
    assert run(["workorders", "calendar", f, "--seed", "2099"]).rc == 0
    again = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件"])
    assert again.rc == 0 and again.err == "", again.err


def test_cli_json_carries_the_warnings(small_district):
    """``--json`` has ``warnings`` always: the calendar's gap as its English sentence (in any
    --lang), ``[]`` when there is none."""
    f = str(small_district)
    with sqlite3.connect(f) as conn:
        conn.execute("UPDATE citymgr_meta SET value=? WHERE key='work_calendar'",
                     (calendar_text({dt.date(2098, 10, 1)}, set(), [2098], "test"),))
    case, _wid = _order(f, "2098-12-30 17:30")
    inside = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件", "--json"])
    assert inside.rc == 0 and json.loads(inside.out)["warnings"] == []
    for lang in ("zh_CN", "en"):
        beyond = run(["workorders", "extend", f, case, "--days", "1", "--reason", "等配件",
                      "--json", "--lang", lang])
        assert beyond.rc == 0, beyond.err
        (warning,) = json.loads(beyond.out)["warnings"]
        assert warning.startswith("the working calendar does not cover 2099: ")
        assert warning.endswith(f"citymgr workorders calendar {f} --seed 2099")
        assert len(beyond.err.splitlines()) == 1  # and the person's line on stderr, as before
    helped = run(["workorders", "extend", "--help"]).out
    assert '"warnings"' in helped
