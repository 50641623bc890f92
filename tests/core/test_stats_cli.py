"""``citymgr stats`` through its real door (the CLI's main), and the statistics indexes that
files made before them get with their first write (opening, also for writing, writes
nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3

import pytest
from openpyxl import load_workbook

from citymgr_desktop.cli import main
from citymgr_desktop.core import gpkg, stats
from citymgr_desktop.core.store import Store


def run_json(capsys, *argv):
    assert main(["stats", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_assets_by_layer_and_district_as_json(district, capsys):
    rows = run_json(capsys, str(district), "--by", "layer,district")
    with Store.open(district, read_only=True) as store:
        want = [r.as_dict(("layer", "district"))
                for r in stats.condition_table(store, ("layer", "district"))]
    assert rows == want
    assert set(rows[0]) == {"layer", "district", "assets", "condition_1", "condition_2",
                            "condition_3", "condition_4", "condition_5", "not_assessed",
                            "poor_share"}
    assert all(r["assets"] == sum(r[f"condition_{c}"] for c in range(1, 6)) + r["not_assessed"]
               for r in rows)


def test_workorders_by_assignee_for_a_period(district, capsys):
    rows = run_json(capsys, str(district), "--workorders", "--by", "assignee",
                    "--from", "2026-10-01", "--to", "2026-10-31")
    with Store.open(district, read_only=True) as store:
        want = stats.evaluation(store, stats.Period.parse("2026-10-01", "2026-10-31"))
    assert rows == [r.as_dict() for r in want]
    for r in rows:
        assert {"assignee", "due", "on_time", "overdue", "rework", "on_time_rate",
                "closure_rate", "rework_rate"} <= set(r)
        assert r["due"] == r["on_time"] + r["overdue"]
    empty = run_json(capsys, str(district), "--workorders", "--from", "2020-01-01",
                     "--to", "2020-01-31")
    assert empty == []


def test_readable_table_in_both_languages(district, capsys):
    assert main(["stats", str(district), "--workorders", "--lang", "zh_CN"]) == 0
    out = capsys.readouterr().out
    assert "按期处置率" in out and "结案率" in out and "返工率" in out
    assert main(["stats", str(district), "--by", "district", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Sub-district" in out and "Not assessed" in out
    with Store.open(district, read_only=True) as store:
        assert all(d in out for d in store.districts())


def test_other_figures(district, capsys):
    records = run_json(capsys, str(district), "--records", "--by", "month,type",
                       "--from", "2026-01-01", "--to", "2026-06-30")
    assert records and all("2026-01" <= r["month"] <= "2026-06" for r in records)
    orders = run_json(capsys, str(district), "--orders", "--by", "state,source")
    with Store.open(district, read_only=True) as store:
        assert sum(r["orders"] for r in orders) == store.row_count("work_order")
    coverage = run_json(capsys, str(district), "--coverage", "--by", "layer,district")
    assert {r["layer"] for r in coverage} == {"road_segment", "bridge", "green_space",
                                               "litter_bin"}


def test_excel_and_overwrite(district, tmp_path, capsys):
    out = tmp_path / "stats.xlsx"
    assert main(["stats", str(district), "--workorders", "--xlsx", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    ws = load_workbook(out).active
    assert [c.value for c in ws[1]][:3] == ["处置单位", "应处置数", "按期处置数"]
    assert ws.max_row == 1 + len(run_json(capsys, str(district), "--workorders"))
    before = out.read_bytes()
    assert main(["stats", str(district), "--xlsx", str(out)]) == 3
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["stats", str(district), "--xlsx", str(out), "--overwrite"]) == 0
    assert load_workbook(out).active["B1"].value == "街道"


@pytest.mark.parametrize(("argv", "code", "words"), [
    (["--by", "layer,colour"], 8, "unknown key"),
    (["--from", "2026/11/01"], 8, "YYYY-MM-DD"),
    (["--from", "2026-11-02", "--to", "2026-11-01"], 8, "starts"),
    (["--workorders", "--by", "district"], 8, "by assignee"),
    (["--xlsx", "out.csv"], 3, ".xlsx"),
])
def test_bad_input_is_one_line(district, capsys, argv, code, words):
    assert main(["stats", str(district), *argv]) == code
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    assert main(["stats", str(tmp_path / "nope.gpkg")]) == 3
    assert "no such file" in capsys.readouterr().err


def _drop_stats_indexes(path) -> None:
    conn = sqlite3.connect(path)
    for name in gpkg.STATS_INDEXES:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    conn.close()


def _indexes(path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    finally:
        conn.close()


def test_older_files_get_the_indexes_with_their_first_write(district):
    _drop_stats_indexes(district)
    digest = hashlib.sha256(district.read_bytes()).hexdigest()
    with Store.open(district, read_only=True) as store:
        before = stats.condition_table(store, ("layer",))
    assert hashlib.sha256(district.read_bytes()).hexdigest() == digest  # read-only: untouched
    with Store.open(district) as store:  # opening for writing writes nothing either
        assert stats.condition_table(store, ("layer",)) == before
    assert hashlib.sha256(district.read_bytes()).hexdigest() == digest
    assert not set(gpkg.STATS_INDEXES) & _indexes(district)
    with Store.open(district) as store:  # the first write adds them, in its transaction
        store.set_meta("note", "the first write")
        assert gpkg.missing_indexes(store.conn) == []
        assert stats.condition_table(store, ("layer",)) == before
    assert set(gpkg.STATS_INDEXES) <= _indexes(district)


def test_an_order_closed_before_its_deadline_counts_now(district, capsys):
    """The first-time user's trial: an order opened today (3 working days), repaired and
    closed today counts as due, on time and closed in the period of its deadline at once;
    an open order whose deadline has not come yet counts nowhere (not overdue)."""
    from citymgr_desktop.core.clock import office_today
    from citymgr_desktop.core.workorders import orders as wo

    with Store.open(district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 2")]
        done = wo.create_order(store, wo.OrderSpec("箱体破损", 3, [("litter_bin", bins[0])],
                                                   assignee="试用一队"), "trial")
        for to in ("filed", "dispatched", "in_progress", "resolved", "checked", "closed"):
            wo.move_order(store, done["case_no"], to, "trial", "修复")
        still = wo.create_order(store, wo.OrderSpec("未修", 3, [("litter_bin", bins[1])],
                                                    assignee="试用一队"), "trial")
        for to in ("filed", "dispatched"):
            wo.move_order(store, still["case_no"], to, "trial")
    today = office_today()
    args = ("--from", today.isoformat(), "--to", (today + dt.timedelta(days=40)).isoformat())
    rows = {r["assignee"]: r for r in run_json(capsys, str(district), "--workorders", *args)}
    mine = rows["试用一队"]
    assert (mine["due"], mine["on_time"], mine["overdue"], mine["closed"]) == (1, 1, 0, 1)
    assert mine["on_time_rate"] == 1.0 and mine["closure_rate"] == 1.0
    with Store.open(district, read_only=True) as store:
        period = stats.Period.parse(*args[1::2])
        assert stats.evaluation_members(store, "closed", assignee="试用一队",
                                        period=period) == [done["work_order_uuid"]]
        assert still["work_order_uuid"] not in stats.evaluation_members(
            store, "overdue", any_assignee=True, period=period)
