"""Work orders on a real file: creation (case numbers, deadlines, links), legal and illegal
moves with their events, closing writes records, undo, listing and filters, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core.clock import format_iso
from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.deadlines import (
    WorkCalendar,
    compute_deadline,
    set_time_limit,
)
from citymgr_desktop.core.workorders.query import list_orders, load_report, select_assets

# Thursday 2026-11-26 10:00 office time (UTC+8) = 02:00 UTC
THU_10 = dt.datetime(2026, 11, 26, 2, 0)


def _bins(store: Store, n: int, where: str = "1=1") -> list[str]:
    return [r[0] for r in store.conn.execute(
        f"SELECT asset_uuid FROM litter_bin WHERE {where} ORDER BY fid LIMIT ?", (n,))]


@pytest.fixture
def store(small_district):
    with Store.open(small_district) as s:
        yield s


def test_create_assigns_case_number_deadline_and_links(store):
    ids = _bins(store, 3)
    row = wo.create_order(store, wo.OrderSpec("箱体破损", 3, [("litter_bin", u) for u in ids],
                                              assignee="环卫一队"), "alice", now=THU_10)
    assert row["case_no"] == "202611260001"
    assert row["state"] == "reported" and row["reported_at"] == format_iso(THU_10)
    assert row["asset_class"] == "litter_bin"
    # priority 3 = 3 working days: Fri, Mon, Tue -> Tue 17:30 office time = 09:30 UTC
    assert row["deadline"] == "2026-12-01T09:30:00.000Z"
    links = wo.assets_of(store, row["work_order_uuid"])
    assert links == [("litter_bin", u) for u in ids]
    ev = wo.events_of(store, row["work_order_uuid"])
    assert [(e["from_state"], e["to_state"], e["by"]) for e in ev] == [(None, "reported",
                                                                         "alice")]
    second = wo.create_order(store, wo.OrderSpec("x", 1, [("litter_bin", ids[0])]), "bob",
                             now=THU_10)
    assert second["case_no"] == "202611260002"
    # priority 1 = 2 working hours from 10:00 -> 12:00 office time = 04:00 UTC
    assert second["deadline"] == "2026-11-26T04:00:00.000Z"


def test_case_numbers_unique_over_many_orders(store):
    ids = _bins(store, 1)
    nos = {wo.create_order(store, wo.OrderSpec(f"o{i}", 3, [("litter_bin", ids[0])]), "a",
                           now=THU_10)["case_no"] for i in range(25)}
    assert len(nos) == 25
    assert all(n.startswith("20261126") for n in nos)


def test_create_refuses_bad_input_and_leaves_nothing(store):
    before = store.conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    with pytest.raises(ValidationError, match="at least one asset"):
        wo.create_order(store, wo.OrderSpec("t", 3, []), "a")
    with pytest.raises(ValidationError, match="priority"):
        wo.create_order(store, wo.OrderSpec("t", 9, [("litter_bin", _bins(store, 1)[0])]), "a")
    with pytest.raises(ValidationError, match="title"):
        wo.create_order(store, wo.OrderSpec(" ", 3, [("litter_bin", _bins(store, 1)[0])]), "a")
    with pytest.raises(ValidationError, match="existing asset"):
        wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", "nope")]), "a")
    with pytest.raises(NotFoundError):
        wo.resolve_assets(store, ["nope"])
    assert store.conn.execute("SELECT count(*) FROM work_order").fetchone()[0] == before


def test_moves_record_who_when_why_and_closing_writes_records(store):
    ids = _bins(store, 2)
    row = wo.create_order(store, wo.OrderSpec("t", 2, [("litter_bin", u) for u in ids]), "a",
                          now=THU_10)
    case = row["case_no"]
    t = THU_10
    for state in ("filed", "dispatched", "in_progress", "resolved", "checked"):
        t += dt.timedelta(hours=1)
        wo.move_order(store, case, state, "王五", f"why {state}", now=t)
    with pytest.raises(wf.IllegalTransitionError, match="allowed from checked: closed, rework"):
        wo.move_order(store, case, "filed", "王五")
    n_before = store.conn.execute("SELECT count(*) FROM maintenance_record").fetchone()[0]
    wo.move_order(store, case, "closed", "赵六", "验收合格", now=t + dt.timedelta(hours=1),
                  close=wo.CloseOptions(condition_after=1))
    order = wo.get_order(store, case)
    assert order["state"] == "closed" and order["closed_at"] is not None
    assert order["dispatched_at"] == format_iso(THU_10 + dt.timedelta(hours=2))
    events = wo.events_of(store, row["work_order_uuid"])
    assert [e["to_state"] for e in events] == ["reported", "filed", "dispatched", "in_progress",
                                               "resolved", "checked", "closed"]
    assert events[-1]["by"] == "赵六" and events[-1]["note"] == "验收合格"
    recs = store.conn.execute(
        "SELECT asset_uuid, record_type, work_done, condition_after FROM maintenance_record "
        "WHERE work_order_uuid=?", (row["work_order_uuid"],)).fetchall()
    assert sorted(r[0] for r in recs) == sorted(ids)
    assert {r[1] for r in recs} == {"repair"} and {r[2] for r in recs} == {"why resolved"}
    assert store.conn.execute("SELECT count(*) FROM maintenance_record").fetchone()[0] == \
        n_before + 2
    cond = {r[0] for r in store.conn.execute(
        f"SELECT condition FROM litter_bin WHERE asset_uuid IN ('{ids[0]}','{ids[1]}')")}
    assert cond == {1}
    with pytest.raises(wf.IllegalTransitionError, match="final"):
        wo.move_order(store, case, "rework", "x")


def test_move_needs_a_name_and_a_known_order(store):
    row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", _bins(store, 1)[0])]), "a")
    with pytest.raises(ValidationError, match="who"):
        wo.move_order(store, row["case_no"], "filed", "  ")
    with pytest.raises(NotFoundError):
        wo.move_order(store, "209901010001", "filed", "x")
    with pytest.raises(ValidationError, match="unknown work-order state"):
        wo.move_order(store, row["case_no"], "done", "x")


def test_create_and_move_in_the_edit_session_are_undoable_and_saved_together(store):
    from citymgr_desktop.core.editing import EditSession

    session = EditSession(store, "a", journal=False)
    ids = _bins(store, 2)
    created = wo.plan_create(store, wo.OrderSpec("t", 3, [("litter_bin", u) for u in ids]),
                             "a", pending=session.pending)
    session.push_deltas(created, "Create")
    wid = next(d.uuid for d in created if d.table == "work_order")
    case = wo.get_order(store, wid, session.pending)["case_no"]
    with pytest.raises(NotFoundError):  # nothing in the file yet
        wo.get_order(store, case)
    moved = wo.plan_move(store, case, "filed", "b", "ok", pending=session.pending)
    session.push_deltas(moved, "Move")
    assert wo.get_order(store, case, session.pending)["state"] == "filed"
    filed = [o["case_no"] for o in list_orders(store, states=["filed"],
                                               pending=session.pending)]
    assert case in filed and case not in [o["case_no"] for o in list_orders(
        store, states=["reported"], pending=session.pending)]
    session.commands.undo()
    order = wo.get_order(store, case, session.pending)
    assert order["state"] == "reported" and order["filed_at"] is None
    assert len(wo.events_of(store, wid, session.pending)) == 1
    session.commands.undo()
    assert not session.dirty
    with pytest.raises(NotFoundError):
        wo.get_order(store, case, session.pending)
    session.commands.redo()
    session.commands.redo()
    assert wo.assets_of(store, wid, session.pending) == [("litter_bin", u) for u in ids]
    session.save()  # order, events and links in one transaction
    assert wo.get_order(store, case)["state"] == "filed"
    assert wo.assets_of(store, wid) == [("litter_bin", u) for u in ids]
    assert len(wo.events_of(store, wid)) == 2
    session.commands.undo()  # after the save: undoing makes a pending edit again
    session.commands.undo()
    session.save()
    with pytest.raises(NotFoundError):
        wo.get_order(store, case)
    assert store.conn.execute("SELECT count(*) FROM work_order_asset WHERE work_order_uuid=?",
                              (wid,)).fetchone()[0] == 0


def test_move_applied_at_once_is_undoable_with_delta_command(store):
    stack = CommandStack()
    row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", _bins(store, 1)[0])]),
                          "a")
    deltas = wo.plan_move(store, row["case_no"], "filed", "b", "ok")
    stack.push(wo.DeltaCommand(store, deltas, "Move", "b"))
    assert wo.get_order(store, row["case_no"])["state"] == "filed"
    stack.undo()
    assert wo.get_order(store, row["case_no"])["state"] == "reported"


def test_deadline_working_time_rules():
    cal = WorkCalendar()
    fri_16 = dt.datetime(2026, 11, 27, 16, 0)
    # 2 working hours from Friday 16:00 -> 1.5 h Friday, 0.5 h Monday -> Monday 09:00
    assert cal.add_working_hours(fri_16, 2) == dt.datetime(2026, 11, 30, 9, 0)
    # lunch break is not working time: 11:00 + 2 h -> 12:00, then 14:00-15:00
    assert cal.add_working_hours(dt.datetime(2026, 11, 26, 11, 0), 2) == \
        dt.datetime(2026, 11, 26, 15, 0)
    # a report at night or at the weekend starts counting at the next opening
    assert cal.add_working_hours(dt.datetime(2026, 11, 28, 22, 0), 1) == \
        dt.datetime(2026, 11, 30, 9, 30)
    # 1 working day from Friday -> close of business on Monday
    assert cal.add_working_days(fri_16, 1) == dt.datetime(2026, 11, 30, 17, 30)
    hol = WorkCalendar(holidays=frozenset({dt.date(2026, 11, 30)}),
                       workdays=frozenset({dt.date(2026, 11, 29)}))
    assert hol.add_working_days(fri_16, 1) == dt.datetime(2026, 11, 29, 17, 30)
    assert hol.add_working_days(fri_16, 2) == dt.datetime(2026, 12, 1, 17, 30)


def test_time_limits_are_data(store):
    set_time_limit(store, "litter_bin", 3, 4, "working_hours")
    # class-specific limit wins over the generic one: 10:00-12:00 + 14:00-16:00 (UTC+8)
    assert compute_deadline(store, "litter_bin", 3, THU_10) == dt.datetime(2026, 11, 26, 8)
    with pytest.raises(ValidationError, match="limit_unit"):
        set_time_limit(store, None, 3, 4, "days")
    with store.session() as conn:
        conn.execute("DELETE FROM work_order_time_limit WHERE priority = 4")
    with pytest.raises(ValidationError, match="no time limit"):
        wo.create_order(store, wo.OrderSpec("t", 4, [("road_segment", store.conn.execute(
            "SELECT asset_uuid FROM road_segment LIMIT 1").fetchone()[0])]), "a")


def test_list_filters(store):
    ids = _bins(store, 2)
    a = wo.create_order(store, wo.OrderSpec("早", 1, [("litter_bin", ids[0])], assignee="一队"),
                        "a", now=dt.datetime(2026, 1, 5, 2))
    b = wo.create_order(store, wo.OrderSpec("今", 3, [("litter_bin", ids[1])], assignee="二队"),
                        "a")
    rows = list_orders(store, assignee="一队")
    assert [r["case_no"] for r in rows] == [a["case_no"]]
    overdue = {r["case_no"] for r in list_orders(store, overdue=True)}
    assert a["case_no"] in overdue and b["case_no"] not in overdue
    not_overdue = {r["case_no"] for r in list_orders(store, overdue=False)}
    assert b["case_no"] in not_overdue and a["case_no"] not in not_overdue
    assert all(r["overdue"] for r in list_orders(store, overdue=True))
    reported = list_orders(store, states=["reported"])
    assert {a["case_no"], b["case_no"]} <= {r["case_no"] for r in reported}
    assert all(r["state"] == "reported" for r in reported)
    wo.move_order(store, a["case_no"], "cancelled", "x")
    assert a["case_no"] not in {r["case_no"] for r in list_orders(store, overdue=True)}
    with pytest.raises(NotFoundError):
        list_orders(store, cases=["000"])


def test_select_by_expression_and_report(store):
    ids = select_assets(store, "litter_bin", "condition >= 4")
    expected = {r[0] for r in store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 AND retired_at IS NULL")}
    assert set(ids) == expected and ids
    with pytest.raises(NotFoundError):
        select_assets(store, "nope", "condition >= 4")
    row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", u) for u in ids]), "a")
    rep = load_report(store, [row["case_no"]])[0]
    assert [a.asset_uuid for a in rep.assets] == ids
    assert all(a.geometry is not None for a in rep.assets)


def test_cli_create_move_list(small_district, capsys):
    f = str(small_district)
    assert main(["workorders", "create", f, "--layer", "litter_bin", "--where",
                 "condition >= 4", "--priority", "2", "--title", "危险垃圾箱",
                 "--assignee", "一队", "--by", "cli"]) == 0
    case = capsys.readouterr().out.strip()
    assert wf.parse_case_number(case) is not None
    assert main(["workorders", "move", f, case, "--to", "closed", "--by", "x"]) == 8
    err = capsys.readouterr().err
    assert "cannot move" in err and "allowed from reported: filed, cancelled" in err
    assert main(["workorders", "move", f, case, "--to", "filed", "--by", "x", "--note",
                 "立案"]) == 0
    capsys.readouterr()
    assert main(["workorders", "list", f, "--state", "filed", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert case in [r["case_no"] for r in rows]
    assert all(r["state"] == "filed" for r in rows)
    assert main(["workorders", "create", f, "--layer", "litter_bin", "--where", "condition > ",
                 "--priority", "2", "--title", "x"]) == 8
    assert main(["workorders", "list", f, "--state", "nope"]) == 8
    conn = sqlite3.connect(f)
    assert conn.execute("SELECT by, note FROM work_order_event WHERE to_state='filed' AND "
                        "work_order_uuid=(SELECT work_order_uuid FROM work_order WHERE "
                        "case_no=?)", (case,)).fetchone() == ("x", "立案")


def test_cli_time_limits(small_district, capsys):
    f = str(small_district)
    assert main(["workorders", "limits", f, "--set", "litter_bin", "3", "2",
                 "working_days"]) == 0
    out = capsys.readouterr().out
    assert "litter_bin" in out and "2个工作日" in out
    assert main(["workorders", "limits", f, "--set", "*", "3", "2", "days"]) == 8
    assert main(["workorders", "limits", f, "--set", "*", "x", "2", "working_days"]) == 8
    with Store.open(small_district) as store:
        row = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", _bins(store, 1)[0])]),
                              "a", now=THU_10)
    # Thursday + 2 working days -> Monday 17:30 office time = 09:30 UTC
    assert row["deadline"] == "2026-11-30T09:30:00.000Z"


def test_cli_create_with_a_long_valid_filter(small_district, capsys):
    """A valid filter of ~1,000 characters is copied into the first event's note cut to the
    note field (it made the order fail: the note is at most 1,000 characters)."""
    f = str(small_district)
    names = " and ".join(f"name != '不存在的名称{i:03d}'" for i in range(40))
    where = f"condition >= 1 and {names}"
    assert 950 < len(where) <= 1200
    assert main(["workorders", "create", f, "--layer", "litter_bin", "--where", where,
                 "--priority", "2", "--title", "长条件"]) == 0
    case = capsys.readouterr().out.strip()
    conn = sqlite3.connect(f)
    [note] = conn.execute("SELECT note FROM work_order_event WHERE to_state='reported' AND "
                          "work_order_uuid=(SELECT work_order_uuid FROM work_order WHERE "
                          "case_no=?)", (case,)).fetchone()
    conn.close()
    assert len(note) <= wo.NOTE_MAX_LENGTH
    assert note.startswith("created for ") and " where condition >= 1 and " in note
    assert note.endswith("…")
