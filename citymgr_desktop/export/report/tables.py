"""The statistics as tables: which figure, grouped how, with headings and values as a person
reads them (class and state names, percentages) in English or Chinese. The command line
prints them (JSON or aligned text), the Excel export and the report lay them out.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import stats
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.export.report.text import (
    assignee_name,
    district_name,
    layer_name,
    percent,
    record_type_name,
    state_name,
    translator,
)

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

FIGURES = ("assets", "workorders", "records", "orders", "coverage")
DEFAULT_BY = {"assets": ("layer", "district"), "workorders": ("assignee",),
              "records": ("month",), "orders": ("state",), "coverage": ("layer",)}
HEADINGS = {
    "layer": "Class", "district": "Sub-district", "bgid": "Grid", "assets": "Assets",
    "condition_1": "1 Good", "condition_2": "2 Fair", "condition_3": "3 Mediocre",
    "condition_4": "4 Poor", "condition_5": "5 Critical", "not_assessed": "Not assessed",
    "poor_share": "Share in condition 4-5", "assignee": "Disposal unit", "due": "Due",
    "on_time": "Closed on time", "overdue": "Overdue", "closed": "Closed",
    "rework": "Rework", "on_time_rate": "On-time rate", "closure_rate": "Closure rate",
    "rework_rate": "Rework rate", "month": "Month", "type": "Record type",
    "records": "Records", "labour_cost": "Labour (yuan)", "material_cost": "Material (yuan)",
    "equipment_cost": "Equipment (yuan)", "cost": "Cost (yuan)", "state": "State",
    "source": "Source", "priority": "Priority", "orders": "Work orders",
    "inspected": "Inspected", "interval_days": "Interval (days)", "as_of": "As of",
    "coverage": "Inspection coverage",
}
RATES = {"poor_share", "on_time_rate", "closure_rate", "rework_rate", "coverage"}


@dataclass
class StatsTable:
    """One figure as rows of plain values (``rows``: JSON-ready dicts) with its columns."""

    figure: str
    columns: list[str]
    rows: list[dict[str, Any]]
    title: str = ""

    def display(self, lang: str) -> tuple[list[str], list[list[str]]]:
        """Headings and cells as a person reads them."""
        tr = translator(lang)
        heads = [tr(HEADINGS.get(c, c)) for c in self.columns]
        return heads, [[display_value(c, r.get(c), lang) for c in self.columns]
                       for r in self.rows]


def display_value(column: str, value: Any, lang: str) -> str:
    if column in RATES:
        return percent(value)
    if column == "layer":
        return layer_name(value, lang)
    if column == "district":
        return district_name(value, lang)
    if column == "assignee":
        return assignee_name(value, lang)
    if column == "state":
        return state_name(value, lang)
    if column == "type":
        return record_type_name(value, lang)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def figure_table(store: Store, figure: str, by: Sequence[str] | None = None, *,
                 period: stats.Period | None = None, now: dt.datetime | None = None,
                 lang: str = "zh_CN") -> StatsTable:
    """The rows of one figure (``assets``, ``workorders``, ``records``, ``orders``,
    ``coverage``) grouped ``by`` (its default when None) within ``period``."""
    if figure not in FIGURES:
        raise ValidationError("unknown figure {figure!r}; choose from {allowed}",
                              figure=figure, allowed=", ".join(FIGURES))
    keys = list(by) if by else list(DEFAULT_BY[figure])
    tr = translator(lang)
    if figure == "assets":
        rows = stats.condition_table(store, keys, period=period, now=now)
        keys = [k for k in ("layer", "district", "bgid") if k in keys]
        data = [r.as_dict(keys) for r in rows]
        cols = [*keys, "assets", *(f"condition_{c}" for c in range(1, 6)), "not_assessed",
                "poor_share"]
        title = tr("Assets and condition")
    elif figure == "workorders":
        if keys != ["assignee"]:
            raise ValidationError("--workorders: the evaluation is by disposal unit (--by assignee)")
        data = [r.as_dict() for r in stats.evaluation(store, period, now=now)]
        cols = ["assignee", "due", "on_time", "overdue", "closed", "rework", "on_time_rate",
                "closure_rate", "rework_rate"]
        title = tr("Evaluation of the disposal units")
    elif figure == "records":
        recs = stats.record_table(store, keys, period=period)
        keys = [k for k in ("month", "layer", "type") if k in keys]
        data = [r.as_dict(keys) for r in recs]
        cols = [*keys, "records", "labour_cost", "material_cost", "equipment_cost", "cost"]
        title = tr("Maintenance records and cost")
    elif figure == "orders":
        data = stats.order_counts(store, keys, period=period,
                                  as_of=period.ended_utc(now) if period else None)
        keys = [k for k in ("state", "source", "assignee", "layer", "priority") if k in keys]
        cols = [*keys, "orders"]
        title = tr("Work orders")
    else:
        data = [r.as_dict() for r in stats.inspection_coverage(store, keys, period=period,
                                                               now=now)]
        cols = ["layer", *(["district"] if "district" in keys else []), "assets", "inspected",
                "interval_days", "as_of", "coverage"]
        data = [{c: r[c] for c in cols} for r in data]
        title = tr("Inspection coverage")
    return StatsTable(figure, cols, data, title)


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_text(table: StatsTable, lang: str) -> str:
    """An aligned plain-text table (numbers right, words left)."""
    heads, cells = table.display(lang)
    widths = [max([text_width(h)] + [text_width(r[i]) for r in cells])
              for i, h in enumerate(heads)]
    numeric = [all(_looks_numeric(r[i]) for r in cells) and cells != []
               for i in range(len(heads))]

    def line(values: Sequence[str]) -> str:
        out = []
        for v, w, num in zip(values, widths, numeric, strict=True):
            pad = " " * (w - text_width(v))
            out.append(pad + v if num else v + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(heads), rule, *(line(r) for r in cells)])


def _looks_numeric(text: str) -> bool:
    return text == "—" or text.replace(",", "").replace(".", "").replace("%", "").lstrip(
        "-").isdigit()
