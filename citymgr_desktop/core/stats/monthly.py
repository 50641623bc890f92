"""What the monthly report (月报) says, gathered in one call: key figures of the month against
the month before, the dashboard's figures for the month, the hot-spot grids and the orders
still overdue at the month's end (or now, for the running month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.stats.assets import (
    condition_table,
    inspection_coverage,
    undated_after,
)
from citymgr_desktop.core.stats.dashboard import DashboardFigures, dashboard_figures
from citymgr_desktop.core.stats.hotspots import HotspotGrid, hotspot_grid
from citymgr_desktop.core.stats.orders import (
    evaluation,
    evaluation_total,
    order_counts,
    overdue_orders,
)
from citymgr_desktop.core.stats.period import Period
from citymgr_desktop.core.stats.records import graded_poor, record_table

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

KEY_FIGURES = ("assets", "poor_share", "graded_poor", "records", "cost", "reported",
               "due", "on_time_rate", "closure_rate", "rework_rate", "overdue_open",
               "coverage")


@dataclass
class MonthlyFigures:
    """The figures of one month's report."""

    month: Period
    previous: Period
    key: dict[str, tuple[Any, Any]]  # figure -> (this month, previous month)
    dashboard: DashboardFigures
    hotspots: dict[str, HotspotGrid]
    overdue: list[dict[str, Any]]
    districts: list[str] = field(default_factory=list)
    undated: int = 0  # assets left out of the month's register for want of a date


def key_figures(store: Store, period: Period, now: dt.datetime | None = None
                ) -> dict[str, Any]:
    """The report's key figures of one period (definitions in docs/statistics.md)."""
    total = condition_table(store, (), period=period)[0]
    rec = record_table(store, (), period=period)[0]
    ev = evaluation_total(evaluation(store, period, now=now))
    reported = sum(r["orders"] for r in order_counts(store, (), period=period))
    cov = inspection_coverage(store, period=period, now=now)
    assets = sum(c.assets for c in cov)
    return {
        "assets": total.assets, "poor_share": total.poor_share,
        "graded_poor": graded_poor(store, period), "records": rec.records,
        "cost": rec.cost, "reported": reported, "due": ev.due,
        "on_time_rate": ev.on_time_rate, "closure_rate": ev.closure_rate,
        "rework_rate": ev.rework_rate,
        "overdue_open": len(overdue_orders(store, period, now=now)),
        "coverage": sum(c.inspected for c in cov) / assets if assets else None,
    }


def monthly_figures(store: Store, month: str | Period, *, now: dt.datetime | None = None,
                    progress: Progress | None = None) -> MonthlyFigures:
    """Everything the report of ``month`` (``YYYY-MM``) shows."""
    prog = ensure(progress)
    period = month if isinstance(month, Period) else Period.month(month)
    previous = period.previous_month()
    prog.update(0, 4, msg("key figures"))
    this, last = key_figures(store, period, now), key_figures(store, previous, now)
    key = {k: (this[k], last[k]) for k in KEY_FIGURES}
    prog.update(1, 4, msg("charts"))
    dash = dashboard_figures(store, period, now=now)
    prog.update(2, 4, msg("hot spots"))
    grids = {k: hotspot_grid(store, k) for k in ("open_cases", "poor_assets")}
    prog.update(3, 4, msg("overdue orders"))
    overdue = overdue_orders(store, period, now=now)
    prog.update(4, 4, msg("done"))
    return MonthlyFigures(period, previous, key, dash, grids, overdue, store.districts(),
                          undated_after(store, period, now))
