"""Work orders as flat rows for the tabular and geographic exports (XLSX, CSV, GeoJSON,
GeoPackage) and for the PDF's tables: column names, bilingual headers, coded values as the
words a person reads, timestamps as naive datetimes in office time and dates as dates (the
writers make them text in a CSV, Excel dates in an XLSX). No Qt here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from citymgr_desktop.core.clock import parse_iso, to_local, utcnow
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.workorders.orders import is_overdue
from citymgr_desktop.core.workorders.query import ReportAsset, ReportOrder

# (column, domain or None, is timestamp) for the orders sheet, in order.
ORDER_COLUMNS: tuple[tuple[str, str | None, bool], ...] = (
    ("case_no", None, False), ("title", None, False), ("state", "work_order_state", False),
    ("priority", "work_order_priority", False), ("asset_class", "asset_class", False),
    ("source", "work_order_source", False), ("district", None, False),
    ("assignee", None, False), ("deadline", None, True), ("overdue", None, False),
    ("asset_count", None, False), ("asset_codes", None, False), ("description", None, False),
    ("reported_at", None, True), ("dispatched_at", None, True), ("resolved_at", None, True),
    ("closed_at", None, True), ("created_by", None, False), ("work_order_uuid", None, False),
)
# the columns of times in office time (their CSV headings name the zone, the XLSX a comment)
TIME_COLUMNS = frozenset({"deadline", "reported_at", "dispatched_at", "resolved_at",
                          "closed_at"})
ASSET_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("case_no", None), ("title", None), ("description", None), ("state", "work_order_state"),
    ("priority", "work_order_priority"), ("deadline", None), ("assignee", None),
    ("asset_class", "asset_class"),
    ("obj_code", None), ("name", None), ("district", None), ("bgid", None),
    ("condition", "condition_grade"), ("last_record_date", None), ("last_record_type",
                                                                   "record_type"),
    ("asset_uuid", None),
)

_EXTRA_HEADERS = {
    "overdue": ("Overdue", "超期"), "asset_count": ("Assets", "资产数"),
    "asset_codes": ("Asset object codes", "资产部件编码"),
    "last_record_date": ("Last record", "最近记录日期"),
    "last_record_type": ("Last record type", "最近记录类型"),
    "obj_code": ("Object code", "部件编码"), "name": ("Name", "名称"),
    "bgid": ("Grid code", "单元网格"), "condition": ("Condition", "技术状况"),
    "asset_uuid": ("Asset UUID", "资产唯一标识"),
}


def header(column: str, lang: str = "zh") -> str:
    """The column's heading: the field label of the model, or our own for derived columns."""
    if column in _EXTRA_HEADERS:
        en, zh = _EXTRA_HEADERS[column]
        return zh if lang.startswith("zh") else en
    try:
        return sc.WORK_ORDER.field(column).label(lang)
    except KeyError:
        return column


def office_time(value: Any) -> dt.datetime | str | None:
    """A stored UTC timestamp as a naive time in office time (what the sheets show); a value
    that is not a timestamp (a damaged or hand-edited file) as its text; None when empty."""
    if value is None or value == "":
        return None
    try:
        d = parse_iso(str(value))
    except ValueError:
        return str(value)
    return None if d is None else to_local(d)


def day(value: Any) -> dt.date | str | None:
    """A stored date (``2026-10-01``) as a date; another text as it is; None when empty."""
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)


def coded(domain: str | None, value: Any, lang: str = "zh") -> Any:
    if domain is None or value is None:
        return value
    return dm.ALL_DOMAINS[domain].label(value, lang)  # type: ignore[union-attr]


def yes_no(value: bool, lang: str) -> str:
    if lang.startswith("zh"):
        return "是" if value else "否"
    return "yes" if value else "no"


def _joined(words: list[str], lang: str) -> str:
    return ("、" if lang.startswith("zh") else ", ").join(words)


def order_districts(report: ReportOrder) -> list[str]:
    """The order's 街道: its own when it has one, else the distinct ones its assets name
    (an order made from a selection on the map stores none of its own)."""
    own = report.order.get("district")
    if own:
        return [str(own)]
    return sorted({str(a.values["district"]) for a in report.assets
                   if a.values.get("district")})


def order_row(report: ReportOrder, lang: str = "zh", *, raw: bool = False,
              now: dt.datetime | None = None) -> dict[str, Any]:
    """One order as {column: value}; ``raw`` keeps stored codes and UTC timestamps."""
    o = report.order
    out: dict[str, Any] = {}
    for col, domain, stamp in ORDER_COLUMNS:
        if col == "overdue":
            v: Any = is_overdue(o, now or utcnow())
            out[col] = v if raw else yes_no(v, lang)
        elif col == "asset_count":
            out[col] = len(report.assets)
        elif col == "asset_codes":  # the order's assets in one cell (a case list's row)
            codes = [str(a.values.get("obj_code") or a.asset_uuid) for a in report.assets]
            out[col] = codes if raw else _joined(codes, lang)
        elif col == "district" and not raw:
            out[col] = _joined(order_districts(report), lang)
        else:
            v = o.get(col)
            if raw:
                out[col] = v
            else:
                out[col] = office_time(v) if stamp else coded(domain, v, lang)
    return out


def asset_rows(report: ReportOrder, lang: str = "zh", *, raw: bool = False
               ) -> list[dict[str, Any]]:
    """One row per asset of the order, with the order's key columns repeated."""
    o = report.order
    rows = []
    for a in report.assets:
        rows.append(asset_row(o, a, lang, raw=raw))
    return rows


def asset_row(o: dict[str, Any], a: ReportAsset, lang: str = "zh", *, raw: bool = False
              ) -> dict[str, Any]:
    last = a.records[0] if a.records else {}
    src = {**{k: o.get(k) for k in ("case_no", "title", "description", "state", "priority",
                                     "deadline", "assignee")},
           "asset_class": a.asset_class, **a.values,
           "last_record_date": last.get("record_date"),
           "last_record_type": last.get("record_type")}
    out: dict[str, Any] = {}
    for col, domain in ASSET_COLUMNS:
        v = src.get(col)
        if raw:
            out[col] = v
        elif col == "deadline":
            out[col] = office_time(v)
        elif col == "last_record_date":
            out[col] = day(v)
        else:
            out[col] = coded(domain, v, lang)
    return out
