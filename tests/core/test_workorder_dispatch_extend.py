"""After creation an order can go to another disposal unit (处置单位) at dispatching and get
a later deadline (延期) with a reason: through the CLI process (``move --unit``,
``extend --due --reason``; refusals are one line, exit 8, nothing changed), read back with
GDAL; the order's timeline names the change; overdue follows the new deadline; undo (the
inverse deltas) puts the old unit and deadline back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

import pytest

from citymgr_desktop.core.clock import parse_iso
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import extend as ex
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.notes import note_text
from tests.faults.support import run


def _gdal(path, table, where, fields):
    out = subprocess.run(["ogr2ogr", "-f", "CSV", "/vsistdout/", str(path), table, "-where",
                          where, "-select", fields], capture_output=True, text=True,
                         check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def test_cli_dispatch_to_a_unit_and_extend_the_deadline(small_district):
    f = str(small_district)
    created = run(["workorders", "create", f, "--layer", "litter_bin", "--where",
                   "condition = 5", "--priority", "normal", "--title", "箱体破损",
                   "--assignee", "环卫一所"])
    assert created.rc == 0, created.err
    case = created.out.strip()
    wid = _gdal(f, "work_order", f"case_no = '{case}'", "work_order_uuid")[0]["work_order_uuid"]
    # the unit is named at dispatching only
    early = run(["workorders", "move", f, case, "--to", "filed", "--unit", "市政维修二队"])
    assert early.rc == 8 and "dispatch" in early.err and "Traceback" not in early.err
    assert len(early.err.strip().splitlines()) == 1
    assert run(["workorders", "move", f, case, "--to", "filed"]).rc == 0
    moved = run(["workorders", "move", f, case, "--to", "dispatched", "--unit", "市政维修二队",
                 "--note", "箱体需焊接", "--user", "张三"])
    assert moved.rc == 0, moved.err
    (row,) = _gdal(f, "work_order", f"case_no = '{case}'", "assignee,deadline,state")
    assert (row["assignee"], row["state"]) == ("市政维修二队", "dispatched")
    events = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "to_state,by,note")
    assert events[-1] == {"to_state": "dispatched", "by": "张三",
                          "note": "disposal unit 环卫一所 → 市政维修二队; 箱体需焊接"}
    assert note_text(events[-1]["note"], "zh_CN") == "处置单位 环卫一所 → 市政维修二队；箱体需焊接"

    old_deadline = row["deadline"]
    for args, words in ((["--due", "2099-01-05", "--reason", "  "], "reason"),
                        (["--due", "2020-01-05", "--reason", "等配件"], "not later"),
                        (["--due", "2099-01-05", "--reason", "等配件", "--lang", "zh_CN"],
                         None)):
        result = run(["workorders", "extend", f, case, *args])
        if words is None:
            break
        assert result.rc == 8 and words in result.err and not result.out
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
        assert _gdal(f, "work_order", f"case_no = '{case}'", "deadline")[0]["deadline"] == \
            old_deadline
    assert result.rc == 0, result.err
    assert result.out.strip() == f"{case}: 2099-01-05 17:30"
    (row,) = _gdal(f, "work_order", f"case_no = '{case}'", "deadline")
    assert row["deadline"].replace("/", "-").startswith("2099-01-05")
    note = _gdal(f, "work_order_event", f"work_order_uuid = '{wid}'", "note")[-1]["note"]
    assert note.startswith("deadline extended ") and "→ 2099-01-05 17:30 (office time, " in note
    assert note.endswith(" working day(s)): 等配件")
    assert "延期" in note_text(note, "zh_CN")
    bad = run(["workorders", "extend", f, case, "--due", "soon", "--reason", "x"])
    assert bad.rc == 2 and "Traceback" not in bad.err
    helped = run(["workorders", "extend", "--help"])
    assert helped.rc == 0 and "--reason" in helped.out and "--due" in helped.out
    assert "--unit" in run(["workorders", "move", "--help"]).out


def test_extension_only_on_open_orders_overdue_follows_and_undo(small_district):
    with Store.open(small_district) as store:
        uuid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        t0 = dt.datetime(2026, 12, 7, 2, 0)
        row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", uuid)],
                                                  assignee="甲"), "a", now=t0)
        case = row["case_no"]
        deadline = parse_iso(row["deadline"])
        later = deadline + dt.timedelta(hours=1)
        assert wo.is_overdue(row, later)
        ex.extend_order(store, case, deadline + dt.timedelta(days=3), "b", "等配件",
                        now=later)
        extended = wo.get_order(store, case)
        assert not wo.is_overdue(extended, later)  # the new deadline counts
        with pytest.raises(ValidationError, match="reason"):
            ex.plan_extend(store, case, deadline + dt.timedelta(days=5), "b", "", now=later)
        # undo = the inverse deltas: the old deadline and no extension event
        deltas = ex.plan_extend(store, case, deadline + dt.timedelta(days=5), "b", "再等",
                                now=later)
        store.apply(deltas, "b")
        n = len(wo.events_of(store, extended["work_order_uuid"]))
        store.apply(~deltas, "b")
        assert wo.get_order(store, case)["deadline"] == extended["deadline"]
        assert len(wo.events_of(store, extended["work_order_uuid"])) == n - 1
        # re-dispatch: undo puts the old unit back
        for to in ("filed", "dispatched", "returned"):
            wo.move_order(store, case, to, "x", now=later)
        deltas = wo.plan_move(store, case, "dispatched", "x", unit="乙", now=later)
        store.apply(deltas, "x")
        assert wo.get_order(store, case)["assignee"] == "乙"
        store.apply(~deltas, "x")
        assert wo.get_order(store, case)["assignee"] == "甲"
        same = wo.plan_move(store, case, "dispatched", "x", unit="甲", now=later)
        assert not any(d.new and "assignee" in d.new for d in same)  # no change, no note
        for to in ("dispatched", "in_progress", "resolved"):
            wo.move_order(store, case, to, "x", "修好" if to == "resolved" else None,
                          now=later)
        with pytest.raises(ValidationError, match="open order"):
            ex.plan_extend(store, case, deadline + dt.timedelta(days=9), "b", "x", now=later)
