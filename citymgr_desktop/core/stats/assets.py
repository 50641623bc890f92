"""The asset register in figures: how many assets of each class there are, in which
condition, by sub-district (街道) and grid (单元网格); the share in condition 4-5; and how many
were inspected within their class's interval.

Each figure is one GROUP BY per asset table on the store's connection, summed over the
tables by an outer GROUP BY (plain SQL aggregates: the same statements run on PostGIS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.stats.intervals import inspection_intervals
from citymgr_desktop.core.stats.period import Period

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

ASSET_KEYS = ("layer", "district", "bgid")
CONDITIONS = (1, 2, 3, 4, 5)
NOT_ASSESSED = 0  # the "condition" of an asset without a grade, where a member query asks


def check_keys(by: Iterable[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """The grouping keys in their canonical order; unknown keys are a one-line error."""
    keys = [k.strip() for k in by if k and k.strip()]
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ValidationError("--by {keys}: unknown key(s); choose from {allowed}",
                              keys=",".join(unknown), allowed=", ".join(allowed))
    return tuple(k for k in allowed if k in keys)


def check_layers(layers: Iterable[str] | None) -> list[str]:
    names = [t.name for t in sc.ASSET_TABLES] if layers is None else list(layers)
    unknown = [n for n in names if n not in sc.ASSET_TABLES_BY_NAME]
    if unknown:
        raise ValidationError("{names}: not an asset layer (road_segment, bridge, "
                              "green_space, litter_bin)", names=", ".join(unknown))
    return names


def register_filter(period: Period | None, alias: str = "") -> tuple[str, list[Any]]:
    """SQL (and parameters) for "in the register at the end of the period": not retired
    before its end and not installed after it; without an end, the live assets now."""
    a = f"{alias}." if alias else ""
    if period is None or period.last is None:
        return f"{a}retired_at IS NULL", []
    return (f"({a}retired_at IS NULL OR {a}retired_at >= ?) AND "
            f"({a}install_date IS NULL OR {a}install_date <= ?)",
            [period.end_utc(), period.last.isoformat()])


@dataclass(frozen=True)
class ConditionRow:
    """Assets of one group and how many are in each condition (1 good … 5 critical)."""

    layer: str | None
    district: str | None
    bgid: str | None
    assets: int
    conditions: tuple[int, int, int, int, int]
    not_assessed: int

    @property
    def poor(self) -> int:
        """Assets in condition 4 (差) or 5 (危险)."""
        return self.conditions[3] + self.conditions[4]

    @property
    def poor_share(self) -> float | None:
        """Poor assets over assessed ones (None when none is assessed)."""
        return poor_share(self.poor, self.assets - self.not_assessed)

    def as_dict(self, by: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in by}
        out["assets"] = self.assets
        out.update({f"condition_{c}": n for c, n in zip(CONDITIONS, self.conditions,
                                                        strict=True)})
        out["not_assessed"] = self.not_assessed
        out["poor_share"] = self.poor_share
        return out


def poor_share(poor: int, assessed: int) -> float | None:
    """The one definition of the share in condition 4-5: poor / assessed assets."""
    return poor / assessed if assessed else None


def condition_table(store: Store, by: Iterable[str] = ("layer", "district"), *,
                    period: Period | None = None, layers: Iterable[str] | None = None,
                    district: str | None = None) -> list[ConditionRow]:
    """Assets and their condition distribution grouped by ``by`` (any of layer, district,
    bgid; none = one total row), over the register at the end of ``period``."""
    keys = check_keys(by, ASSET_KEYS)
    names = check_layers(layers)
    inner_keys = [k for k in keys if k != "layer"]
    live, live_params = register_filter(period)
    grade = "condition"
    sums = ", ".join(f"sum(CASE WHEN {grade} = {c} THEN 1 ELSE 0 END) AS c{c}"
                     for c in CONDITIONS)
    parts, params = [], []
    for name in names:
        where = live + (" AND district = ?" if district is not None else "")
        group = f" GROUP BY {', '.join(inner_keys)}" if inner_keys else ""
        cols = "".join(f"{k}, " for k in inner_keys)
        parts.append(f"SELECT '{name}' AS layer, {cols}count(*) AS n, {sums} "
                     f"FROM {gpkg.quote_ident(name)} WHERE {where}{group}")
        params += live_params + ([district] if district is not None else [])
    outer = ", ".join(keys)
    sql = (f"SELECT {outer + ', ' if keys else ''}sum(n), "
           + ", ".join(f"sum(c{c})" for c in CONDITIONS)
           + f" FROM ({' UNION ALL '.join(parts)}) AS per_layer"
           + (f" GROUP BY {outer} ORDER BY {outer}" if keys else ""))
    rows = []
    for r in store.conn.execute(sql, params):
        values = dict(zip(keys, r[:len(keys)], strict=True))
        n, *counts = (int(v or 0) for v in r[len(keys):])
        if not keys and n == 0:
            counts = [0] * 5
        rows.append(ConditionRow(values.get("layer"), values.get("district"),
                                 values.get("bgid"), n, tuple(counts),  # type: ignore[arg-type]
                                 n - sum(counts)))
    return rows


def condition_members(store: Store, *, layers: Iterable[str] | None = None,
                      district: str | None = None, bgid: str | None = None,
                      condition: int | None = None, period: Period | None = None,
                      limit: int | None = None) -> dict[str, list[str]]:
    """{layer: asset uuids} behind a figure of :func:`condition_table`: the assets of
    ``layers`` in ``district`` / ``bgid`` with ``condition`` (0 = not assessed, 4.5 = 4 or
    5, None = any), in the same register."""
    out: dict[str, list[str]] = {}
    live, live_params = register_filter(period)
    for name in check_layers(layers):
        where, params = [live], list(live_params)
        for field, value in (("district", district), ("bgid", bgid)):
            if value is not None:
                where.append(f"{field} = ?")
                params.append(value)
        if condition == NOT_ASSESSED:
            where.append("(condition IS NULL OR condition NOT IN (1, 2, 3, 4, 5))")
        elif condition == 4.5:
            where.append("condition IN (4, 5)")
        elif condition is not None:
            where.append("condition = ?")
            params.append(int(condition))
        sql = (f"SELECT asset_uuid FROM {gpkg.quote_ident(name)} WHERE "
               + " AND ".join(where) + " ORDER BY fid"
               + (f" LIMIT {int(limit)}" if limit is not None else ""))
        ids = [r[0] for r in store.conn.execute(sql, params)]
        if ids:
            out[name] = ids
    return out


@dataclass(frozen=True)
class CoverageRow:
    """Assets of a group and how many were inspected within their class's interval."""

    layer: str
    district: str | None
    assets: int
    inspected: int
    interval_days: int
    as_of: dt.date

    @property
    def share(self) -> float | None:
        return self.inspected / self.assets if self.assets else None

    def as_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "district": self.district, "assets": self.assets,
                "inspected": self.inspected, "interval_days": self.interval_days,
                "as_of": self.as_of.isoformat(), "coverage": self.share}


