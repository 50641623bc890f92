"""The move that reports the work done (resolved, 已处置) must give its result (处置结果): the
CLI process refuses it without ``--note`` (one line, exit 8, nothing changed), and closing
writes that result as each asset's work done (处理措施). The sample's orders keep the rule.
An order can be given its own deadline (``--due``), never one in the past."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from citymgr_desktop.core.workorders import orders as wo
from tests.faults.support import run


def test_cli_resolving_needs_a_note_and_closing_records_it(small_district):
    f = str(small_district)
    result = run(["workorders", "create", f, "--layer", "litter_bin", "--where",
                  "condition = 5", "--priority", "normal", "--title", "箱体破损"])
    assert result.rc == 0, result.err
    case = result.out.strip()
    for to in ("filed", "dispatched", "in_progress"):
        assert run(["workorders", "move", f, case, "--to", to, "--user", "王五"]).rc == 0
    for note in ([], ["--note", "   "]):
        result = run(["workorders", "move", f, case, "--to", "resolved", "--user", "王五", *note])
        assert result.rc == 8 and not result.out
        assert "result of the work" in result.err and "Traceback" not in result.err
        assert len(result.err.strip().splitlines()) == 1
    zh = run(["workorders", "move", f, case, "--to", "resolved", "--user", "王五",
              "--lang", "zh"])
    assert zh.rc == 8 and "处置结果" in zh.err
    conn = sqlite3.connect(f)
    assert conn.execute("SELECT state FROM work_order WHERE case_no=?", (case,)).fetchone() == \
        ("in_progress",)
    conn.close()
    assert run(["workorders", "move", f, case, "--to", "resolved", "--user", "王五",
                "--note", "更换箱体"]).rc == 0
    for to in ("checked", "closed"):  # the inspector's moves need no note
        assert run(["workorders", "move", f, case, "--to", to, "--user", "赵六"]).rc == 0
    conn = sqlite3.connect(f)
    done = conn.execute("SELECT DISTINCT r.work_done FROM maintenance_record r JOIN work_order o"
                        " USING (work_order_uuid) WHERE o.case_no=?", (case,)).fetchall()
    conn.close()
    assert done == [("更换箱体",)]


def test_rework_needs_a_new_result_and_closing_takes_the_last(small_district):
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.store import Store

    with Store.open(small_district) as store:
        uuid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", uuid)]), "a")
        case = row["case_no"]
        for to, note in [("filed", None), ("dispatched", None), ("in_progress", None),
                         ("resolved", "第一次"), ("rework", "未修好"), ("in_progress", None)]:
            wo.move_order(store, case, to, "x", note)
        with pytest.raises(ValidationError, match="result of the work"):
            wo.move_order(store, case, "resolved", "x")  # the first result does not count
        for to, note in [("resolved", "第二次"), ("checked", None), ("closed", None)]:
            wo.move_order(store, case, to, "x", note)
        assert store.conn.execute("SELECT work_done FROM maintenance_record WHERE "
                                  "work_order_uuid=?", (row["work_order_uuid"],)
                                  ).fetchall() == [("第二次",)]


def test_the_sample_reports_a_result_for_every_disposal(sample_master):
    conn = sqlite3.connect(sample_master)
    resolved = conn.execute("SELECT count(*), count(nullif(trim(note), '')) FROM "
                            "work_order_event WHERE to_state='resolved'").fetchone()
    conn.close()
    assert resolved[0] > 0 and resolved[0] == resolved[1]


def test_cli_create_with_its_own_deadline(small_district):
    """``--due`` in office time is stored as UTC in the same column GDAL reads as a DateTime;
    a date alone is 17:30; a past deadline is one line, exit 8, a malformed one a usage
    error (exit 2, like a malformed --priority, in the --lang asked for); no order."""
    f = str(small_district)
    base = ["workorders", "create", f, "--layer", "litter_bin", "--where", "condition = 5",
            "--priority", "normal", "--title", "热线", "--source", "hotline", "--json"]
    conn = sqlite3.connect(f)
    before = conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    past = run([*base, "--due", "2020-01-01 10:00"])
    assert past.rc == 8 and not past.out, past.err
    assert "not after the order's creation" in past.err
    assert "Traceback" not in past.err and len(past.err.strip().splitlines()) == 1
    for due, lang, said in (("2099-13-01", "en", "argument --due: not a date and time: "
                             "'2099-13-01' (write YYYY-MM-DD"),
                            ("明天", "zh_CN", "参数 --due：不是日期和时间：'明天'（请写 "
                             "YYYY-MM-DD")):
        result = run([*base, "--due", due, "--lang", lang])
        assert result.rc == 2 and not result.out, result.err
        assert "Traceback" not in result.err
        assert said in result.err.strip().splitlines()[-1], result.err
    assert conn.execute("SELECT count(*) FROM work_order").fetchone()[0] == before
    timed = json.loads(run([*base, "--due", "2099-01-05 10:00"]).out)
    dated = json.loads(run([*base, "--due", "2099-01-06"]).out)
    assert timed["deadline_local"] == "2099-01-05 10:00"
    assert dated["deadline_local"] == "2099-01-06 17:30"
    stored = dict(conn.execute("SELECT case_no, deadline FROM work_order WHERE case_no IN "
                               "(?, ?)", (timed["case_no"], dated["case_no"])))
    conn.close()
    assert stored == {timed["case_no"]: "2099-01-05T02:00:00.000Z",
                      dated["case_no"]: "2099-01-06T09:30:00.000Z"}
    info = subprocess.run(["ogrinfo", "-ro", "-so", f, "work_order"], capture_output=True,
                          text=True, check=True).stdout
    assert "deadline: DateTime" in info
