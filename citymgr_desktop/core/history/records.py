"""Maintenance history of an asset: records (inspection, repair, cleaning, replacement,
reconstruction) and attachments (photos, documents), all planned as deltas so every edit is
one undoable command.

A record with ``condition_after`` that is the asset's newest record sets the asset's
``condition`` (an inspection grades it; a repair leaves it in a new state). Attachments are
stored inside the GeoPackage (``attachment.content``) with their SHA-256: the file is the
whole project, so copies, field packages, backups and sync carry the photos with the data,
and nothing points at a path that exists on one computer only (docs/workorders.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import format_iso, new_uuid, utcnow
from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, values_equal
from citymgr_desktop.core.model.values import normalise

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

RECORD = sc.MAINTENANCE_RECORD
EDITABLE = tuple(f.name for f in RECORD.fields if not f.system
                 and f.name not in ("asset_class", "asset_uuid"))
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024  # a 50 MB photo or PDF is already a lot for a file


def _now_iso(now: dt.datetime | None) -> str:
    return format_iso(now or utcnow())


def asset_class_for(store: Store, asset_uuid: str) -> str:
    """The layer that holds ``asset_uuid`` (NotFoundError otherwise)."""
    for t in sc.ASSET_TABLES:
        if store.conn.execute(f'SELECT 1 FROM "{t.name}" WHERE asset_uuid=?',
                              (asset_uuid,)).fetchone():
            return t.name
    raise NotFoundError(f"no asset with uuid {asset_uuid!r} in any asset layer")


def records(store: Store, asset_uuid: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The asset's records, newest first (by date, then by creation)."""
    names = RECORD.field_names()
    cols = ", ".join(f'"{n}"' for n in names)
    sql = (f"SELECT {cols} FROM maintenance_record WHERE asset_uuid=? "
           "ORDER BY record_date DESC, created_at DESC, rowid DESC")
    params: list[Any] = [asset_uuid]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [dict(zip(names, r, strict=True)) for r in store.conn.execute(sql, params)]


def latest_records(store: Store, asset_uuids: list[str], per_asset: int = 3
                   ) -> dict[str, list[dict[str, Any]]]:
    """The last ``per_asset`` records of each asset (for reports), newest first."""
    return {u: records(store, u, per_asset) for u in dict.fromkeys(asset_uuids)}


def get_record(store: Store, record_uuid: str) -> dict[str, Any]:
    rows = store.get_rows("maintenance_record", [record_uuid])
    if record_uuid not in rows:
        raise NotFoundError(f"no maintenance record {record_uuid!r}")
    return rows[record_uuid]


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"maintenance_record has no editable field(s) "
                              f"{', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    return {k: normalise(RECORD, k, v) for k, v in values.items()}


def _condition_delta(store: Store, asset_class: str, asset_uuid: str, record_date: str,
                     condition: int | None, exclude: str | None = None) -> Delta | None:
    """Set the asset's condition when a record dated ``record_date`` is its newest."""
    if condition is None:
        return None
    newer = store.conn.execute(
        "SELECT 1 FROM maintenance_record WHERE asset_uuid=? AND record_date > ? "
        "AND condition_after IS NOT NULL AND record_uuid IS NOT ? LIMIT 1",
        (asset_uuid, record_date, exclude)).fetchone()
    if newer:
        return None
    cur = store.get_row(asset_class, asset_uuid)
    if values_equal(cur.get("condition"), condition):
        return None
    return Delta(asset_class, asset_uuid, {"condition": cur.get("condition")},
                 {"condition": condition})


def plan_add(store: Store, asset_class: str | None, asset_uuid: str, values: Mapping[str, Any],
             *, user: str = "", now: dt.datetime | None = None, update_condition: bool = True,
             record_uuid: str | None = None) -> DeltaSet:
    """Deltas that add one record (and, if ``update_condition``, set the asset's condition).

    ``condition_before`` defaults to the asset's current condition.
    """

    cls = asset_class or asset_class_for(store, asset_uuid)
    if cls not in sc.ASSET_TABLES_BY_NAME:
        raise ValidationError(f"maintenance_record.asset_class: {cls!r} is not an asset layer")
    asset = store.get_rows(cls, [asset_uuid], ["condition", "retired_at"]).get(asset_uuid)
    if asset is None:
        raise NotFoundError(f"{cls} has no asset {asset_uuid!r}")
    row = _clean(values)
    for req in ("record_date", "record_type"):
        if row.get(req) is None:
            f = RECORD.field(req)
            raise ValidationError(f"maintenance_record.{req} ({f.en}) must not be empty")
    if row.get("condition_before") is None and asset.get("condition") is not None:
        row["condition_before"] = int(asset["condition"])
    rid = record_uuid or new_uuid()
    row.update({"record_uuid": rid, "asset_class": cls, "asset_uuid": asset_uuid,
                "created_at": _now_iso(now), "created_by": user or None})
    deltas = DeltaSet([Delta("maintenance_record", rid, None, row)])
    if update_condition:
        cd = _condition_delta(store, cls, asset_uuid, row["record_date"],
                              row.get("condition_after"))
        if cd is not None:
            deltas.add(cd)
    return deltas


