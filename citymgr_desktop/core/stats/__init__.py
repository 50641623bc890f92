"""Figures the bureau steers by, computed in SQL on the store (GROUP BY in the database, never
every row in Python): condition of the assets by class, sub-district (街道) and grid, the
share in condition 4-5, inspection coverage, maintenance records and cost by month, work
orders by state, source and assignee, the 数字城管 evaluation per 处置单位, and hot-spot
grids for the map. One definition each; docs/statistics.md gives every formula.
"""

from citymgr_desktop.core.stats.assets import (
    ConditionRow,
    CoverageRow,
    condition_members,
    condition_table,
    inspection_coverage,
    poor_share,
)
from citymgr_desktop.core.stats.dashboard import DashboardFigures, dashboard_figures
from citymgr_desktop.core.stats.hotspots import HOTSPOT_KINDS, HotspotGrid, hotspot_grid
from citymgr_desktop.core.stats.intervals import inspection_intervals
from citymgr_desktop.core.stats.monthly import MonthlyFigures, monthly_figures
from citymgr_desktop.core.stats.orders import (
    EvaluationRow,
    evaluation,
    evaluation_members,
    evaluation_total,
    order_counts,
    order_members,
    overdue_orders,
)
from citymgr_desktop.core.stats.period import Period
from citymgr_desktop.core.stats.records import RecordRow, record_members, record_table

__all__ = [
    "HOTSPOT_KINDS", "ConditionRow", "CoverageRow", "DashboardFigures", "EvaluationRow",
    "HotspotGrid", "MonthlyFigures", "Period", "RecordRow", "condition_members",
    "condition_table", "dashboard_figures", "evaluation", "evaluation_members",
    "evaluation_total", "hotspot_grid", "inspection_coverage", "inspection_intervals",
    "monthly_figures", "order_counts", "order_members", "overdue_orders", "poor_share",
    "record_members", "record_table",
]
