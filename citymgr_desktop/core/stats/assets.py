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
    from citymgr_desktop.core.store import ProjectStore as Store

ASSET_KEYS = ("layer", "district", "bgid")
CONDITIONS = (1, 2, 3, 4, 5)
NOT_ASSESSED = 0  # the "condition" of an asset without a grade, where a member query asks
LATEST = "9999-12-31T23:59:59.999Z"  # after every stored timestamp (text, core/clock.py)


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


def in_register(period: Period | None, now: dt.datetime | None = None,
                alias: str = "") -> tuple[str, str, list[Any]]:
    """SQL for "in the register at the end of the period" and for its opposite, with their
    (shared) parameters: not retired before the end and there by then - installed on or
    before the last day, or, without an install date, last written before the end (an
    asset keeps no creation time: one imported or drawn later and one edited later look the
    same; :func:`undated_after` counts them). A period that has not ended yet (or has no
    end) means the live register now."""
    a = f"{alias}." if alias else ""
    end = None if period is None else period.end_utc()
    if end is None or end > period.cutoff_utc(now):  # type: ignore[union-attr]
        # "> ''" is "is set" for the stored text, in a form SQLite serves from the index
        return f"{a}retired_at IS NULL", f"{a}retired_at > ''", []
    assert period is not None and period.last is not None
    return (f"({a}retired_at IS NULL OR {a}retired_at >= ?) AND {_there(a)}",
            # NULL compared is NULL, so a row is outside only on a real date
            f"({a}retired_at < ? OR {a}install_date > ? OR "
            f"({a}install_date IS NULL AND {a}updated_at >= ?))",
            [end, period.last.isoformat(), end])


def _there(a: str) -> str:
    """Installed by the last day (parameter 1), or undated and last written before the end
    (parameter 2; an asset never written by the app counts as there)."""
    return (f"({a}install_date <= ? OR ({a}install_date IS NULL AND "
            f"({a}updated_at IS NULL OR {a}updated_at < ?)))")


def register_parts(period: Period | None, now: dt.datetime | None = None,
                   alias: str = "") -> list[tuple[str, list[Any]]]:
    """The register as disjoint parts (SQL, parameters) whose union it is: the live assets
    (and for a past end, those retired since). Each part is a range of the register index,
    so SQLite streams it in index order where the OR of :func:`in_register` makes it sort
    the whole register (20x slower at a million assets). The retired part is a range closed
    at both ends (no stored time sorts after :data:`LATEST`): with one end open SQLite
    guessed it large and scanned the whole sub-district index instead (0.7 s for 600k bins
    with none retired, against 0 s)."""
    inside, _outside, params = in_register(period, now, alias)
    if not params:
        return [(inside, [])]
    a = f"{alias}." if alias else ""
    end, last, _end = params
    return [(f"{a}retired_at IS NULL AND {_there(a)}", [last, end]),
            (f"{a}retired_at >= ? AND {a}retired_at <= '{LATEST}' AND {_there(a)}",
             [end, last, end])]


def register_filter(period: Period | None, alias: str = "",
                    now: dt.datetime | None = None) -> tuple[str, list[Any]]:
    """The "in the register" half of :func:`in_register`."""
    inside, _outside, params = in_register(period, now, alias)
    return inside, params