def plan_edit(store: Store, record_uuid: str, changes: Mapping[str, Any], *,
              update_condition: bool = True) -> DeltaSet:
    """Deltas that change fields of a record (only those that really change)."""
    cur = get_record(store, record_uuid)
    new = _clean(changes)
    changed = {k: v for k, v in new.items() if not values_equal(cur.get(k), v)}
    for req in ("record_date", "record_type"):
        if req in changed and changed[req] is None:
            raise ValidationError(f"maintenance_record.{req} must not be empty")
    if not changed:
        return DeltaSet()
    deltas = DeltaSet([Delta("maintenance_record", record_uuid,
                             {k: cur.get(k) for k in changed}, changed)])
    if update_condition and ({"condition_after", "record_date"} & set(changed)):
        cd = _condition_delta(store, cur["asset_class"], cur["asset_uuid"],
                              changed.get("record_date", cur["record_date"]),
                              changed.get("condition_after", cur.get("condition_after")),
                              exclude=record_uuid)
        if cd is not None:
            deltas.add(cd)
    return deltas


def plan_delete(store: Store, record_uuid: str) -> DeltaSet:
    """Deltas that delete a record and its attachments (the asset's condition stays)."""
    cur = get_record(store, record_uuid)
    deltas = DeltaSet(Delta("attachment", a["attachment_uuid"], a, None)
                      for a in attachments(store, record_uuid, with_content=True))
    deltas.add(Delta("maintenance_record", record_uuid, cur, None))
    return deltas


# -- attachments ---------------------------------------------------------------------------
def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachments(store: Store, owner_uuid: str, with_content: bool = False
                ) -> list[dict[str, Any]]:
    """Attachments of an asset or record, oldest first (content only when asked)."""
    names = [n for n in sc.ATTACHMENT.field_names() if with_content or n != "content"]
    cols = ", ".join(f'"{n}"' for n in names)
    return [dict(zip(names, r, strict=True)) for r in store.conn.execute(
        f"SELECT {cols} FROM attachment WHERE owner_uuid=? ORDER BY created_at, rowid",
        (owner_uuid,))]


def attachment_content(store: Store, attachment_uuid: str) -> bytes:
    """The stored bytes, verified against the stored SHA-256."""
    row = store.conn.execute("SELECT content, sha256, file_name FROM attachment WHERE "
                             "attachment_uuid=?", (attachment_uuid,)).fetchone()
    if row is None:
        raise NotFoundError(f"no attachment {attachment_uuid!r}")
    data, digest, name = bytes(row[0] or b""), row[1], row[2]
    if sha256_of(data) != digest:
        raise BadFileError(f"attachment {name} is damaged: its SHA-256 does not match")
    return data


def _owner_kind(store: Store, owner_uuid: str) -> str:
    if store.conn.execute("SELECT 1 FROM maintenance_record WHERE record_uuid=?",
                          (owner_uuid,)).fetchone():
        return "maintenance_record"
    if store.conn.execute("SELECT 1 FROM work_order WHERE work_order_uuid=?",
                          (owner_uuid,)).fetchone():
        return "work_order"
    return asset_class_for(store, owner_uuid)


def plan_attach(store: Store, owner_uuid: str, data: bytes, file_name: str, *,
                caption: str | None = None, mime_type: str | None = None, user: str = "",
                now: dt.datetime | None = None, owner_kind: str | None = None) -> DeltaSet:
    """Deltas that attach ``data`` to an asset, a record or an order. The same content
    twice on one owner is refused (named by its file name)."""

    kind = owner_kind or _owner_kind(store, owner_uuid)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(f"{file_name} is {len(data) / 1e6:.0f} MB; attachments may be "
                              f"at most {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB")
    digest = sha256_of(data)
    dup = store.conn.execute("SELECT file_name FROM attachment WHERE owner_uuid=? AND "
                             "sha256=?", (owner_uuid, digest)).fetchone()
    if dup:
        raise ValidationError(f"{file_name} is already attached (as {dup[0]})")
    mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    aid = new_uuid()
    row = {"attachment_uuid": aid, "owner_uuid": owner_uuid, "owner_kind": kind,
           "file_name": normalise(sc.ATTACHMENT, "file_name", Path(file_name).name),
           "mime_type": mime, "sha256": digest, "size_bytes": len(data), "content": data,
           "caption": normalise(sc.ATTACHMENT, "caption", caption),
           "created_at": _now_iso(now), "created_by": user or None}
    return DeltaSet([Delta("attachment", aid, None, row)])


def plan_attach_file(store: Store, owner_uuid: str, path: str | Path, **kwargs: Any
                     ) -> DeltaSet:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadFileError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    return plan_attach(store, owner_uuid, data, p.name, **kwargs)


def plan_detach(store: Store, attachment_uuid: str) -> DeltaSet:
    rows = store.get_rows("attachment", [attachment_uuid])
    if attachment_uuid not in rows:
        raise NotFoundError(f"no attachment {attachment_uuid!r}")
    return DeltaSet([Delta("attachment", attachment_uuid, rows[attachment_uuid], None)])


def apply(store: Store, deltas: DeltaSet, user: str = "") -> DeltaSet:
    """Write planned deltas in one transaction (the CLI's path; the UI pushes a command)."""
    if deltas:
        store.apply(deltas, user)
    return deltas
