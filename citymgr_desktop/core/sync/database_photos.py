"""Check-in of photos into a project database: the files the field's photo fields name,
read as the file sync reads them (``sync/photos.py``: the same refusals, reasons and report)
and stored as ``attachment`` rows through the database store, in the sync's transaction.
"""

from __future__ import annotations

from pathlib import Path

from citymgr_desktop.core.clock import new_uuid
from citymgr_desktop.core.errors import BadFileError, CitymgrError, ValidationError
from citymgr_desktop.core.history import MAX_ATTACHMENT_BYTES, read_file
from citymgr_desktop.core.history.photos import inside
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.postgis import PostgisStore
from citymgr_desktop.core.store.postgis import field_sync as fs
from citymgr_desktop.core.sync.merge import Conflict
from citymgr_desktop.core.sync.photos import (
    PHOTO_OWNERS,
    PhotoRef,
    PhotoReport,
    attachment_row,
)


def photo_refs(deltas: list[Delta], conflicts: list[Conflict]) -> list[PhotoRef]:
    """The photo fields the sync set: new rows with a photo, a changed photo that landed."""
    kept = {(c.table, c.uuid) for c in conflicts if c.field == "photo" and not c.resolution}
    records = {d.uuid: d.new for d in deltas if d.table == "maintenance_record" and d.new}
    out: dict[tuple[str, str], PhotoRef] = {}
    for d in deltas:
        photo = (d.new or {}).get("photo")
        if d.table not in PHOTO_OWNERS or not photo or d.key in kept:
            continue
        asset = d.uuid if d.table != "maintenance_record" else \
            (records.get(d.uuid) or {}).get("asset_uuid")
        out[(d.uuid, str(photo))] = PhotoRef(d.table, d.uuid, asset, str(photo))
    return list(out.values())


def load_photos(db: PostgisStore, refs: list[PhotoRef], folder: Path, *, surveyor: str,
                stamp: str) -> tuple[PhotoReport, list[str]]:
    """Read the files into ``attachment`` (the caller holds the transaction); the report
    and the uuids of the attachments added."""
    report = PhotoReport()
    added: list[str] = []
    for ref in refs:
        path = None
        try:
            path = inside(folder, ref.path)
            found = read_file(path, strict=True, max_bytes=MAX_ATTACHMENT_BYTES)
        except (BadFileError, ValidationError) as exc:
            if path is None:
                reason = "refused"
            elif isinstance(exc, BadFileError):
                reason = "missing" if not path.exists() else "unreadable"
            else:
                reason = "too big" if "at most" in exc.template else "not a photo"
            report.problem(ref, reason, exc.message)
            continue
        if fs.photo_stored(db.conn, ref.owner_uuid, ref.asset_uuid, ref.path, found.sha256):
            report.already += 1
            continue
        aid = new_uuid()
        row = attachment_row(aid, ref, found, stamp, surveyor)
        try:
            db.save([Delta("attachment", aid, None, row)], {}, surveyor)
        except CitymgrError as exc:  # a path or name longer than the model allows
            report.problem(ref, "rejected", exc.message)
            continue
        added.append(aid)
        report.loaded += 1
        report.bytes += found.size
    return report, added
