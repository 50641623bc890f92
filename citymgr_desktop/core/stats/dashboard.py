"""Everything the dashboard shows, in one call a worker thread makes on a reader store:
condition by class and sub-district, records and cost over the last twelve months, work
orders by state and the evaluation per assignee. Each figure's SQL is
timed (``seconds``), which the benchmark prints as the floor of a refresh.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from citymgr_desktop.core.clock import office_today
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.stats.assets import ConditionRow, condition_table
from citymgr_desktop.core.stats.orders import EvaluationRow, evaluation, order_counts
from citymgr_desktop.core.stats.period import Period
from citymgr_desktop.core.stats.records import RecordRow, record_table

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

T = TypeVar("T")


@dataclass
class DashboardFigures:
    """The dashboard's figures for one period (see :func:`dashboard_figures`)."""

    period: Period
    months: Period  # the twelve months of the records chart
    condition_by_layer_district: list[ConditionRow]
    records_by_month: list[RecordRow]  # by month and layer
    orders_by_state: list[dict[str, Any]]
    evaluation: list[EvaluationRow]
    seconds: dict[str, float] = field(default_factory=dict)
    # the moment ``orders_by_state`` is taken at: the period's end once it is over (None: now)
    orders_as_of: str | None = None

    def condition_by(self, key: str) -> list[ConditionRow]:
        """The condition rows summed over the other key (``layer`` or ``district``)."""
        return merge_condition_rows(self.condition_by_layer_district, (key,))

    def orders_on(self) -> dt.date | None:
        """The (office) day whose end ``orders_by_state`` shows, None for now."""
        return self.period.last if self.orders_as_of is not None else None

    def month_labels(self) -> list[str]:
        return month_range(self.months)


def merge_condition_rows(rows: Iterable[ConditionRow], by: Sequence[str]) -> list[ConditionRow]:
    """Sum grouped rows (already aggregates) over the keys not in ``by``."""
    acc: dict[tuple, list[int]] = {}
    for r in rows:
        key = tuple(getattr(r, k) for k in by)
        a = acc.setdefault(key, [0] * 7)
        for i, v in enumerate((r.assets, *r.conditions, r.not_assessed)):
            a[i] += v
    out = []
    for key in sorted(acc, key=lambda k: tuple((v is None, v or "") for v in k)):
        vals = dict(zip(by, key, strict=True))
        a = acc[key]
        out.append(ConditionRow(vals.get("layer"), vals.get("district"), vals.get("bgid"),
                                a[0], tuple(a[1:6]), a[6]))  # type: ignore[arg-type]
    return out


def month_range(period: Period) -> list[str]:
    """``YYYY-MM`` of every month the period touches (it must have both ends)."""
    assert period.first is not None and period.last is not None
    out, y, m = [], period.first.year, period.first.month
    while (y, m) <= (period.last.year, period.last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def twelve_months_to(day: dt.date) -> Period:
    """The twelve calendar months ending with the month of ``day``."""
    last = Period.month(day.strftime("%Y-%m")).last
    y, m = day.year, day.month - 11
    if m < 1:
        y, m = y - 1, m + 12
    return Period(dt.date(y, m, 1), last)


def reported_by(period: Period) -> Period:
    """The orders a period's chart of states counts: those reported by its end (all, for an
    open end), so a past month's report does not grow with the orders of the months after."""
    return Period(None, period.last)


def _timed(seconds: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    t0 = time.perf_counter()
    try:
        return fn()
    finally:
        seconds[name] = time.perf_counter() - t0


def dashboard_figures(store: Store, period: Period | None = None, *,
                      now: dt.datetime | None = None, second: Store | None = None,
                      progress: Progress | None = None) -> DashboardFigures:
    """The dashboard's figures: the register at the period's end (now, for a period still
    running), the records of the twelve months up to the period's end, the orders reported
    by its end in their state at its end (now, for a period still running), and the
    evaluation of ``period``.

    With ``second`` (another read-only store on the same file) the register is counted on it
    in a thread of its own while the rest runs here: SQLite lets go of the GIL while it
    works, so two cores answer in the time of the slower half.
    """
    prog = ensure(progress)
    period = period or Period()
    end = period.last or office_today(now)
    months = twelve_months_to(end)
    s: dict[str, float] = {}
    prog.update(0, 4, msg("condition"))
    cond_store = second or store
    pool = ThreadPoolExecutor(1) if second is not None else None
    try:
        pending = pool.submit(
            _timed, s, "condition by class and sub-district",
            lambda: condition_table(cond_store, ("layer", "district"), period=period,
                                    now=now)) if pool else None
        cond = None if pending else _timed(
            s, "condition by class and sub-district",
            lambda: condition_table(store, ("layer", "district"), period=period, now=now))
        figs = _the_rest(store, period, months, now, s, prog)
        if pending is not None:
            cond = pending.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    assert cond is not None
    return DashboardFigures(period, months, cond, *figs, s, period.ended_utc(now))


def _the_rest(store: Store, period: Period, months: Period, now: dt.datetime | None,
              s: dict[str, float], prog: Progress) -> tuple[list[RecordRow],
                                                            list[dict[str, Any]],
                                                            list[EvaluationRow]]:
    prog.update(1, 4, msg("records"))
    recs = _timed(s, "records and cost by month and class", lambda: record_table(
        store, ("month", "layer"), period=months))
    prog.update(2, 4, msg("work orders"))
    states = _timed(s, "work orders by state", lambda: order_counts(
        store, ("state",), period=reported_by(period), as_of=period.ended_utc(now)))
    prog.update(3, 4, msg("evaluation"))
    ev = _timed(s, "evaluation per assignee", lambda: evaluation(store, period, now=now))
    prog.update(4, 4, msg("done"))
    return recs, states, ev
