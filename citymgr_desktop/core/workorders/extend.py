"""Extending an open order's deadline (延期): a later deadline, or a number of working days
more (counted by the file's working calendar from the current deadline, or from now when the
order is overdue, same time of day), and a required reason.

Planned as deltas like a move (``orders.plan_move``): the order's ``deadline`` and
``updated_at``, and a ``work_order_event`` that stays in the order's state (from = to) with
who, when and the note "deadline extended A → B (office time, N working day(s)): reason"
(``notes.extended``, shown in the reader's language). The app pushes them as one undo step;
the command line applies them at once (:func:`extend_order`). Whether the order is overdue
follows from the new deadline (``orders.is_overdue``).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import format_iso, parse_iso, to_local, to_utc, utcnow
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import Message, joined, msg
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.workorders import notes
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.deadlines import WorkCalendar, calendar_of

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

CALENDAR_GAP = ("the working calendar does not cover {years}: its holidays were counted as "
                "working days; add the year(s) with: {command}")


def _local(when: dt.datetime | None) -> str:
    return to_local(when).strftime("%Y-%m-%d %H:%M") if when is not None else "–"


def check_open(order: dict[str, Any]) -> None:
    """Only an open order (one that can be overdue) has a deadline to extend."""
    if order["state"] not in wo.OVERDUE_STATES:
        raise ValidationError("order {case_no} is {label}: only an open order's deadline can "
                              "be extended", case_no=order["case_no"],
                              label=wf.term(order["state"]))


def extension_start(order: dict[str, Any], now: dt.datetime | None = None) -> dt.datetime:
    """Where an extension counts from (naive UTC): the current deadline, or now when it has
    passed (an overdue order, the usual one to extend, gets its days from now) or there is
    none."""
    now = now or utcnow()
    old = parse_iso(order.get("deadline"))
    return now if old is None or old < now else old


def due_after(calendar: WorkCalendar, start: dt.datetime, days: int) -> dt.datetime:
    """The deadline (naive UTC) ``days`` working days after ``start`` (naive UTC), at the
    same office time of day."""
    return to_utc(calendar.shift_working_days(to_local(start), days))


def working_days_granted(calendar: WorkCalendar, start: dt.datetime, due: dt.datetime) -> int:
    """The working days from ``start`` to ``due`` (both naive UTC), counted by office date:
    the working days after ``start``'s day up to ``due``'s day, the time of day not weighed
    (Monday 17:30 → Tuesday 09:00 is 1), as working-day time limits are counted
    (:meth:`WorkCalendar.add_working_days`) and as "+ N" gives them back
    (:meth:`WorkCalendar.shift_working_days`)."""
    return calendar.working_days_between(to_local(start).date(), to_local(due).date())


def years_outside(covered: Collection[int], start: dt.datetime, due: dt.datetime) -> list[int]:
    """The years (office time) from ``start`` to ``due`` (naive UTC) that the working calendar
    does not cover (:func:`deadlines.calendar_years`): their holidays are not known, so they
    were counted as working days."""
    return [year for year in range(to_local(start).year, to_local(due).year + 1)
            if year not in covered]


def calendar_gap(years: list[int], file: str) -> Message:
    """The warning for an extension counted beyond the calendar's years, naming the command
    that adds them."""
    seed = ",".join(str(y) for y in years)
    return msg(CALENDAR_GAP, years=joined(years),
               command=f"citymgr workorders calendar {shlex.quote(file)} --seed {seed}")


def plan_extend(store: Store, ref: str, due: dt.datetime | None, by: str, reason: str | None,
                *, days: int | None = None, now: dt.datetime | None = None,
                pending: DeltaSet | None = None) -> DeltaSet:
    """The deltas that move an open order's deadline to ``due`` (naive UTC), or ``days``
    working days later (one of the two; from the current deadline, or from now when it has
    passed), which must be later than the current one and than now; ``reason`` is required.
    The note says how many working days that grants, counted from the same start."""
    if not by or not str(by).strip():
        raise ValidationError("work_order_event.by (Who) must not be empty: say who extends it")
    reason = str(reason or "").strip()
    order = wo.get_order(store, ref, pending)
    case = order["case_no"]
    if not reason:
        raise ValidationError("extending the deadline of order {case_no} needs a reason "
                              "(延期理由)", case_no=case)
    check_open(order)
    now = now or utcnow()
    old_due = parse_iso(order.get("deadline"))
    start = extension_start(order, now)
    calendar = calendar_of(store)
    if days is not None and due is None:
        if days < 1:
            raise ValidationError("an extension gives at least one working day more, got "
                                  "{days}", days=days)
        due = due_after(calendar, start, days)
    elif due is None or days is not None:
        raise ValidationError("give either the new deadline or the working days to add, "
                              "not both")
    if old_due is not None and due <= old_due:
        raise ValidationError("the new deadline {due} is not later than the current one "
                              "({current}, office time): an extension gives more time",
                              due=_local(due), current=_local(old_due))
    if due <= now:
        raise ValidationError("the new deadline {due} is in the past (now {now}, office "
                              "time): give a later one", due=_local(due), now=_local(now))
    stamp = format_iso(now)
    wid = order["work_order_uuid"]
    state = wf.WorkOrderState(order["state"])
    granted = working_days_granted(calendar, start, due)
    note = str(notes.extended(_local(old_due), _local(due), reason, granted))
    event = wo._event(wid, state, state, str(by).strip(), note, now)
    return DeltaSet([
        Delta("work_order", wid, {"deadline": order.get("deadline"),
                                  "updated_at": order["updated_at"]},
              {"deadline": format_iso(due), "updated_at": stamp}),
        Delta("work_order_event", event["event_uuid"], None, event)])


def extend_order(store: Store, ref: str, due: dt.datetime | None, by: str,
                 reason: str | None, *, days: int | None = None,
                 now: dt.datetime | None = None) -> DeltaSet:
    """Extend the deadline and write it (one transaction); returns the applied deltas."""
    store.require_asset_project()
    with store.session():
        deltas = plan_extend(store, ref, due, by, reason, days=days, now=now)
        store.apply(deltas, by)
    return deltas
