"""Check-in of a field package into a project database, and its undo.

One engine with the file sync: the field's changes are found by the same comparison of the
package with its base (``diff.diff_tables``), and merged into the rows with the same rule
(``model.delta.three_way``) by the database store's versioned save
(``store/postgis/write.py``): a row nobody changed since check-out (its ``version`` did not
move) takes the field's changes; a row another user changed is merged field by field, the
same field changed two ways is a conflict (the database keeps its value) reported as a file
sync reports it. New records follow the same inspection rule, photos the same reading
(``history/photos.py``), deletes of assets with history become retirements.

Everything, the journal and the next base included, is one transaction: a refused row
(row-level security) or a lost connection leaves nothing applied, and the same package
synced again applies it all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.errors import ConflictError, ValidationError
from citymgr_desktop.core.history import inspection
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.files import check_file
from citymgr_desktop.core.store.postgis import PostgisStore, SaveConflict
from citymgr_desktop.core.store.postgis import field_sync as fs
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.database_changes import (
    LOCAL_COLUMNS,
    FieldChanges,
    checked_package,
    field_changes,
    package_bytes,
    read_package_meta,
    scratch_file,
)
from citymgr_desktop.core.sync.database_checkout import SYNCED_TABLES
from citymgr_desktop.core.sync.database_photos import load_photos, photo_refs
from citymgr_desktop.core.sync.database_values import from_journal, to_journal, to_raw
from citymgr_desktop.core.sync.diff import diff_tables
from citymgr_desktop.core.sync.location import fill_delta_location
from citymgr_desktop.core.sync.merge import ROW, Conflict
from citymgr_desktop.core.sync.report import SyncReport, removed_assets

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def sync_into_database(db: PostgisStore, package: str | Path, *, prefer: str | None = None,
                       dry_run: bool = False, user: str = "",
                       progress: Progress | None = None) -> SyncReport:
    """Merge a field package checked out from ``db`` back into it (module docstring)."""
    prog = ensure(progress)
    if prefer not in (None, "master", "field"):
        raise ValidationError("--prefer must be master or field, not {prefer!r}", prefer=prefer)
    db.require_asset_project()
    pkg_path = Path(package).resolve()
    check_file(pkg_path)
    meta = read_package_meta(pkg_path)
    report = SyncReport("applied", db.path, str(pkg_path), meta[reg.META_PACKAGE],
                        package_name=pkg_path.name, surveyor=meta.get(reg.META_SURVEYOR) or None,
                        prefer=prefer)
    try:
        with db.session() as conn:
            pkg = checked_package(db, conn, meta, pkg_path)
            base, parent = fs.current_base(conn, pkg.package_uuid)
            report.based_on = "check-out" if parent is None else parent
            with scratch_file(base) as base_path:
                prog.update(1, 10, msg("comparing"))
                diffs = diff_tables(base_path, pkg_path, SYNCED_TABLES)
                if not any(diffs.values()):
                    report.status = "nothing-to-do"
                    return report
                changes = field_changes(db, base_path, pkg_path, diffs, pkg)
            report.sync_id = _sync_id(pkg.package_uuid, parent, changes.deltas)
            if fs.applied_run_with_id(conn, report.sync_id):
                report.status = "already-synced"
                return report
            prog.update(3, 10, msg("merging"))
            surveyor = report.surveyor or user
            report.add_filled(fill_delta_location(db, changes.deltas))  # the id is the field's
            _inspection_rule(db, changes)
            touched = _keys(changes.deltas)
            before = _lock(conn, touched)
            landed = fs.update_unchanged(conn, changes.deltas, changes.versions, surveyor,
                                         db.srid)  # rows nobody touched: in batches
            outcome = db.save([d for d in changes.deltas if d.key not in landed],
                              changes.versions, surveyor)
            conflicts = [_conflict(c) for c in outcome.conflicts]
            if prefer == "field":
                _take_the_field(db, outcome.conflicts, surveyor)
            for c in conflicts:
                c.resolution = prefer
            prog.update(6, 10, msg("photos"))
            refs = photo_refs(changes.deltas, conflicts)
            photos, added = load_photos(db, refs, pkg_path.parent, surveyor=surveyor,
                                        stamp=now_iso())
            touched.setdefault("attachment", set()).update(added)
            after = _lock(conn, touched)
            journal = _journal(before, after)
            report.counts = _counts(changes, conflicts, added)
            report.conflicts = conflicts
            kept = {(c.table, c.uuid) for c in conflicts if c.field == ROW}
            report.removed = removed_assets(
                (d.table, d.uuid, "retire" if d.key in changes.retired else d.kind)
                for d in changes.deltas if d.key not in kept)
            report.photos = photos.to_json() if photos else {}
            report.notes += changes.notes + [p["message"] for p in photos.problems]
            report.journal_entries = len(journal)
            report.sync_uuid = new_uuid()
            if dry_run:
                raise _DryRun
            fs.record_run(conn, sync_uuid=report.sync_uuid, sync_id=report.sync_id,
                          package_uuid=pkg.package_uuid, source=str(pkg_path),
                          applied_at=now_iso(), applied_by=user or None,
                          report=report.to_json(), journal=journal,
                          next_base=package_bytes(pkg_path))
    except _DryRun:
        report.status = "dry-run"
    prog.update(10, 10, msg("done"))
    return report


def undo_database_sync(db: PostgisStore, ident: str, *, user: str = "") -> dict[str, Any]:
    """Undo a sync of ``db`` from its journal in one transaction; refused, naming the rows,
    when anything it wrote has been changed since (or a later sync of the package is still
    applied)."""
    db.require_asset_project()
    with db.session() as conn:
        sync_uuid, sync_id, state = fs.find_run(conn, ident, db.path)
        if state != "applied":
            raise ValidationError("sync {sync_id} was already undone", sync_id=sync_id)
        later = fs.later_runs(conn, sync_uuid)
        if later:
            raise ValidationError("sync {sync_id} cannot be undone before the later sync(s) "
                                  "of the same package: {later}", sync_id=sync_id,
                                  later=", ".join(later))
        entries = fs.journal_of(conn, sync_uuid)
        keys: dict[str, set[str]] = {}
        for e in entries:
            keys.setdefault(e.table, set()).add(e.uuid)
        now = _lock(conn, keys)
        moved = [f"{e.table} {e.uuid}" for e in entries if _changed_since(e, now)]
        if moved:
            raise ConflictError("sync {sync_id} cannot be undone: {rows} changed since it was "
                                "applied", sync_id=sync_id, rows=", ".join(moved[:10]))
        deltas, versions = [], {}
        for e in reversed(entries):
            old, new = from_journal(e.old), from_journal(e.new)
            if e.action == "insert":
                deltas.append(Delta(e.table, e.uuid, _strip(new), None))
            elif e.action == "delete":
                deltas.append(Delta(e.table, e.uuid, None, _strip(old)))
            else:
                names = [k for k in _strip(old) if k not in ("updated_at", "updated_by")]
                deltas.append(Delta(e.table, e.uuid, {k: new.get(k) for k in names},
                                    {k: old.get(k) for k in names}))
            if e.version_after is not None:
                versions[(e.table, e.uuid)] = e.version_after
        outcome = db.save(deltas, versions, user)
        if outcome.conflicts:
            raise ConflictError("sync {sync_id} cannot be undone: {rows} changed since it was "
                                "applied", sync_id=sync_id,
                                rows=", ".join(f"{c.table} {c.uuid}" for c in outcome.conflicts))
        fs.mark_undone(conn, sync_uuid, now_iso(), user or None)
    return {"sync_id": sync_id, "rows_restored": len(entries), "backup": None,
            "integrity_check": "database"}


def _sync_id(package_uuid: str, parent: str | None, deltas: list[Delta]) -> str:
    """The package id and a hash of the field's changes: the same content twice, one id."""
    h = hashlib.sha256(f"{package_uuid}|{parent or 'check-out'}".encode())
    for d in sorted(deltas, key=lambda d: (d.table, d.uuid)):
        h.update(json.dumps([d.table, d.uuid, to_journal(d.new)], sort_keys=True,
                            ensure_ascii=False).encode())
    return f"{package_uuid[:8]}-{h.hexdigest()[:12]}"


