"""The work-order state machine against the 数字城管 loop written out here, independently of the
table it tests: every one of the 121 (from, to) pairs, the one-line refusals, and random
sequences of moves (on the machine and through a file) checked against the same statement."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.states import TRANSITIONS, S, WorkOrderState

# -- the loop, as docs/workorders.md and the 数字城管 practice state it ---------------------------
# The main line: a case is reported (上报), filed by the command centre (立案), dispatched to a
# crew (派遣), worked on (处置中), resolved by the crew (已处置), checked by the inspector
# (已核查) and closed (结案).
MAIN_LINE = ["reported", "filed", "dispatched", "in_progress", "resolved", "checked", "closed"]
SIDE_MOVES = {
    # not a real problem (a duplicate, a wrong report): cancelled (作废) before anybody works on it
    ("reported", "cancelled"), ("filed", "cancelled"),
    # the crew sends a dispatched case back (退回: not theirs); it is dispatched again or dropped
    ("dispatched", "returned"), ("returned", "dispatched"), ("returned", "cancelled"),
    # work stops (挂起: waiting for parts, weather) and resumes, or the case is given up
    ("in_progress", "on_hold"), ("on_hold", "in_progress"), ("on_hold", "cancelled"),
    # the check finds the work not done (返工): the crew works on it again
    ("resolved", "rework"), ("checked", "rework"), ("rework", "in_progress"),
}
STATES = [*MAIN_LINE, "returned", "on_hold", "rework", "cancelled"]
ALLOWED = set(itertools.pairwise(MAIN_LINE)) | SIDE_MOVES
FORBIDDEN = {(a, b) for a in STATES for b in STATES} - ALLOWED
FINAL = {"closed", "cancelled"}  # nothing leaves a closed or cancelled case
ALL_PAIRS = sorted(ALLOWED | FORBIDDEN)


def test_the_statement_itself():
    """The statement is what the docs say: 11 states, 17 moves, two final states."""
    assert len(STATES) == len(set(STATES)) == 11
    assert len(ALLOWED) == 17 and len(FORBIDDEN) == 121 - 17
    assert {s for s in STATES if not any(a == s for a, _ in ALLOWED)} == FINAL


def test_the_machine_has_the_states_of_the_loop():
    assert {s.value for s in WorkOrderState} == set(STATES)
    assert {s.value for s in TRANSITIONS} == set(STATES)
    assert {s.value for s in wf.TERMINAL} == FINAL
    # every state of the domain (stored in the file) is a state of the machine and back
    assert {c.value for c in dm.WORK_ORDER_STATE.codes} == set(STATES)


@pytest.mark.parametrize(("src", "dst"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_is_allowed_exactly_when_the_loop_says(src, dst):
    allowed = (src, dst) in ALLOWED
    assert wf.can_move(src, dst) is allowed
    assert (S(dst) in wf.allowed_targets(src)) is allowed
    if allowed:
        assert wf.check_move(src, dst) is S(dst)
        return
    with pytest.raises(wf.IllegalTransitionError) as exc:
        wf.check_move(src, dst, msg("order {case_no}", case_no="202611260001"))
    text = str(exc.value)
    assert "202611260001" in text and src in text and "\n" not in text
    targets = [b for a, b in ALLOWED if a == src]
    if targets:  # the refusal names every allowed move
        assert f"allowed from {src}: " in text and all(b in text for b in targets)
    else:
        assert "is final" in text
    assert exc.value.render("zh_CN") != text  # and says so in Chinese too


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
        assert all((a.value, b.value) in ALLOWED for a, b in itertools.pairwise(path))


def test_case_number_round_trip():
    no = wf.case_number(dt.date(2026, 11, 26), 7)
    assert no == "202611260007"
    assert wf.parse_case_number(no) == (dt.date(2026, 11, 26), 7)
    assert wf.parse_case_number("WO-1") is None
    with pytest.raises(ValidationError):
        wf.case_number(dt.date(2026, 11, 26), 10000)


@given(st.lists(st.sampled_from(STATES), max_size=60))
def test_random_sequences_follow_the_loop(targets):
    """Random requested moves: the machine accepts exactly the ones the loop allows from the
    state it is in, and a refused one changes nothing."""
    state = "reported"
    for t in targets:
        if (state, t) in ALLOWED:
            assert wf.check_move(state, t) is S(t)
            state = t
        else:
            with pytest.raises(wf.IllegalTransitionError):
                wf.check_move(state, t)
    if state in FINAL:
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
            assert (e["from_state"], e["to_state"]) in ALLOWED
        assert row[f"{row['state']}_at"] is not None
