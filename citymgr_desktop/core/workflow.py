"""The work-order state machine of the digital city-management loop (数字城管):
reported -> filed -> dispatched -> in progress -> resolved -> checked -> closed, with returned,
on hold, rework and cancelled. Defined as data; every move is checked against it.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum


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


def can_move(src: WorkOrderState | str, dst: WorkOrderState | str) -> bool:
    """True when an order in ``src`` may move to ``dst``."""
    return WorkOrderState(dst) in TRANSITIONS[WorkOrderState(src)]


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
    return f"{day:%Y%m%d}{serial:04d}"
