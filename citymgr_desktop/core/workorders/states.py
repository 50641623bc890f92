"""The work-order state machine of the digital city-management loop (数字城管):
reported -> filed -> dispatched -> in progress -> resolved -> checked -> closed, with returned,
on hold, rework and cancelled. Defined as data; every move is checked against it.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import Message, Term, msg
from citymgr_desktop.core.model import domains as dm


class WorkOrderState(str, Enum):
    REPORTED = "reported"
    FILED = "filed"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CHECKED = "checked"
    CLOSED = "closed"
    RETURNED = "returned"
    ON_HOLD = "on_hold"
    REWORK = "rework"
    CANCELLED = "cancelled"


S = WorkOrderState

TRANSITIONS: dict[WorkOrderState, frozenset[WorkOrderState]] = {
    S.REPORTED: frozenset({S.FILED, S.CANCELLED}),
    S.FILED: frozenset({S.DISPATCHED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.RETURNED}),
    S.RETURNED: frozenset({S.DISPATCHED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.ON_HOLD}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CHECKED, S.REWORK}),
    S.CHECKED: frozenset({S.CLOSED, S.REWORK}),
    S.REWORK: frozenset({S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
OPEN_STATES = frozenset(S) - TERMINAL

# The ordinary path from a new report to each state, used by the sample generator.
MAIN_PATH = (S.REPORTED, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.CHECKED, S.CLOSED)


class IllegalTransitionError(ValidationError):
    """A work order was asked to make a move the state machine does not allow."""

    category = "workflow"


def label(state: WorkOrderState | str, lang: str = "en") -> str:
    """The state as a person reads it (``dispatched`` -> "Dispatched" / "派遣")."""
    return dm.WORK_ORDER_STATE.label(WorkOrderState(state).value, lang)


def parse_state(text: WorkOrderState | str) -> WorkOrderState:
    """A state from its name (``in_progress``), also accepting ``in-progress`` and the labels.

    Raises :class:`ValidationError` naming the allowed names.
    """
    if isinstance(text, WorkOrderState):
        return text
    key = str(text).strip().lower().replace("-", "_").replace(" ", "_")
    for s in WorkOrderState:
        if key in (s.value, label(s, "en").lower().replace(" ", "_")) or str(text).strip() == \
                label(s, "zh"):
            return s
    raise ValidationError(
        "unknown work-order state {text!r}; allowed: {states}",
        text=text, states=', '.join(s.value for s in S))


def can_move(src: WorkOrderState | str, dst: WorkOrderState | str) -> bool:
    """True when an order in ``src`` may move to ``dst``."""
    return WorkOrderState(dst) in TRANSITIONS[WorkOrderState(src)]


def allowed_targets(src: WorkOrderState | str) -> list[WorkOrderState]:
    """The states an order in ``src`` may move to, in the loop's order."""
    order = list(WorkOrderState)
    return sorted(TRANSITIONS[WorkOrderState(src)], key=order.index)


def term(state: WorkOrderState | str) -> Term:
    """The state's label in both languages, for a message (``Dispatched`` / ``派遣``)."""
    return Term(label(state, "en"), label(state, "zh"))


def check_move(src: WorkOrderState | str, dst: WorkOrderState | str,
               what: Message | None = None) -> WorkOrderState:
    """Return ``dst`` as a state if ``src -> dst`` is allowed, else raise a one-line
    :class:`IllegalTransitionError` that names the allowed moves (``what``: the order's
    name in the message, "the order" by default)."""
    a, b = WorkOrderState(src), parse_state(dst)
    if b in TRANSITIONS[a]:
        return b
    allowed = ", ".join(s.value for s in allowed_targets(a))
    args = {"what": what or msg("the order"), "state": a.value, "label": term(a),
            "target": b.value, "target_label": term(b), "allowed": allowed}
    if a is b and not allowed:
        raise IllegalTransitionError("{what} is already {state} ({label}); {state} ({label}) "
                                     "is final; no further moves are possible", **args)
    if a is b:
        raise IllegalTransitionError("{what} is already {state} ({label}); allowed from "
                                     "{state}: {allowed}", **args)
    if not allowed:
        raise IllegalTransitionError(
            "cannot move {what} from {state} ({label}) to {target} ({target_label}); {state} "
            "({label}) is final; no further moves are possible", **args)
    raise IllegalTransitionError(
        "cannot move {what} from {state} ({label}) to {target} ({target_label}); allowed "
        "from {state}: {allowed}", **args)


def path_to(state: WorkOrderState | str) -> list[WorkOrderState]:
    """A shortest legal path of states from REPORTED to ``state`` (inclusive)."""
    target = WorkOrderState(state)
    frontier: list[list[WorkOrderState]] = [[S.REPORTED]]
    seen = {S.REPORTED}
    while frontier:
        path = frontier.pop(0)
        if path[-1] is target:
            return path
        for nxt in sorted(TRANSITIONS[path[-1]], key=lambda s: s.value):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append([*path, nxt])
    raise ValueError(f"{target} cannot be reached")  # pragma: no cover - the table is connected


def case_number(day: dt.date, serial: int) -> str:
    """A readable, sortable case number: date + 4-digit serial of the day, e.g. 202611260007."""
    if not 1 <= serial <= 9999:
        raise ValidationError("case serial must be 1-9999 for one day, got {serial}",
                              serial=serial)
    return f"{day:%Y%m%d}{serial:04d}"


def parse_case_number(case_no: str) -> tuple[dt.date, int] | None:
    """The day and serial of a case number made by :func:`case_number` (None otherwise)."""
    text = str(case_no).strip()
    if len(text) != 12 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])), int(text[8:])
    except ValueError:
        return None