def _inspection_rule(db: PostgisStore, changes: FieldChanges) -> None:
    """New records grade their assets as in the app (``history/inspection.py``); an asset
    deleted in the field that has history or work orders is retired instead."""
    deltas = changes.deltas
    new_records = [dict(d.new) for d in deltas
                   if d.table == "maintenance_record" and d.new is not None and d.old is None]
    fresh = {d.uuid: d for d in deltas if d.kind == "insert" and d.table != "maintenance_record"}
    exclude = [str(r["record_uuid"]) for r in new_records if r.get("record_uuid")]
    store = cast("Store", db)  # the inspection rule asks both stores the same question
    for asset_uuid, rec in inspection.newest_per_asset(new_records).items():
        table = rec.get("asset_class")
        if table not in sc.ASSET_TABLES_BY_NAME:
            continue
        if asset_uuid in fresh:
            current = fresh[asset_uuid].new.get("condition")  # type: ignore[union-attr]
        else:
            current = db.get_rows(table, [asset_uuid], ["condition"]).get(
                asset_uuid, {}).get("condition")
        value = inspection.inspection_condition(store, asset_uuid, rec.get("record_date"),
                                                rec.get("condition_after"), current,
                                                exclude=exclude)
        if value is None:
            continue
        i = next((i for i, d in enumerate(deltas) if d.key == (table, asset_uuid)), None)
        if i is None:
            deltas.append(Delta(table, asset_uuid, {"condition": current}, {"condition": value}))
        elif deltas[i].kind != "delete":
            old, new = deltas[i].old, deltas[i].new
            deltas[i] = Delta(table, asset_uuid, None if old is None else
                              {"condition": current, **old},
                              {**(new or {}), "condition": value})
    gone = [d for d in deltas if d.kind == "delete" and d.table in sc.ASSET_TABLES_BY_NAME]
    held = db.referenced_assets([d.uuid for d in gone]) if gone else set()
    for i, d in enumerate(deltas):
        if d.kind == "delete" and d.uuid in held:
            deltas[i] = Delta(d.table, d.uuid, {"retired_at": None}, {"retired_at": now_iso()})
            changes.retired.add(d.key)