def inspection_coverage(store: Store, by: Iterable[str] = ("layer",), *,
                        period: Period | None = None, now: dt.datetime | None = None
                        ) -> list[CoverageRow]:
    """Per asset class (and sub-district with ``by`` = layer,district): the assets in the
    register at day D (the period's last day, or today) and how many of them have an
    ``inspection`` record dated within their class's interval ending on D
    (D − interval < record_date ≤ D)."""
    keys = check_keys(["layer", *by], ("layer", "district"))
    intervals = inspection_intervals(store)
    day = (period or Period()).end_day(now)
    live, live_params = register_filter(Period(None, day) if period and period.last else None,
                                        "a")
    group = ", a.district" if "district" in keys else ""
    out = []
    for t in sc.ASSET_TABLES:
        days = intervals[t.name]
        since = (day - dt.timedelta(days=days)).isoformat()
        table = gpkg.quote_ident(t.name)
        key_col = "a.district" if group else "NULL"
        totals = {r[0]: int(r[1]) for r in store.conn.execute(
            f"SELECT {key_col}, count(*) FROM {table} a WHERE {live}"
            + (f" GROUP BY {key_col}" if group else ""), live_params)}
        seen = {r[0]: int(r[1]) for r in store.conn.execute(
            f"SELECT {key_col}, count(DISTINCT m.asset_uuid) FROM maintenance_record m "
            f"JOIN {table} a ON a.asset_uuid = m.asset_uuid "
            "WHERE m.asset_class = ? AND m.record_type = 'inspection' "
            f"AND m.record_date > ? AND m.record_date <= ? AND {live}"
            + (f" GROUP BY {key_col}" if group else ""),
            [t.name, since, day.isoformat(), *live_params])}
        for key in sorted(totals, key=lambda k: (k is None, k or "")):
            out.append(CoverageRow(t.name, key, totals[key], seen.get(key, 0), days, day))
        if not totals and not group:
            out.append(CoverageRow(t.name, None, 0, 0, days, day))
    return out
