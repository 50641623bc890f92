"""An extension (延期) in working days and a disposal unit cleared at dispatching, through the
CLI process on a GeoPackage read back with GDAL: ``extend --days N`` counts N working days
from the current deadline by the file's working calendar (holidays skipped, a 调休 Sunday
counted) and the history says how many were granted; ``--days`` with ``--due``, neither,
or fewer than one day is refused in one line with nothing changed; ``move --to dispatched
--unit ""`` clears the unit and the history says "A → (none)" (Chinese "（无）")."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess

from citymgr_desktop.core.workorders.deadlines import WorkCalendar
from citymgr_desktop.core.workorders.notes import note_text
from tests.faults.support import run


def _gdal(path, table, where, fields):
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table, "-where",
                          where, "-select", fields], capture_output=True, text=True,
                         check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def _order(f):
    created = run(["workorders", "create", f, "--layer", "litter_bin", "--where",
                   "condition = 5", "--priority", "normal", "--title", "箱体破损",
                   "--assignee", "环卫一所", "--due", "2098-12-31 17:30"])
    assert created.rc == 0, created.err
    case = created.out.strip()
    wid = _gdal(f, "work_order", f"case_no = '{case}'", "work_order_uuid")[0]["work_order_uuid"]
    return case, wid


def _deadline(f, case):
    return _gdal(f, "work_order", f"case_no = '{case}'", "deadline")[0]["deadline"]


def test_cli_extends_by_working_days_of_the_file_calendar(small_district):
    f = str(small_district)
    # New Year 2099 (Thursday, Friday) off, Sunday 4 January worked in exchange
    assert run(["workorders", "calendar", f, "--holiday", "2099-01-01,2099-01-02",
                "--workday", "2099-01-04"]).rc == 0
    case, wid = _order(f)
    before = _deadline(f, case)
    for args, rc, words in (
            (["--days", "3", "--due", "2099-02-01"], 2, "not allowed with"),
            ([], 2, "one of the arguments --due --days is required"),
            (["--days", "three"], 2, "invalid int value"),
            (["--days", "0"], 8, "at least one working day"),
            (["--days", "-2"], 8, "at least one working day")):
        refused = run(["workorders", "extend", f, case, "--reason", "等配件", *args])
        assert refused.rc == rc and words in refused.err, (args, refused.err)
        assert "Traceback" not in refused.err and not refused.out
        assert _deadline(f, case) == before
    zh = run(["workorders", "extend", f, case, "--reason", "等配件", "--days", "1", "--due",
              "2099-02-01", "--lang", "zh_CN"])
    assert zh.rc == 2 and "不能与参数" in zh.err

    extended = run(["workorders", "extend", f, case, "--days", "3", "--reason", "等待定制箱体",
                    "--json"])
    assert extended.rc == 0, extended.err
    # Thu 1 and Fri 2 are holidays, Sat 3 a weekend, Sun 4 worked: Sun 4, Mon 5, Tue 6
    assert json.loads(extended.out)["deadline"] == "2099-01-06T09:30:00.000Z"
    assert _deadline(f, case).replace("/", "-").startswith("2099-01-06 09:30")
    note = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]
    assert note == ("deadline extended 2098-12-31 17:30 → 2099-01-06 17:30 (office time, "
                    "3 working day(s)): 等待定制箱体")
    assert note_text(note, "zh_CN") == ("延期：处置时限 2098-12-31 17:30 → 2099-01-06 17:30"
                                        "（3个工作日），理由：等待定制箱体")
    # a date given: the history counts its working days too (Wed 7 to Fri 9: 3)
    again = run(["workorders", "extend", f, case, "--due", "2099-01-09", "--reason", "再等"])
    assert again.rc == 0, again.err
    note = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]
    assert "(office time, 3 working day(s)): 再等" in note
    helped = run(["workorders", "extend", "--help"]).out
    assert "--days N" in helped and "working days" in helped


def test_cli_dispatch_clears_the_unit(small_district):
    f = str(small_district)
    case, wid = _order(f)
    early = run(["workorders", "move", f, case, "--to", "filed", "--unit", ""])
    assert early.rc == 8 and "dispatch" in early.err and "Traceback" not in early.err
    assert run(["workorders", "move", f, case, "--to", "filed"]).rc == 0
    moved = run(["workorders", "move", f, case, "--to", "dispatched", "--unit", "",
                 "--note", "改由街道自行处置"])
    assert moved.rc == 0, moved.err
    (row,) = _gdal(f, "work_order", f"case_no = '{case}'", "assignee,state")
    assert row == {"assignee": "", "state": "dispatched"}
    note = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]
    assert note == "disposal unit 环卫一所 → (none); 改由街道自行处置"
    assert note_text(note, "zh_CN") == "处置单位 环卫一所 → （无）；改由街道自行处置"
    # sent back and dispatched to a unit again: from none
    assert run(["workorders", "move", f, case, "--to", "returned"]).rc == 0
    assert run(["workorders", "move", f, case, "--to", "dispatched", "--unit", "园林绿化队"]).rc == 0
    note = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]
    assert note_text(note, "zh_CN") == "处置单位 （无） → 园林绿化队"
    # notes written before said "–" for no unit: shown the same way
    assert note_text("disposal unit – → 园林绿化队", "zh_CN") == "处置单位 （无） → 园林绿化队"
    assert '--unit ""' in run(["workorders", "move", "--help"]).out


def test_working_days_count_back_what_shifting_adds():
    """Picking a date shows the days that, typed, give that date again (the dialog's two
    fields stay in step), across holidays, weekends and a 调休 Sunday."""
    calendar = WorkCalendar(frozenset({dt.date(2099, 1, 1), dt.date(2099, 1, 2)}),
                            frozenset({dt.date(2099, 1, 4)}))
    start = dt.datetime(2098, 12, 31, 17, 30)
    assert [calendar.shift_working_days(start, n).date().isoformat() for n in range(4)] == [
        "2098-12-31", "2099-01-04", "2099-01-05", "2099-01-06"]
    for n in range(40):
        shifted = calendar.shift_working_days(start, n)
        assert shifted.time() == start.time()
        assert calendar.working_days_between(start.date(), shifted.date()) == n
    assert calendar.working_days_between(start.date(), dt.date(2099, 1, 3)) == 0
    assert calendar.working_days_between(start.date(), dt.date(2098, 12, 1)) == 0
    # a date years away is counted at once, and as day by day
    far = dt.date(2107, 3, 4)
    slow = sum(calendar.is_working_day(start.date() + dt.timedelta(days=i))
               for i in range(1, (far - start.date()).days + 1))
    assert calendar.working_days_between(start.date(), far) == slow
    for end in (dt.date(2099, 1, d) for d in range(1, 20)):
        assert calendar.working_days_between(start.date(), end) == sum(
            calendar.is_working_day(start.date() + dt.timedelta(days=i))
            for i in range(1, (end - start.date()).days + 1))
