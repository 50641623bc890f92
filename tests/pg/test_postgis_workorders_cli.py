"""Work orders on a database through the command line: the disposal unit named at
re-dispatching and a deadline extension, as in a file."""

from __future__ import annotations

import json

import psycopg

from tests.pg.conftest import run_citymgr
from tests.pg.test_postgis_cli import _one_line_error


def test_workorders_dispatch_unit_and_extension_on_a_database(published):
    """The disposal unit named at re-dispatching and an extension land in the database's
    order row and timeline as in a file."""
    with psycopg.connect(published) as conn:
        case, wid, unit = conn.execute(
            "SELECT case_no, work_order_uuid, assignee FROM work_order WHERE state = "
            "'filed' ORDER BY case_no LIMIT 1").fetchone()
    moved = run_citymgr("workorders", "move", published, case, "--to", "dispatched",
                        "--unit", "市政维修二队", "--user", "王五")
    assert moved.returncode == 0, moved.stderr
    extended = run_citymgr("workorders", "extend", published, case, "--due", "2099-01-05",
                           "--reason", "等待配件", "--json")
    assert extended.returncode == 0, extended.stderr
    assert json.loads(extended.stdout)["overdue"] is False
    with psycopg.connect(published) as conn:
        assignee, deadline = conn.execute("SELECT assignee, deadline FROM work_order WHERE "
                                          "case_no = %s", (case,)).fetchone()
        notes = [r[0] for r in conn.execute(
            "SELECT note FROM work_order_event WHERE work_order_uuid = %s ORDER BY at", (wid,))]
    assert assignee == "市政维修二队" and str(deadline).startswith("2099-01-05")
    assert f"disposal unit {unit or '(none)'} → 市政维修二队" in notes
    assert any(n and n.startswith("deadline extended ") and n.endswith(": 等待配件")
               for n in notes)
    past = run_citymgr("workorders", "extend", published, case, "--due", "2020-01-05",
                       "--reason", "x")
    _one_line_error(past, 8, "not later")


def test_workorders_extension_in_working_days_on_a_database(published):
    """``extend --days`` counts working days by the database's own calendar (holidays and a
    调休 Sunday set with the calendar command) and the history says how many."""
    with psycopg.connect(published) as conn:
        case, wid = conn.execute("SELECT case_no, work_order_uuid FROM work_order WHERE state "
                                 "= 'filed' ORDER BY case_no LIMIT 1").fetchone()
    calendar = run_citymgr("workorders", "calendar", published, "--holiday",
                           "2099-01-01,2099-01-02", "--workday", "2099-01-04")
    assert calendar.returncode == 0, calendar.stderr
    first = run_citymgr("workorders", "extend", published, case, "--due", "2098-12-31 17:30",
                        "--reason", "等待配件")
    assert first.returncode == 0, first.stderr
    both = run_citymgr("workorders", "extend", published, case, "--days", "3", "--due",
                       "2099-02-01", "--reason", "x")
    assert both.returncode == 2 and "not allowed with" in both.stderr
    extended = run_citymgr("workorders", "extend", published, case, "--days", "3",
                           "--reason", "厂家供货延迟", "--json")
    assert extended.returncode == 0, extended.stderr
    assert json.loads(extended.stdout)["deadline"] == "2099-01-06T09:30:00.000Z"
    with psycopg.connect(published) as conn:
        note = conn.execute("SELECT note FROM work_order_event WHERE work_order_uuid = %s "
                            "ORDER BY at DESC LIMIT 1", (wid,)).fetchone()[0]
    assert note == ("deadline extended 2098-12-31 17:30 → 2099-01-06 17:30 (office time, "
                    "3 working day(s)): 厂家供货延迟")