def _take_the_field(db: PostgisStore, conflicts: list[SaveConflict], user: str) -> None:
    """``--prefer field``: the field's values of conflicting fields land after all."""
    deltas = [Delta(c.table, c.uuid, {c.field: c.theirs}, {c.field: c.ours_new})
              for c in conflicts if c.field]
    if deltas:
        db.save(deltas, {}, user)


def _conflict(c: SaveConflict) -> Conflict:
    """The store's conflict as the sync report shows it (raw values: geometry as a blob)."""
    if c.field:
        return Conflict(c.table, c.uuid, c.field, "edit/edit", to_raw(c.field, c.ours_old),
                        to_raw(c.field, c.theirs), to_raw(c.field, c.ours_new), c.describe())
    if c.ours_new is None:
        return Conflict(c.table, c.uuid, ROW, "delete/edit", _raw_row(c.ours_old), None, None,
                        msg("deleted in the field, changed in the database meanwhile; the "
                            "database kept its row"))
    return Conflict(c.table, c.uuid, ROW, "edit/delete", _raw_row(c.ours_old), None,
                    _raw_row(c.ours_new), c.describe())


def _raw_row(row: Any) -> dict[str, Any] | None:
    return None if not isinstance(row, dict) else {k: to_raw(k, v) for k, v in row.items()}


# -- the journal ------------------------------------------------------------------------------
def _keys(deltas: list[Delta]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in deltas:
        out.setdefault(d.table, set()).add(d.uuid)
    return out


def _lock(conn: Any, keys: dict[str, set[str]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for name, uuids in keys.items():
        for uuid, row in fs.lock_rows(conn, sc.table(name), uuids).items():
            out[(name, uuid)] = row
    return out


def _journal(before: dict[tuple[str, str], dict], after: dict[tuple[str, str], dict]
             ) -> list[fs.JournalRow]:
    out = []
    order = [t.name for t in sc.ALL_TABLES]
    for key in sorted(set(before) | set(after), key=lambda k: (order.index(k[0]), k[1])):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old[VERSION_COLUMN] == new[VERSION_COLUMN]:
            continue  # merged away: nothing landed
        action = "insert" if old is None else "delete" if new is None else "update"
        out.append(fs.JournalRow(key[0], key[1], action, to_journal(old), to_journal(new),
                                 None if new is None else int(new[VERSION_COLUMN])))
    return out


def _changed_since(e: fs.JournalRow, now: dict[tuple[str, str], dict]) -> bool:
    row = now.get((e.table, e.uuid))
    if e.action == "delete":
        return row is not None
    return row is None or int(row[VERSION_COLUMN]) != e.version_after


def _strip(row: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (row or {}).items() if k not in LOCAL_COLUMNS}


def _some_landed(d: Delta, conflicting: dict[tuple[str, str], set[str]]) -> bool:
    """True when some field of an update landed (not every one conflicted)."""
    return bool(set(d.new or {}) - conflicting.get(d.key, set()))


def _counts(changes: FieldChanges, conflicts: list[Conflict], added: list[str]
            ) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}

    def bump(table: str, what: str) -> None:
        out.setdefault(table, dict.fromkeys(("insert", "update", "delete", "retire",
                                              "conflict"), 0))[what] += 1

    row_conflicts = {(c.table, c.uuid) for c in conflicts if c.field == ROW}
    fields: dict[tuple[str, str], set[str]] = {}
    for c in conflicts:
        fields.setdefault((c.table, c.uuid), set()).add(c.field)
    for d in changes.deltas:
        if d.key in row_conflicts or (d.kind == "update" and not _some_landed(d, fields)):
            continue
        bump(d.table, "retire" if d.key in changes.retired else d.kind)
    for c in conflicts:
        bump(c.table, "conflict")
    for _ in added:
        bump("attachment", "insert")
    return out
