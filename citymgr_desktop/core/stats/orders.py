"""Work orders in figures: counts by state, source and assignee, and the 数字城管 evaluation
of each 处置单位 (assignee) for a period — due, closed on time, overdue, rework, and the
on-time (按期处置率), closure (结案率) and rework (返工率) rates.

The evaluation, with P = [start, end) the period in UTC and T = min(end, now) its cut-off
(docs/statistics.md has the same with examples):

* **due** (应处置数): orders of the assignee that were dispatched (``dispatched_at`` set), are
  not cancelled, whose deadline falls in P, and that are due by T: the deadline passed
  before T, or a disposal that stands (state resolved, checked or closed) was made before T
  (an order done early counts now; an open order not yet at its deadline does not);
* **on time** (按期处置数): due orders whose disposal stands (state resolved, checked or
  closed) and was made by the deadline (``resolved_at`` ≤ ``deadline``);
* **overdue** (超期数) = due − on time: resolved late, or not resolved (any more);
* **closed** (结案数): due orders closed before T;
* **rework** (返工数): due orders with a ``rework`` move in ``work_order_event`` before T;
* rates = figure / due (None when nothing was due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import parse_iso
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.stats.assets import check_keys
from citymgr_desktop.core.stats.period import Period
from citymgr_desktop.core.workorders.orders import OVERDUE_STATES
from citymgr_desktop.core.workorders.query import list_orders

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

ORDER_KEYS = ("state", "source", "assignee", "layer", "priority")
_COLUMNS = {"state": "state", "source": "source", "assignee": "assignee",
            "layer": "asset_class", "priority": "priority"}
DISPOSED_STATES = ("resolved", "checked", "closed")
FIGURES = ("due", "on_time", "overdue", "closed", "rework")


# An order's state at a moment: the last move before it (its events are its history; an
# order without any before the moment, e.g. one older than the events, keeps its state now).
_STATE_AT = ("COALESCE((SELECT e.to_state FROM work_order_event e WHERE e.work_order_uuid = "
             "work_order.work_order_uuid AND e.at < ? ORDER BY e.at DESC LIMIT 1), "
             "work_order.state)")


def _column(key: str, as_of: str | None, params: list[Any]) -> str:
    if key == "state" and as_of is not None:
        params.append(as_of)
        return _STATE_AT
    return _COLUMNS[key]


def order_counts(store: Store, by: Iterable[str] = ("state",), *,
                 period: Period | None = None, as_of: str | None = None
                 ) -> list[dict[str, Any]]:
    """Orders grouped by ``by`` (any of state, source, assignee, layer, priority), with
    ``orders`` = how many; ``period`` keeps the orders reported in it (all without);
    ``as_of`` (stored UTC text) counts each order in its state at that moment, not now
    (a past month's chart: :meth:`Period.ended_utc`)."""
    keys = check_keys(by, ORDER_KEYS)
    params: list[Any] = []
    cols = [f"{_column(k, as_of, params)} AS {k}" for k in keys]
    where, more = _reported_in(period)
    places = ", ".join(str(i) for i in range(1, len(keys) + 1))  # by position: PostgreSQL
    # reads a bare name in GROUP BY as the table's column, not the state at ``as_of``
    sql = ("SELECT " + "".join(f"{c}, " for c in cols) + "count(*) FROM work_order"
           + (" WHERE " + " AND ".join(where) if where else "")
           + (f" GROUP BY {places} ORDER BY {places}" if keys else ""))
    return [{**dict(zip(keys, r[:-1], strict=True)), "orders": int(r[-1])}
            for r in store.figure_rows(sql, [*params, *more])]


def _reported_in(period: Period | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if period is not None and period.first is not None:
        where.append("reported_at >= ?")
        params.append(period.start_utc())
    if period is not None and period.last is not None:
        where.append("reported_at < ?")
        params.append(period.end_utc())
    return where, params


def order_members(store: Store, *, state: str | None = None, source: str | None = None,
                  assignee: str | None = None, layer: str | None = None,
                  priority: int | None = None, period: Period | None = None,
                  as_of: str | None = None) -> list[str]:
    """The order uuids behind a figure of :func:`order_counts` (case-number order; the same
    ``as_of``)."""
    where, params = _reported_in(period)
    for key, value in (("state", state), ("source", source), ("assignee", assignee),
                       ("layer", layer), ("priority", priority)):
        if value is not None:
            where.append(f"{_column(key, as_of, params)} = ?")
            params.append(value)
    return [r[0] for r in store.figure_rows(
        "SELECT work_order_uuid FROM work_order"
        + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY case_no", params)]


@dataclass(frozen=True)
class EvaluationRow:
    """The evaluation figures of one assignee (处置单位) for a period."""

    assignee: str | None
    due: int
    on_time: int
    closed: int
    rework: int

    @property
    def overdue(self) -> int:
        return self.due - self.on_time

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def closure_rate(self) -> float | None:
        return self.closed / self.due if self.due else None

    @property
    def rework_rate(self) -> float | None:
        return self.rework / self.due if self.due else None

    def as_dict(self) -> dict[str, Any]:
        return {"assignee": self.assignee, "due": self.due, "on_time": self.on_time,
                "overdue": self.overdue, "closed": self.closed, "rework": self.rework,
                "on_time_rate": self.on_time_rate, "closure_rate": self.closure_rate,
                "rework_rate": self.rework_rate}


_DISPOSED = ", ".join(f"'{s}'" for s in DISPOSED_STATES)
_ON_TIME = (f"o.state IN ({_DISPOSED}) AND o.resolved_at IS NOT NULL "
            "AND o.resolved_at <= o.deadline")
_CLOSED = "o.state = 'closed' AND o.closed_at IS NOT NULL AND o.closed_at < ?"
_REWORK = ("EXISTS (SELECT 1 FROM work_order_event e WHERE e.work_order_uuid = "
           "o.work_order_uuid AND e.to_state = 'rework' AND e.at < ?)")


def _due_where(period: Period, cutoff: str) -> tuple[str, list[Any]]:
    """Due: deadline in the period, and either passed before the cut-off or already met by
    a standing disposal made before it (an order done early counts now, not only once its
    deadline has passed)."""
    where = ("o.state <> 'cancelled' AND o.dispatched_at IS NOT NULL AND "
             "o.deadline IS NOT NULL AND (o.deadline < ? OR "
             f"(o.state IN ({_DISPOSED}) AND o.resolved_at IS NOT NULL "
             "AND o.resolved_at < ?))")
    params: list[Any] = [cutoff, cutoff]
    if period.first is not None:
        where += " AND o.deadline >= ?"
        params.append(period.start_utc())
    if period.last is not None:
        where += " AND o.deadline < ?"
        params.append(period.end_utc())
    return where, params


def evaluation(store: Store, period: Period | None = None, *,
               now: dt.datetime | None = None) -> list[EvaluationRow]:
    """The evaluation per assignee (sorted; orders without one under None, last)."""
    period = period or Period()
    cutoff = period.cutoff_utc(now)
    where, params = _due_where(period, cutoff)
    sql = (f"SELECT o.assignee, count(*), sum(CASE WHEN {_ON_TIME} THEN 1 ELSE 0 END), "
           f"sum(CASE WHEN {_CLOSED} THEN 1 ELSE 0 END), "
           f"sum(CASE WHEN {_REWORK} THEN 1 ELSE 0 END) "
           f"FROM work_order o WHERE {where} GROUP BY o.assignee")
    rows = [EvaluationRow(a, int(n), int(t or 0), int(c or 0), int(w or 0))
            for a, n, t, c, w in store.figure_rows(sql, [cutoff, cutoff, *params])]
    return sorted(rows, key=lambda r: (r.assignee is None, r.assignee or ""))


def evaluation_total(rows: Sequence[EvaluationRow]) -> EvaluationRow:
    """All assignees together (each order has one assignee, so the sums are the totals)."""
    return EvaluationRow(None, sum(r.due for r in rows), sum(r.on_time for r in rows),
                         sum(r.closed for r in rows), sum(r.rework for r in rows))


def evaluation_members(store: Store, figure: str, *, assignee: str | None = None,
                       any_assignee: bool = False, period: Period | None = None,
                       now: dt.datetime | None = None) -> list[str]:
    """The order uuids behind one figure (``due``, ``on_time``, ``overdue``, ``closed``,
    ``rework``) of one assignee (None = the orders without one), or of all with
    ``any_assignee``."""
    if figure not in FIGURES:
        raise ValidationError("unknown evaluation figure {figure!r}; choose from {allowed}",
                              figure=figure, allowed=", ".join(FIGURES))
    period = period or Period()
    cutoff = period.cutoff_utc(now)
    where, params = _due_where(period, cutoff)
    if not any_assignee:
        if assignee is None:
            where += " AND o.assignee IS NULL"
        else:
            where += " AND o.assignee = ?"
            params.append(assignee)
    extra = {"due": ("", []), "on_time": (f" AND {_ON_TIME}", []),
             "overdue": (f" AND NOT ({_ON_TIME})", []),
             "closed": (f" AND {_CLOSED}", [cutoff]),
             "rework": (f" AND {_REWORK}", [cutoff])}[figure]
    return [r[0] for r in store.figure_rows(
        f"SELECT o.work_order_uuid FROM work_order o WHERE {where}{extra[0]} "
        "ORDER BY o.case_no", [*params, *extra[1]])]


def overdue_orders(store: Store, period: Period | None = None, *,
                   now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Orders still open (reported … rework, see ``OVERDUE_STATES``) whose deadline passed
    before the period's cut-off, oldest deadline first."""
    cutoff = parse_iso((period or Period()).cutoff_utc(now))
    # list_orders asks only questions both stores answer (typed with the file's Store)
    rows = list_orders(store, overdue=True, now=cutoff)  # type: ignore[arg-type]
    return sorted(rows, key=lambda r: (r["deadline"] or "", r["case_no"]))


def orders_by_uuid(store: Store, uuids: Iterable[str],
                   now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Case number, title, state, assignee, deadline, reported time and overdue flag of
    these orders, in case-number order (for the list behind a chart)."""
    from citymgr_desktop.core.workorders.orders import is_overdue

    cols = ("work_order_uuid", "case_no", "title", "state", "assignee", "deadline",
            "reported_at", "resolved_at", "asset_class", "priority")
    rows = [dict(zip(cols, r, strict=True)) for r in store.figure_rows_in(
        f"SELECT {', '.join(cols)} FROM work_order "
        "WHERE work_order_uuid IN ({marks})", uuids)]
    for r in rows:
        r["overdue"] = is_overdue(r, now)
    return sorted(rows, key=lambda r: r["case_no"])


def order_assets(store: Store, uuids: Iterable[str]) -> dict[str, list[str]]:
    """{layer: asset uuids} of the assets of these orders (each once)."""
    out: dict[str, dict[str, None]] = {}
    for cls, uuid in store.figure_rows_in(
            "SELECT asset_class, asset_uuid FROM work_order_asset "
            "WHERE work_order_uuid IN ({marks})", uuids):
        out.setdefault(cls, {})[uuid] = None
    return {cls: list(ids) for cls, ids in out.items()}


__all__ = ["DISPOSED_STATES", "FIGURES", "OVERDUE_STATES", "EvaluationRow", "evaluation",
           "evaluation_members", "evaluation_total", "order_assets", "order_counts",
           "order_members", "orders_by_uuid", "overdue_orders"]
