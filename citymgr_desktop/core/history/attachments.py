"""Attachments of assets, records and work orders (photos, documents): stored inside the
GeoPackage (``attachment.content``) with their SHA-256, so copies, backups and sync carry the
bytes with the data (docs/workorders.md). Planned as deltas, so attaching is one undoable
command.

A photo also names the asset it shows (``asset_uuid``: the owner, or the owner record's
asset) and where it lives as a file in a field package (``file_path``, ``DCIM/…``): the
record's or asset's ``photo`` field holds that path, which QGIS's and QField's attachment
widget shows. Attaching the first photo to a record or an asset sets that field.

Readers and planners take ``pending``, the app's unsaved edits: an unsaved photo shows and
counts (a second copy of it is refused) before it is saved.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import format_iso, new_uuid, utcnow
from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.history.photos import (
    MAX_ATTACHMENT_BYTES,
    PHOTO_FOLDER,
    describe,
    extension_for,
    read_file,
    sha256_of,
)
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.model.pending import overlay_rows, pending_of
from citymgr_desktop.core.model.values import normalise

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

ATTACHMENT = sc.ATTACHMENT
_METADATA = [n for n in ATTACHMENT.field_names() if n != "content"]


def asset_class_for(store: Store, asset_uuid: str, pending: DeltaSet | None = None) -> str:
    """The layer that holds ``asset_uuid`` (NotFoundError otherwise). A uuid that a damaged
    file gives to assets of two classes names neither: refused, not guessed."""
    for t in sc.ASSET_TABLES:
        if any(d.uuid == asset_uuid and d.kind == "insert" for d in pending_of(pending, t.name)):
            return t.name
    layer = store.asset_layer_of(asset_uuid)
    if layer is not None:
        return layer
    raise NotFoundError("no asset with uuid {uuid} in any asset layer", uuid=asset_uuid)


def _with_pending(found: list[dict[str, Any]], pending: DeltaSet | None,
                  match: Any, with_content: bool, newest_first: bool = False
                  ) -> list[dict[str, Any]]:
    """File rows with the unsaved attachments of ``pending`` (new ones last, or first)."""
    if not pending_of(pending, "attachment"):
        return found
    rows = overlay_rows("attachment", {r["attachment_uuid"]: r for r in found}, pending,
                        match=match)
    order = {r["attachment_uuid"]: i for i, r in enumerate(found)}
    new_at = -1 if newest_first else len(order)
    out = sorted(rows.values(), key=lambda r: order.get(r["attachment_uuid"], new_at))
    names = [*_METADATA, "content"] if with_content else _METADATA
    return [{k: r.get(k) for k in names} for r in out]


def attachments(store: Store, owner_uuid: str, with_content: bool = False,
                pending: DeltaSet | None = None) -> list[dict[str, Any]]:
    """Attachments of an asset, record or order, oldest first (content only when asked)."""
    found = store.attachments_of(owner_uuid, with_content)
    return _with_pending(found, pending, lambda r: r.get("owner_uuid") == owner_uuid,
                         with_content)


def asset_photos(store: Store, asset_uuid: str, limit: int | None = None,
                 pending: DeltaSet | None = None) -> list[dict[str, Any]]:
    """The images that show an asset (its own and its records'), newest first."""
    if "asset_uuid" in store.absent.get("attachment", ()):
        return []  # a file from before photos named their asset
    found = store.photos_of_asset(asset_uuid,
                                  limit=None if pending_of(pending, "attachment") else limit)
    out = _with_pending(found, pending, lambda r: r.get("asset_uuid") == asset_uuid
                        and str(r.get("mime_type") or "").startswith("image/"), False,
                        newest_first=True)
    return out[:limit] if limit is not None else out


def latest_photos(store: Store, asset_uuids: list[str]) -> dict[str, dict[str, Any]]:
    """The newest image of each asset that has one (for the work-order PDF)."""
    out = {}
    for uuid in dict.fromkeys(asset_uuids):
        rows = asset_photos(store, uuid, limit=1)
        if rows:
            out[uuid] = rows[0]
    return out


def attachment_content(store: Store, attachment_uuid: str,
                       pending: DeltaSet | None = None) -> bytes:
    """The stored bytes (an unsaved attachment's from ``pending``), verified against the
    stored SHA-256."""
    unsaved = pending.get("attachment", attachment_uuid) if pending is not None else None
    if unsaved is not None and unsaved.new is not None:
        got = unsaved.new
        row: Any = (got.get("content"), got.get("sha256"), got.get("file_name"))
    else:
        stored = store.get_rows("attachment", [attachment_uuid],  # a file's or a database's
                                ["content", "sha256", "file_name"]).get(attachment_uuid)
        row = None if stored is None else (stored["content"], stored["sha256"],
                                           stored["file_name"])
    if row is None:
        raise NotFoundError("no attachment {uuid}", uuid=attachment_uuid)
    if row[0] is None:  # a field package: the bytes travel as a file beside it
        raise NotFoundError("attachment {name}: its content is not in this file (a field "
                            "package carries it in its DCIM folder)", name=row[2])
    data, digest, name = bytes(row[0]), row[1], row[2]
    if sha256_of(data) != digest:
        raise BadFileError("attachment {name} is damaged: its SHA-256 does not match",
                           name=name)
    return data


def package_path(attachment: dict[str, Any]) -> str:
    """Where an attachment's file goes in a field package, relative to its folder."""
    return attachment.get("file_path") or (
        f"{PHOTO_FOLDER}/{attachment['attachment_uuid']}"
        f"{extension_for(attachment.get('mime_type'), attachment.get('file_name') or '')}")


def owner_of(store: Store, owner_uuid: str, pending: DeltaSet | None = None
             ) -> tuple[str, str | None]:
    """(owner kind, the asset it concerns) of an asset, record or order uuid (unsaved
    ones of ``pending`` too)."""
    new_record = pending.get("maintenance_record", owner_uuid) if pending is not None else None
    if new_record is not None and new_record.new is not None:
        return "maintenance_record", new_record.new.get("asset_uuid")
    record = store.get_rows("maintenance_record", [owner_uuid], ["asset_uuid"])
    if owner_uuid in record:  # (store questions: a file's or a database's)
        return "maintenance_record", record[owner_uuid]["asset_uuid"]
    new_order = pending.get("work_order", owner_uuid) if pending is not None else None
    if (new_order is not None and new_order.new is not None) or owner_uuid in store.get_rows(
            "work_order", [owner_uuid], ["work_order_uuid"]):
        return "work_order", None
    return asset_class_for(store, owner_uuid, pending), owner_uuid


def plan_attach(store: Store, owner_uuid: str, data: bytes, file_name: str, *,
                caption: str | None = None, mime_type: str | None = None, user: str = "",
                now: dt.datetime | None = None, owner_kind: str | None = None,
                asset_uuid: str | None = None, file_path: str | None = None,
                link_photo: bool = True, pending: DeltaSet | None = None) -> DeltaSet:
    """Deltas that attach ``data`` to an asset, a record or an order. The same content twice
    on one owner is refused (named by its file name). The first image of a record or an
    asset whose ``photo`` is empty becomes its photo (``link_photo``)."""
    if owner_kind is None:
        owner_kind, asset_uuid = owner_of(store, owner_uuid, pending)
    elif asset_uuid is None and owner_kind in sc.ASSET_TABLES_BY_NAME:
        asset_uuid = owner_uuid
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("{name} is {mb} MB; attachments may be at most {limit} MB",
                              name=file_name, mb=f"{len(data) / 1e6:.0f}",
                              limit=MAX_ATTACHMENT_BYTES // 1024 // 1024)
    found = describe(data, file_name, strict=False)
    dup = [a["file_name"] for a in attachments(store, owner_uuid, pending=pending)
           if a["sha256"] == found.sha256]
    if dup:
        raise ValidationError("{name} is already attached (as {other})", name=file_name,
                              other=dup[0])
    mime = mime_type or found.mime_type
    aid = new_uuid()
    row = {"attachment_uuid": aid, "owner_uuid": owner_uuid, "owner_kind": owner_kind,
           "file_name": normalise(ATTACHMENT, "file_name", Path(file_name).name),
           "mime_type": mime, "sha256": found.sha256, "size_bytes": len(data), "content": data,
           "caption": normalise(ATTACHMENT, "caption", caption),
           "created_at": format_iso(now or utcnow()), "created_by": user or None,
           "asset_uuid": asset_uuid, "taken_at": found.info.taken_at,
           "gps_lon": found.info.lon, "gps_lat": found.info.lat}
    row["file_path"] = normalise(ATTACHMENT, "file_path", file_path or package_path(row))
    deltas = DeltaSet([Delta("attachment", aid, None, row)])
    if link_photo and mime.startswith("image/") and owner_kind != "work_order":
        current = overlay_rows(owner_kind, store.get_rows(owner_kind, [owner_uuid], ["photo"]),
                               pending, wanted=[owner_uuid]).get(owner_uuid)
        if current is not None and not current.get("photo"):
            deltas.add(Delta(owner_kind, owner_uuid, {"photo": None},
                             {"photo": row["file_path"]}))
    return deltas


def plan_attach_file(store: Store, owner_uuid: str, path: str | Path, **kwargs: Any
                     ) -> DeltaSet:
    p = Path(path)
    found = read_file(p, strict=False)
    return plan_attach(store, owner_uuid, found.data, p.name, **kwargs)


def plan_detach(store: Store, attachment_uuid: str, pending: DeltaSet | None = None
                ) -> DeltaSet:
    """Deltas that remove an attachment (and clear the owner's photo when it was this one)."""
    rows = overlay_rows("attachment", store.get_rows("attachment", [attachment_uuid]), pending,
                        wanted=[attachment_uuid])
    if attachment_uuid not in rows:
        raise NotFoundError("no attachment {uuid}", uuid=attachment_uuid)
    row = rows[attachment_uuid]
    deltas = DeltaSet([Delta("attachment", attachment_uuid, row, None)])
    kind, owner = str(row.get("owner_kind")), str(row.get("owner_uuid"))
    if row.get("file_path") and (kind == "maintenance_record" or kind in sc.ASSET_TABLES_BY_NAME):
        current = overlay_rows(kind, store.get_rows(kind, [owner], ["photo"]), pending,
                               wanted=[owner]).get(owner)
        if current is not None and current.get("photo") == row["file_path"]:
            deltas.add(Delta(kind, owner, {"photo": row["file_path"]}, {"photo": None}))
    return deltas
