"""Check-in of photos: the files a package's records and assets name in their ``photo`` field
(``DCIM/…``, relative to the package's folder, as QField's camera writes them) read into the
master's ``attachment`` table, linked to the record (or asset) and its asset, with their
SHA-256, original name, size, MIME type and EXIF time and position.

Only photo fields the field set or changed are looked at (a row the merge inserts or whose
``photo`` it updates), so a package synced again reads nothing. A file whose bytes the
master already holds for the same owner, or for the same asset under the same path, is not
stored twice. A path that is absolute, climbs out of the folder or passes through a
symbolic link is refused and never read; a missing or unreadable file, one above the size
limit or one that is not an image or a document is reported and skipped. The record or
asset lands either way. The bytes are journaled by their SHA-256 (``BlobRef``), not copied
into the journal: undo removes them, redo reads the package's file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import new_uuid
from citymgr_desktop.core.errors import BadFileError, CitymgrError, ValidationError
from citymgr_desktop.core.history import MAX_ATTACHMENT_BYTES, read_file, sniff_mime
from citymgr_desktop.core.history.photos import inside
from citymgr_desktop.core.messages import Term, Text, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync.apply import JournalEntry, snapshot_rows
from citymgr_desktop.core.sync.merge import Plan

PHOTO_OWNERS = ("maintenance_record", *sc.ASSET_TABLES_BY_NAME)


@dataclass(frozen=True)
class PhotoRef:
    """A photo field the field set: whose it is, which asset it shows, the path it names."""

    table: str
    owner_uuid: str
    asset_uuid: str | None
    path: str


# why a photo was not read, as the report's notes say it
REASONS = {"missing": Term("missing", "文件缺失"), "unreadable": Term("unreadable", "无法读取"),
           "too big": Term("too big", "文件过大"), "not a photo": Term("not a photo", "不是照片"),
           "refused": Term("refused", "被拒绝"), "rejected": Term("rejected", "被拒收")}


@dataclass
class PhotoReport:
    """What the check-in did with the photos (the sync report's ``photos``)."""

    loaded: int = 0
    bytes: int = 0
    already: int = 0  # the master had these bytes for that owner already
    problems: list[dict[str, Any]] = field(default_factory=list)  # "message": a Message

    def problem(self, ref: PhotoRef, reason: str, message: Text) -> None:
        self.problems.append({"table": ref.table, "uuid": ref.owner_uuid, "path": ref.path,
                              "reason": reason, "message": message})

    def to_json(self) -> dict[str, Any]:
        return {"loaded": self.loaded, "bytes": self.bytes, "already_stored": self.already,
                "problems": [{**p, "message": str(p["message"])} for p in self.problems]}

    def __bool__(self) -> bool:
        return bool(self.loaded or self.already or self.problems)


def photo_refs(store: Store, plan: Plan) -> list[PhotoRef]:
    """The photo fields the plan sets (inserted rows, updated ``photo`` values)."""
    wanted = [c for c in plan.changes if c.table in PHOTO_OWNERS
              and c.action in ("insert", "update") and c.values.get("photo")]
    record_assets: dict[str, str] = {}
    ask = [c.uuid for c in wanted if c.table == "maintenance_record"
           and not c.values.get("asset_uuid")]
    if ask:
        record_assets = dict(gpkg.select_in(
            store.conn, "SELECT record_uuid, asset_uuid FROM main.maintenance_record "
                        "WHERE record_uuid IN ({marks})", ask))
    out: dict[tuple[str, str], PhotoRef] = {}
    for c in wanted:
        asset = c.uuid if c.table != "maintenance_record" else \
            (c.values.get("asset_uuid") or record_assets.get(c.uuid))
        out[(c.uuid, str(c.values["photo"]))] = PhotoRef(c.table, c.uuid, asset,
                                                          str(c.values["photo"]))
    return list(out.values())


def _classify(exc: CitymgrError, path: Path | None) -> str:
    if isinstance(exc, BadFileError):
        return "missing" if path is not None and not path.exists() else "unreadable"
    return "too big" if "at most" in exc.template else "not a photo"


def _stored(store: Store, ref: PhotoRef, digest: str) -> bool:
    """The master already holds these bytes for this owner (or for its asset, same path)."""
    return store.conn.execute(
        "SELECT 1 FROM main.attachment WHERE sha256 = ? AND (owner_uuid = ? OR "
        "(asset_uuid IS ? AND file_path = ?)) LIMIT 1",
        (digest, ref.owner_uuid, ref.asset_uuid, ref.path)).fetchone() is not None


def load_photos(store: Store, refs: list[PhotoRef], folder: Path, *, surveyor: str,
                stamp: str, progress: Progress | None = None
                ) -> tuple[list[JournalEntry], PhotoReport]:
    """Read the files into ``attachment`` (inside the caller's transaction), one at a time;
    returns their journal entries and the report."""
    prog = ensure(progress)
    report = PhotoReport()
    added: list[str] = []
    for i, ref in enumerate(refs):
        prog.update(i, len(refs), msg("photo {path}", path=ref.path))
        path = None
        try:
            path = inside(folder, ref.path)
            found = read_file(path, strict=True, max_bytes=MAX_ATTACHMENT_BYTES)
        except (BadFileError, ValidationError) as exc:
            reason = "refused" if path is None else _classify(exc, path)
            report.problem(ref, reason, str(exc))
            continue
        if _stored(store, ref, found.sha256):
            report.already += 1
            continue
        aid = new_uuid()
        row = attachment_row(aid, ref, found, stamp, surveyor)
        try:
            store.apply([Delta("attachment", aid, None, row)], surveyor)
        except CitymgrError as exc:  # a path or name longer than the model allows
            report.problem(ref, "rejected", str(exc))
            continue
        added.append(aid)
        report.loaded += 1
        report.bytes += found.size
    prog.update(len(refs), max(len(refs), 1), msg("photos"))
    after = snapshot_rows(store.conn, {"attachment": added}, blob_refs=True)
    entries = [JournalEntry("attachment", a, "insert", None, after[("attachment", a)])
               for a in added]
    return entries, report


def attachment_row(aid: str, ref: PhotoRef, found: Any, stamp: str, surveyor: str
                   ) -> dict[str, Any]:
    """The ``attachment`` row of a photo a package brought back (``found``: the file as
    ``read_file`` read it), for either store."""
    return {"attachment_uuid": aid, "owner_uuid": ref.owner_uuid, "owner_kind": ref.table,
            "file_name": found.name[:255], "mime_type": found.mime_type,
            "sha256": found.sha256, "size_bytes": found.size, "content": found.data,
            "created_at": stamp, "created_by": surveyor or None,
            "asset_uuid": ref.asset_uuid, "file_path": ref.path,
            "taken_at": found.info.taken_at, "gps_lon": found.info.lon,
            "gps_lat": found.info.lat}


def preview_photos(refs: list[PhotoRef], folder: Path) -> PhotoReport:
    """What :func:`load_photos` would refuse or read, from the paths, sizes and first bytes
    only (a dry run hashes nothing)."""
    report = PhotoReport()
    for ref in refs:
        try:
            path = inside(folder, ref.path)
        except ValidationError as exc:
            report.problem(ref, "refused", exc.message)
            continue
        try:
            size = path.stat().st_size
            with path.open("rb") as fh:
                head = fh.read(64)
        except OSError as exc:
            report.problem(ref, "missing" if not path.exists() else "unreadable",
                           msg("{path}: cannot be read ({reason})", path=ref.path,
                               reason=exc.strerror or exc))
            continue
        if size > MAX_ATTACHMENT_BYTES:
            report.problem(ref, "too big", msg("{name} is {mb:.0f} MB", name=path.name,
                                               mb=size / 1e6))
        elif sniff_mime(head, path.name) is None:
            report.problem(ref, "not a photo", msg("{name} is not a photo or a document",
                                                   name=path.name))
        else:
            report.loaded += 1
            report.bytes += size
    return report
