"""Maintenance in figures: records and what they cost, by month, asset class and record type.

Cost = labour + material + equipment (an empty amount counts as 0). A record belongs to the
month of its ``record_date`` (an office-time day): the store's ``month_sql`` (the first seven
characters of the ISO text in a GeoPackage, ``to_char(date, 'YYYY-MM')`` in PostGIS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.stats.assets import check_keys, check_layers
from citymgr_desktop.core.stats.period import Period

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

RECORD_KEYS = ("month", "layer", "type")


@dataclass(frozen=True)
class RecordRow:
    """Records of one group and their cost in yuan."""

    month: str | None
    layer: str | None
    type: str | None
    records: int
    labour: float
    material: float
    equipment: float

    @property
    def cost(self) -> float:
        return self.labour + self.material + self.equipment

    def as_dict(self, by: Iterable[str]) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in by}
        out.update(records=self.records, labour_cost=round(self.labour, 2),
                   material_cost=round(self.material, 2),
                   equipment_cost=round(self.equipment, 2), cost=round(self.cost, 2))
        return out


def period_where(period: Period | None, column: str = "record_date") -> tuple[list[str], list]:
    """Clauses and parameters keeping the days of ``period`` for a DATE column."""
    where: list[str] = []
    params: list[Any] = []
    first, last = (period or Period()).days()
    if first is not None:
        where.append(f"{column} >= ?")
        params.append(first)
    if last is not None:
        where.append(f"{column} <= ?")
        params.append(last)
    return where, params


def record_table(store: Store, by: Iterable[str] = ("month",), *,
                 period: Period | None = None, layers: Iterable[str] | None = None,
                 types: Iterable[str] | None = None) -> list[RecordRow]:
    """Records and cost grouped by ``by`` (any of month, layer, type) within ``period``."""
    keys = check_keys(by, RECORD_KEYS)
    where, params = period_where(period)
    if layers is not None:
        names = check_layers(layers)
        where.append(f"asset_class IN ({', '.join('?' * len(names))})")
        params += names
    if types is not None:
        kinds = list(types)
        where.append(f"record_type IN ({', '.join('?' * len(kinds))})")
        params += kinds
    # the inner query adds up per day (the order of the date index: no sort), the outer
    # one per month; both plain SQL
    inner = ["record_date AS day", "asset_class AS layer", "record_type AS type"]
    cols = [(store.month_sql("day") if k == "month" else k) + f" AS {k}" for k in keys]
    sql = ("SELECT " + "".join(f"{c}, " for c in cols)
           + "sum(n), sum(labour), sum(material), sum(equipment) FROM ("
           f"SELECT {', '.join(inner)}, count(*) AS n, sum(coalesce(labour_cost, 0)) AS labour, "
           "sum(coalesce(material_cost, 0)) AS material, "
           "sum(coalesce(equipment_cost, 0)) AS equipment FROM maintenance_record"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " GROUP BY record_date, asset_class, record_type) AS per_day"
           + (f" GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}" if keys else ""))
    out = []
    for r in store.figure_rows(sql, params):
        values = dict(zip(keys, r[:len(keys)], strict=True))
        n, labour, material, equipment = r[len(keys):]
        if not keys and not n:
            labour = material = equipment = 0.0
        out.append(RecordRow(values.get("month"), values.get("layer"), values.get("type"),
                             int(n or 0), float(labour or 0), float(material or 0),
                             float(equipment or 0)))
    return out


def record_members(store: Store, *, month: str | None = None, layer: str | None = None,
                   type: str | None = None, period: Period | None = None
                   ) -> dict[str, list[str]]:
    """{layer: asset uuids} of the assets whose records make a figure of
    :func:`record_table` (each asset once, in the order of its first record)."""
    where, params = period_where(period)
    if month is not None:
        where.append(f"{store.month_sql('record_date')} = ?")
        params.append(month)
    if layer is not None:
        where.append("asset_class = ?")
        params.append(layer)
    if type is not None:
        where.append("record_type = ?")
        params.append(type)
    out: dict[str, dict[str, None]] = {}
    for cls, uuid in store.figure_rows(
            "SELECT asset_class, asset_uuid FROM maintenance_record"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY record_date, fid", params):
        out.setdefault(cls, {})[uuid] = None
    return {cls: list(ids) for cls, ids in out.items()}


def graded_poor(store: Store, period: Period | None = None) -> int:
    """Assets graded 4 (差) or 5 (危险) by a record dated in ``period`` (each asset once):
    the new poor assets a month brought to light."""
    where, params = period_where(period)
    where.append("condition_after IN (4, 5)")
    return int(store.figure_rows(
        "SELECT count(*) FROM (SELECT DISTINCT asset_class, asset_uuid FROM "
        f"maintenance_record WHERE {' AND '.join(where)}) AS graded", params)[0][0])
