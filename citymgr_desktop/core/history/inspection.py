"""The inspection rule, in one place: a new maintenance record without a ``condition_before``
takes its asset's condition as it was; a record with a ``condition_after`` sets its asset's
``condition`` when it is the asset's newest record with a condition after (an inspection
grades the asset; a repair leaves it in a new state). A record dated before a graded one
changes nothing.

The app (``records.plan_add`` / ``plan_edit``) and the sync of a field package
(``core/sync/checks.py``) both ask :func:`inspection_condition`, so a record entered in the
office and the same record brought back from QField do the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model.delta import values_equal

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store


def condition_before(record: dict[str, Any], current: Any) -> Any:
    """The ``condition_before`` a new record keeps: its own, else the asset's condition (left
    empty when the file holds something else than a number there: text a tool stored)."""
    if record.get("condition_before") is None and current is not None:
        try:
            return int(current)
        except (TypeError, ValueError):
            return None
    return record.get("condition_before")


def has_newer_grading(store: Store, asset_uuid: str, record_date: str,
                      exclude: Iterable[str] = ()) -> bool:
    """True when the asset has a record with a condition after, dated after ``record_date``
    (records in ``exclude`` are not counted: the record itself, or those a sync replaces)."""
    return store.has_newer_grading(asset_uuid, str(record_date)[:10],
                                   [u for u in exclude if u])


def inspection_condition(store: Store, asset_uuid: str, record_date: Any,
                         condition_after: Any, current: Any, *,
                         exclude: Iterable[str] = ()) -> int | None:
    """The condition a record gives its asset, or None when it changes nothing (no condition
    after, a newer graded record, or the asset already in that condition)."""
    if condition_after is None or record_date is None:
        return None
    if has_newer_grading(store, asset_uuid, record_date, exclude):
        return None
    if values_equal(current, condition_after):
        return None
    return int(condition_after)


def newest_per_asset(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Of several new records, the newest graded one of each asset (by date, then creation):
    the one whose condition after counts."""
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        if rec.get("condition_after") is None or not rec.get("asset_uuid"):
            continue
        key = (str(rec.get("record_date") or ""), str(rec.get("created_at") or ""))
        best = out.get(rec["asset_uuid"])
        if best is None or key >= (str(best.get("record_date") or ""),
                                   str(best.get("created_at") or "")):
            out[rec["asset_uuid"]] = rec
    return out


def current_conditions(store: Store, asset_class: str, uuids: list[str]) -> dict[str, Any]:
    """{asset_uuid: condition} of assets of one layer, as the master holds them now."""
    return dict(gpkg.select_in(
        store.conn, f"SELECT asset_uuid, condition FROM {gpkg.quote_ident(asset_class)} "
        "WHERE asset_uuid IN ({marks})", uuids))
