"""The work-order state machine: every allowed and every forbidden transition, and random
sequences of moves that never leave the defined states (checked on the table and on a file)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.states import TRANSITIONS, S, WorkOrderState

ALLOWED = sorted(((a, b) for a, nxt in TRANSITIONS.items() for b in nxt),
                 key=lambda p: (p[0].value, p[1].value))
FORBIDDEN = sorted(((a, b) for a, b in itertools.product(WorkOrderState, WorkOrderState)
                    if b not in TRANSITIONS[a]), key=lambda p: (p[0].value, p[1].value))

EXPECTED = {
    ("reported", "filed"), ("reported", "cancelled"),
    ("filed", "dispatched"), ("filed", "cancelled"),
    ("dispatched", "in_progress"), ("dispatched", "returned"),
    ("returned", "dispatched"), ("returned", "cancelled"),
    ("in_progress", "resolved"), ("in_progress", "on_hold"),
    ("on_hold", "in_progress"), ("on_hold", "cancelled"),
    ("resolved", "checked"), ("resolved", "rework"),
    ("checked", "closed"), ("checked", "rework"),
    ("rework", "in_progress"),
}


def test_table_is_the_documented_loop():
    assert {(a.value, b.value) for a, b in ALLOWED} == EXPECTED
    assert set(TRANSITIONS) == set(WorkOrderState)
    assert {S.CLOSED, S.CANCELLED} == wf.TERMINAL
    # every state of the domain (stored in the file) is a state of the machine and back
    assert {c.value for c in dm.WORK_ORDER_STATE.codes} == {s.value for s in WorkOrderState}


@pytest.mark.parametrize(("src", "dst"), ALLOWED, ids=[f"{a.value}->{b.value}" for a, b in ALLOWED])
def test_allowed_transition(src, dst):
    assert wf.can_move(src, dst)
    assert wf.can_move(src.value, dst.value)
    assert wf.check_move(src, dst.value) is dst
    assert dst in wf.allowed_targets(src)


@pytest.mark.parametrize(("src", "dst"), FORBIDDEN,
                         ids=[f"{a.value}->{b.value}" for a, b in FORBIDDEN])
def test_forbidden_transition(src, dst):
    assert not wf.can_move(src, dst)
    with pytest.raises(wf.IllegalTransitionError) as exc:
        wf.check_move(src, dst, "order 202611260001")
    msg = str(exc.value)
    assert "202611260001" in msg and src.value in msg
    assert "\n" not in msg
    if wf.allowed_targets(src):
        assert all(s.value in msg for s in wf.allowed_targets(src))
    else:
        assert "final" in msg


def test_counts():
    assert len(ALLOWED) == 17
    assert len(ALLOWED) + len(FORBIDDEN) == 11 * 11


def test_parse_state_names_and_labels():
    assert wf.parse_state("in_progress") is S.IN_PROGRESS
    assert wf.parse_state("in-progress") is S.IN_PROGRESS
    assert wf.parse_state("On hold") is S.ON_HOLD
    assert wf.parse_state("结案") is S.CLOSED
    with pytest.raises(ValidationError, match="allowed: reported, filed"):
        wf.parse_state("done")


def test_every_state_reachable_and_path_legal():
    for s in WorkOrderState:
        path = wf.path_to(s)
        assert path[0] is S.REPORTED and path[-1] is s
        assert all(wf.can_move(a, b) for a, b in itertools.pairwise(path))


def test_case_number_round_trip():
    no = wf.case_number(dt.date(2026, 11, 26), 7)
    assert no == "202611260007"
    assert wf.parse_case_number(no) == (dt.date(2026, 11, 26), 7)
    assert wf.parse_case_number("WO-1") is None
    with pytest.raises(ValidationError):
        wf.case_number(dt.date(2026, 11, 26), 10000)


@given(st.lists(st.sampled_from(list(WorkOrderState)), max_size=60))
def test_random_sequences_stay_in_defined_states(targets):
    """Apply random requested moves; illegal ones are refused and change nothing."""
    state = S.REPORTED
    for t in targets:
        if wf.can_move(state, t):
            state = wf.check_move(state, t)
        else:
            with pytest.raises(wf.IllegalTransitionError):
                wf.check_move(state, t)
        assert state in TRANSITIONS
        assert isinstance(state, WorkOrderState)
    if state in wf.TERMINAL:
        assert wf.allowed_targets(state) == []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=st.lists(st.sampled_from([s.value for s in WorkOrderState]), max_size=15))
def test_random_moves_on_a_file(small_master, tmp_path_factory, targets):
    """The same property through the store: the stored state is always defined, equals the
    last event's target, and every stored event is a legal move."""
    import shutil

    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.workorders import orders as wo

    path = tmp_path_factory.mktemp("wf") / "f.gpkg"
    shutil.copyfile(small_master, path)
    with Store.open(path) as store:
        uid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        order = wo.create_order(store, wo.OrderSpec("t", 3, [("litter_bin", uid)]), "tester")
        for t in targets:
            with contextlib.suppress(wf.IllegalTransitionError):
                wo.move_order(store, order["case_no"], t, "tester")
        row = wo.get_order(store, order["case_no"])
        assert row["state"] in {s.value for s in WorkOrderState}
        events = wo.events_of(store, order["work_order_uuid"])
        assert events[-1]["to_state"] == row["state"]
        for e in events[1:]:
            assert wf.can_move(e["from_state"], e["to_state"])
        assert row[f"{row['state']}_at"] is not None
