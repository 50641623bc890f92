"""Maintenance history of an asset: records (inspection, repair, cleaning, replacement,
reconstruction), planned as deltas so every edit is one undoable command.

A record with ``condition_after`` that is the asset's newest record sets the asset's
``condition`` (the inspection rule, ``inspection.py``; the sync applies the same one).
Attachments (photos, documents) are in ``attachments.py``.

Every reader and planner takes ``pending``: the unsaved edits of the app's edit session (a
``DeltaSet``), so an unsaved record or condition reads as if saved and plans build on it.
``None`` reads the file alone (the command line, the sync).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import format_iso, new_uuid, utcnow
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.history.attachments import asset_class_for, attachments
from citymgr_desktop.core.history.inspection import condition_before, inspection_condition
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, values_equal
from citymgr_desktop.core.model.pending import overlay_rows, pending_of
from citymgr_desktop.core.model.values import normalise

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

RECORD = sc.MAINTENANCE_RECORD
EDITABLE = tuple(f.name for f in RECORD.fields if not f.system
                 and f.name not in ("asset_class", "asset_uuid"))


def _now_iso(now: dt.datetime | None) -> str:
    return format_iso(now or utcnow())


def records(store: Store, asset_uuid: str, limit: int | None = None,
            pending: DeltaSet | None = None) -> list[dict[str, Any]]:
    """The asset's records, newest first (by date, then by creation; unsaved ones of
    ``pending`` as if saved)."""
    touched = bool(pending_of(pending, "maintenance_record"))
    found = store.records_of(asset_uuid, None if touched else limit)
    if not touched:
        return found
    # the store's order (date, creation, then row order) as a rank: larger is newer
    order = {row["record_uuid"]: len(found) - i for i, row in enumerate(found)}
    rows = overlay_rows("maintenance_record", {row["record_uuid"]: row for row in found},
                        pending, match=lambda row: row.get("asset_uuid") == asset_uuid)
    newest = len(found) + 1  # unsaved records sort as made last
    out = sorted(rows.values(), reverse=True, key=lambda row: (
        row.get("record_date") or "", row.get("created_at") or "",
        order.get(row["record_uuid"], newest)))
    return out[:limit] if limit is not None else out


def latest_records(store: Store, asset_uuids: list[str], per_asset: int = 3,
                   pending: DeltaSet | None = None) -> dict[str, list[dict[str, Any]]]:
    """The last ``per_asset`` records of each asset (for reports), newest first."""
    return {u: records(store, u, per_asset, pending) for u in dict.fromkeys(asset_uuids)}


def get_record(store: Store, record_uuid: str, pending: DeltaSet | None = None
               ) -> dict[str, Any]:
    rows = overlay_rows("maintenance_record",
                        store.get_rows("maintenance_record", [record_uuid]), pending,
                        wanted=[record_uuid])
    if record_uuid not in rows:
        raise NotFoundError("no maintenance record {record_uuid!r}", record_uuid=record_uuid)
    return rows[record_uuid]


def _asset_row(store: Store, asset_class: str, asset_uuid: str, fields: list[str],
               pending: DeltaSet | None) -> dict[str, Any] | None:
    rows = overlay_rows(asset_class, store.get_rows(asset_class, [asset_uuid], fields), pending,
                        wanted=[asset_uuid])
    return rows.get(asset_uuid)


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError("maintenance_record has no editable field(s) {unknown}; editable: "
                              "{editable}",
                              unknown=', '.join(sorted(unknown)), editable=', '.join(EDITABLE))
    return {k: normalise(RECORD, k, v) for k, v in values.items()}


def _condition_delta(store: Store, asset_class: str, asset_uuid: str, record_date: str,
                     condition: int | None, exclude: str | None = None,
                     pending: DeltaSet | None = None) -> Delta | None:
    """Set the asset's condition when a record dated ``record_date`` is its newest (the
    inspection rule, ``inspection.py``; unsaved records and conditions of ``pending``
    count)."""
    if condition is None:
        return None
    cur = _asset_row(store, asset_class, asset_uuid, ["condition"], pending) or {}
    if pending_of(pending, "maintenance_record"):
        newer = [r for r in records(store, asset_uuid, pending=pending)
                 if str(r.get("record_date") or "")[:10] > str(record_date)[:10]
                 and r.get("condition_after") is not None and r["record_uuid"] != exclude]
        new = None if newer or values_equal(cur.get("condition"), condition) \
            else int(condition)
    else:
        new = inspection_condition(store, asset_uuid, record_date, condition,
                                   cur.get("condition"), exclude=[exclude] if exclude else ())
    if new is None:
        return None
    return Delta(asset_class, asset_uuid, {"condition": cur.get("condition")},
                 {"condition": new})


def plan_add(store: Store, asset_class: str | None, asset_uuid: str, values: Mapping[str, Any],
             *, user: str = "", now: dt.datetime | None = None, update_condition: bool = True,
             record_uuid: str | None = None, pending: DeltaSet | None = None) -> DeltaSet:
    """Deltas that add one record (and, if ``update_condition``, set the asset's condition).

    ``condition_before`` defaults to the asset's current condition.
    """

    cls = asset_class or asset_class_for(store, asset_uuid, pending)
    if cls not in sc.ASSET_TABLES_BY_NAME:
        raise ValidationError("maintenance_record.asset_class: {cls!r} is not an asset layer",
                              cls=cls)
    asset = _asset_row(store, cls, asset_uuid, ["condition", "retired_at"], pending)
    if asset is None:
        raise NotFoundError("{cls} has no asset {asset_uuid!r}", cls=cls, asset_uuid=asset_uuid)
    row = _clean(values)
    for req in ("record_date", "record_type"):
        if row.get(req) is None:
            f = RECORD.field(req)
            raise ValidationError("maintenance_record.{req} ({label}) must not be empty",
                                  req=req, label=f.en)
    row["condition_before"] = condition_before(row, asset.get("condition"))
    rid = record_uuid or new_uuid()
    row.update({"record_uuid": rid, "asset_class": cls, "asset_uuid": asset_uuid,
                "created_at": _now_iso(now), "created_by": user or None})
    deltas = DeltaSet([Delta("maintenance_record", rid, None, row)])
    if update_condition:
        cd = _condition_delta(store, cls, asset_uuid, row["record_date"],
                              row.get("condition_after"), pending=pending)
        if cd is not None:
            deltas.add(cd)
    return deltas


def plan_edit(store: Store, record_uuid: str, changes: Mapping[str, Any], *,
              update_condition: bool = True, pending: DeltaSet | None = None) -> DeltaSet:
    """Deltas that change fields of a record (only those that really change)."""
    cur = get_record(store, record_uuid, pending)
    new = _clean(changes)
    changed = {k: v for k, v in new.items() if not values_equal(cur.get(k), v)}
    for req in ("record_date", "record_type"):
        if req in changed and changed[req] is None:
            raise ValidationError("maintenance_record.{req} must not be empty", req=req)
    if not changed:
        return DeltaSet()
    deltas = DeltaSet([Delta("maintenance_record", record_uuid,
                             {k: cur.get(k) for k in changed}, changed)])
    if update_condition and ({"condition_after", "record_date"} & set(changed)):
        cd = _condition_delta(store, cur["asset_class"], cur["asset_uuid"],
                              changed.get("record_date", cur["record_date"]),
                              changed.get("condition_after", cur.get("condition_after")),
                              exclude=record_uuid, pending=pending)
        if cd is not None:
            deltas.add(cd)
    return deltas


def plan_delete(store: Store, record_uuid: str, pending: DeltaSet | None = None) -> DeltaSet:
    """Deltas that delete a record and its attachments (the asset's condition stays)."""
    cur = get_record(store, record_uuid, pending)
    deltas = DeltaSet(Delta("attachment", a["attachment_uuid"], a, None)
                      for a in attachments(store, record_uuid, with_content=True,
                                           pending=pending))
    deltas.add(Delta("maintenance_record", record_uuid, cur, None))
    return deltas


def apply(store: Store, deltas: DeltaSet, user: str = "") -> DeltaSet:
    """Write planned deltas in one transaction (the CLI's path; the UI pushes a command)."""
    if deltas:
        store.apply(deltas, user)
    return deltas