def undated_after(store: Store, period: Period, now: dt.datetime | None = None) -> int:
    """Assets left out of the register at the end of a past ``period`` only because they
    have no install date and were written after its end: new since then, or older and
    edited since (the file cannot tell). 0 for a period still running."""
    _inside, _outside, params = in_register(period, now)
    if not params:
        return 0
    return sum(int(store.figure_rows(
        f"SELECT count(*) FROM {gpkg.quote_ident(t.name)} WHERE install_date IS NULL AND "
        "updated_at >= ? AND (retired_at IS NULL OR retired_at >= ?)",
        [params[0], params[0]])[0][0]) for t in sc.ASSET_TABLES)


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
                    district: str | None = None, now: dt.datetime | None = None
                    ) -> list[ConditionRow]:
    """Assets and their condition distribution grouped by ``by`` (any of layer, district,
    bgid; none = one total row), over the register at the end of ``period``.

    SQL counts the assets per group and grade (``GROUP BY district, condition``: the order
    of the register index, so SQLite streams it without sorting); the grades of a group are
    then laid side by side here, six numbers per group.
    """
    keys = check_keys(by, ASSET_KEYS)
    names = check_layers(layers)
    inner = ["district", "condition"] + (["bgid"] if "bgid" in keys else [])
    parts, params = [], []
    for name in names:
        for live, live_params in register_parts(period, now):
            where = live + (" AND district = ?" if district is not None else "")
            parts.append(f"SELECT '{name}' AS layer, {', '.join(inner)}, count(*) AS n "
                         f"FROM {gpkg.quote_ident(name)} WHERE {where} "
                         f"GROUP BY {', '.join(inner)}")
            params += live_params + ([district] if district is not None else [])
    group = [*keys, "condition"]
    sql = (f"SELECT {', '.join(group)}, sum(n) FROM ({' UNION ALL '.join(parts)}) AS per_layer "
           f"GROUP BY {', '.join(group)}")
    acc: dict[tuple, list[int]] = {}
    for r in store.figure_rows(sql, params):
        counts = acc.setdefault(tuple(r[:len(keys)]), [0] * 6)
        grade, n = r[len(keys)], int(r[-1])
        counts[grade - 1 if grade in CONDITIONS else 5] += n
    if not keys and not acc:
        acc[()] = [0] * 6
    rows = []
    for key in sorted(acc, key=lambda k: tuple((v is None, v if v is not None else "")
                                               for v in k)):
        values = dict(zip(keys, key, strict=True))
        c = acc[key]
        rows.append(ConditionRow(values.get("layer"), values.get("district"),
                                 values.get("bgid"), sum(c), tuple(c[:5]),  # type: ignore[arg-type]
                                 c[5]))
    return rows


def condition_members(store: Store, *, layers: Iterable[str] | None = None,
                      district: str | None = None, bgid: str | None = None,
                      condition: float | None = None, period: Period | None = None,
                      limit: int | None = None, now: dt.datetime | None = None
                      ) -> dict[str, list[str]]:
    """{layer: asset uuids} behind a figure of :func:`condition_table`: the assets of
    ``layers`` in ``district`` / ``bgid`` with ``condition`` (0 = not assessed, 4.5 = 4 or
    5, None = any), in the same register."""
    out: dict[str, list[str]] = {}
    live, live_params = register_filter(period, now=now)
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
        ids = [r[0] for r in store.figure_rows(sql, params)]
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
    period = period or Period()
    day = period.end_day(now)
    live, outside, live_params = in_register(period, now, "a")
    out = []
    for t in sc.ASSET_TABLES:
        days = intervals[t.name]
        window = [t.name, (day - dt.timedelta(days=days)).isoformat(), day.isoformat()]
        records = ("FROM maintenance_record m WHERE m.record_type = 'inspection' AND "
                   "m.asset_class = ? AND m.record_date > ? AND m.record_date <= ?")
        table = gpkg.quote_ident(t.name)
        if "district" in keys:
            totals = {r[0]: int(r[1]) for r in store.figure_rows(
                f"SELECT a.district, count(*) FROM {table} a WHERE {live} "
                "GROUP BY a.district", live_params)}
            # CROSS JOIN keeps SQLite from driving the join from the whole register (40x
            # slower at 1M assets); elsewhere it is the plain inner join it says
            joined = records.replace(
                "WHERE", f"CROSS JOIN {table} a WHERE a.asset_uuid = m.asset_uuid AND", 1)
            seen = {r[0]: int(r[1]) for r in store.figure_rows(
                f"SELECT a.district, count(DISTINCT m.asset_uuid) {joined} AND {live} "
                "GROUP BY a.district", [*window, *live_params])}
        else:
            # inspected assets = those with a record in the window, less those of them not
            # in the register (retired, or installed later: few): no join over the register
            total = sum(store.figure_rows(f"SELECT count(*) FROM {table} a WHERE {part}",
                                          part_params)[0][0]
                        for part, part_params in register_parts(period, now, "a"))
            inspected = store.figure_rows(f"SELECT count(DISTINCT m.asset_uuid) {records}",
                                          window)[0][0]
            gone = store.figure_rows(
                f"SELECT count(DISTINCT m.asset_uuid) {records} AND m.asset_uuid IN "
                f"(SELECT a.asset_uuid FROM {table} a WHERE {outside})",
                [*window, *live_params])[0][0]
            totals, seen = {None: int(total)}, {None: int(inspected) - int(gone)}
        for key in sorted(totals, key=lambda k: (k is None, k or "")):
            out.append(CoverageRow(t.name, key, totals[key], seen.get(key, 0), days, day))
    return out
