"""Deadlines on the official calendar: new files and the sample carry China's holidays and
调休 working weekends (from the ``holidays`` library), the user can list and edit them, and
the sample's deadlines follow the same rule as a new order's."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

from citymgr_desktop.cli import main
from citymgr_desktop.core.clock import parse_iso
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store import create as project
from citymgr_desktop.core.workorders import deadlines as dl

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
NATIONAL_DAY_2026 = {dt.date(2026, 10, d) for d in (1, 2, 3, 5, 6, 7)}
WORKING_WEEKENDS_2026 = {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
                         dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10)}


def _calendar(path: Path) -> dl.WorkCalendar:
    conn = sqlite3.connect(path)
    try:
        return dl.load_calendar(conn)
    finally:
        conn.close()


def test_the_library_has_2025_and_2026_with_working_weekends():
    from citymgr_desktop.core.model.workcalendar import official_days

    days = official_days([2025, 2026])
    assert days.holidays >= NATIONAL_DAY_2026
    assert days.workdays >= WORKING_WEEKENDS_2026
    assert {dt.date(2025, 9, 28), dt.date(2025, 10, 11)} <= days.workdays
    assert all(d.weekday() >= 5 for d in days.workdays)
    assert days.announced == [2025, 2026]


def test_a_new_file_counts_deadlines_over_national_day(tmp_path):
    path = project.create_project(tmp_path / "new.gpkg")
    cal = _calendar(path)
    assert cal.holidays >= NATIONAL_DAY_2026 and cal.workdays >= WORKING_WEEKENDS_2026
    reported = dl.to_utc(dt.datetime(2026, 9, 30, 9, 0))
    due = dl.to_local(cal.deadline(reported, 3, "working_days"))
    # 3 working days after 09-30: 10-08 (Thu), 10-09 (Fri), 10-10 (a working Saturday)
    assert due == dt.datetime(2026, 10, 10, 17, 30)
    assert dl.to_local(dl.WorkCalendar().deadline(reported, 3, "working_days")) == \
        dt.datetime(2026, 10, 5, 17, 30)  # what the empty calendar said


def test_calendar_cli_lists_seeds_and_edits(tmp_path, capsys):
    path = tmp_path / "p.gpkg"
    project.create_project(path)
    with Store.open(path) as store:
        store.set_meta("work_calendar", "")  # an existing file from before the calendar
    assert main(["workorders", "calendar", str(path)]) == 0
    assert "Monday-Friday only" in capsys.readouterr().out
    assert main(["workorders", "calendar", str(path), "--seed", "2026", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "2026-10-01" in data["holidays"] and "2026-10-10" in data["workdays"]
    assert data["years"] == [2026] and data["source"].startswith("holidays ")
    assert main(["workorders", "calendar", str(path), "--holiday", "2026-12-31",
                 "--remove", "2026-10-10", "--workday", "2026-12-27"]) == 0
    text = capsys.readouterr().out
    assert "12-31" in text and "10-10" not in text.split("working weekend")[1]
    cal = _calendar(path)
    assert dt.date(2026, 12, 31) in cal.holidays and dt.date(2026, 12, 27) in cal.workdays
    assert dt.date(2026, 10, 10) not in cal.workdays
    assert main(["workorders", "calendar", str(path), "--holiday", "2026-13-01"]) == 8
    assert main(["workorders", "calendar", str(path), "--holiday", "2026-12-27"]) == 0
    assert dt.date(2026, 12, 27) not in _calendar(path).workdays  # one kind per day


def _check_deadlines(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        cal = dl.load_calendar(conn)
        limits = {(c, p): (v, u) for c, p, v, u in conn.execute(
            "SELECT asset_class, priority, limit_value, limit_unit FROM work_order_time_limit")}
        rows = conn.execute("SELECT asset_class, priority, reported_at, deadline "
                            "FROM work_order").fetchall()
    finally:
        conn.close()
    assert cal.workdays >= WORKING_WEEKENDS_2026 and cal.holidays >= NATIONAL_DAY_2026
    for cls, priority, reported, deadline in rows:
        value, unit = limits.get((cls, priority)) or limits[(None, priority)]
        want = cal.deadline(parse_iso(reported), value, unit)
        assert parse_iso(deadline) == want, (cls, priority, reported, deadline)
        local = dl.to_local(want)
        assert cal.is_working_day(local.date())
        assert any(a <= local.time() <= b for a, b in dl.PERIODS), local
    return len(rows)


def test_generated_sample_deadlines_follow_the_rule(sample_master):
    assert _check_deadlines(sample_master) >= 30


def test_committed_sample_has_the_calendar_and_the_rule(tmp_path):
    copy = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, copy)
    assert _check_deadlines(copy) == 40
