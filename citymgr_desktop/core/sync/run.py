"""Check-in of a field package: the whole sync, from opening the package to the journal.

``sync_package`` attaches the package and its base to the master's connection, finds the
field's changes by content (``sync_diff``), merges them with the master's (``sync_merge``,
``sync_checks``) and, in one transaction that began before the first read, writes them with
a journal (``sync_apply``, ``sync_journal``), after a backup and followed by an integrity
check. The backup copy and the package's new base copy are written by background threads
while SQLite compares. ``undo_sync`` restores the master as it was before a run.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, NotFoundError, ReadOnlyError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.geopackage import Store, check_file, is_writable
from citymgr_desktop.core.store.write import now_iso
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.apply import apply_plan, capture_state, counts, integrity_check
from citymgr_desktop.core.sync.base import base_for, materialize, needs_full_copy, write_delta
from citymgr_desktop.core.sync.checks import check_plan
from citymgr_desktop.core.sync.diff import (
    TableDiff,
    all_columns,
    diff_tables,
    fetch_by_rowid,
    fetch_rows,
)
from citymgr_desktop.core.sync.files import (
    attached,
    content_id,
    package_meta,
    read_snapshot,
    rekey_file,
)
from citymgr_desktop.core.sync.journal import (
    value_json,
    write_conflicts,
    write_journal,
)
from citymgr_desktop.core.sync.merge import Merger, Plan, TableInput
from citymgr_desktop.core.sync.report import ConflictInfo, SyncReport
from citymgr_desktop.core.sync.schema import (
    DATA_TABLES,
    check_drift,
    ensure_tables,
    rewritten,
    signature,
)
from citymgr_desktop.core.sync.undo import undo_sync
from citymgr_desktop.core.sync.values import register_functions

__all__ = ["sync_package", "undo_sync"]

# Share of the progress bar per phase.
_DIFF, _MERGE, _APPLY = 40, 10, 45


def sync_package(store: Store, package: str | os.PathLike[str], *, prefer: str | None = None,
                 dry_run: bool = False, user: str = "", backup: bool = True,
                 full_check: bool = False, progress: Progress | None = None) -> SyncReport:
    """Merge a field package into the master (see the module docstring).

    ``full_check``: PRAGMA integrity_check of the whole file whatever its size (by default
    files above ``sync_apply.FULL_CHECK_BYTES`` get a quick_check of the tables written).
    """
    prog = ensure(progress)
    if prefer not in (None, "master", "field"):
        raise ValidationError(f"--prefer must be master or field, not {prefer!r}")
    store.require_asset_project()
    if store.read_only and not dry_run:
        raise ReadOnlyError(f"{store.path} is open read-only; a sync writes to it "
                            "(use --dry-run to only see what would change)")
    pkg_path = Path(package).resolve()
    check_file(pkg_path)
    if pkg_path == store.path.resolve():
        raise ValidationError("the package is the master file itself")
    conn = store.conn
    register_functions(conn)
    if not dry_run:
        with store.session():
            ensure_tables(conn)
    elif not _has_registry(conn):
        raise NotFoundError(f"{store.path} has sent out no field packages")
    with attached(conn, pkg_path, "f", read_only=dry_run or not is_writable(pkg_path)):
        meta = package_meta(conn)
        if reg.META_PACKAGE not in meta:
            raise BadFileError(f"{pkg_path}: not a citymgr field package (no package id); "
                               "field packages are made with 'citymgr field-package'")
        pkg = reg.get_package(conn, meta[reg.META_PACKAGE])
        field_sig = signature(conn, "f")
        check_drift(pkg.schema_columns, field_sig,
                    "the package's tables differ from what was checked out")
        check_drift(pkg.schema_columns, signature(conn, "main"),
                    "the master's tables changed since the package was checked out")
        chain = base_for(store.path, conn, pkg, meta.get(reg.META_BASE))
        base_path = chain.start
        if chain.deltas:
            base_path = materialize(chain, _scratch_folder(store.path, pkg.package_uuid))
        try:
            with attached(conn, base_path, "b", read_only=True):
                job = _SyncJob(store, pkg, pkg_path, chain.parent, prefer, user, prog)
                job.base_path = base_path
                job.full_check = full_check
                job.note_rewrites(rewritten(pkg.schema_columns, field_sig),
                                  rewritten(pkg.schema_columns, signature(conn, "b")))
                if dry_run:
                    with read_snapshot(conn):
                        return job.run(dry_run=True, backup=False)
                with store.session():
                    report = job.run(dry_run=False, backup=backup)
                job.after_commit()
                return report
        finally:
            if chain.deltas:
                reg.discard(base_path)


def _scratch_folder(master: Path, package_uuid: str) -> Path:
    """Where the rebuilt base goes: beside the base copies, or the system's temp folder."""
    folder = reg.package_dir(master, package_uuid)
    return folder if is_writable(folder) else Path(tempfile.gettempdir())


def _has_registry(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_package'"
                        ).fetchone() is not None


class _SyncJob:
    """One check-in, run inside the caller's transaction (attached: f = package, b = base)."""

    def __init__(self, store: Store, pkg: reg.PackageRecord, pkg_path: Path,
                 parent: str | None, prefer: str | None, user: str, prog: Progress) -> None:
        self.store, self.conn, self.pkg, self.pkg_path = store, store.conn, pkg, pkg_path
        self.parent, self.prefer, self.user, self.prog = parent, prefer, user, prog
        self.run_uuid = str(uuidlib.uuid4())
        self.stamp = now_iso()
        self.timings: dict[str, float] = {}
        self.normal: dict[str, dict[str, str]] = {}
        self.full_check = False
        self.base_path = pkg_path
        self._copies: list[reg.DatabaseCopy] = []
        self._keep: Path | None = None
        self.report = SyncReport("applied", str(store.path), str(pkg_path), pkg.package_uuid,
                                 pkg.name, pkg.surveyor, prefer=prefer)
        if parent:
            run = reg.run_by_uuid(self.conn, parent)
            self.report.based_on = f"sync {run.sync_id}" if run else parent

    def note_rewrites(self, field: dict[str, dict[str, str]],
                      base: dict[str, dict[str, str]]) -> None:
        """Columns another tool rewrote with a compatible type are compared by value."""
        self.normal = {}
        for source in (field, base):
            for table, cols in source.items():
                for col, family in cols.items():
                    if family in ("date", "datetime"):
                        self.normal.setdefault(table, {})[col] = family
        for table, cols in field.items():
            self.report.notes.append(
                f"{table} was rewritten by another tool (types of {', '.join(sorted(cols))} "
                "changed); its values are compared by meaning")

    def _tick(self, name: str, t0: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - t0
        return now

    def run(self, *, dry_run: bool, backup: bool) -> SyncReport:
        t0 = time.perf_counter()
        backup_path = None
        if not dry_run:
            reg.prune_bases(self.store.path, self.conn, self.pkg.package_uuid)
            if backup:
                backup_path = reg.backup_dir(self.store.path) / \
                    f"{self.stamp[:19].replace(':', '')}-{self.run_uuid[:8]}.gpkg"
        try:
            return self._run(dry_run, t0, backup_path)
        except BaseException:
            for copy in self._copies:
                copy.abandon()
            for p in (self._keep, backup_path):
                if p is not None:
                    reg.discard(p)
            raise

    def _run(self, dry_run: bool, t0: float, backup_path: Path | None) -> SyncReport:
        if not dry_run and backup_path is not None:  # beside the comparison (see DatabaseCopy)
            self._copies.append(reg.DatabaseCopy(self.conn, "main", self.store.path,
                                                 backup_path))
        rep = self.report
        diffs = diff_tables(self.base_path, self.pkg_path, DATA_TABLES, self.normal, Progress(
            lambda d, n, m: self.prog.update(_DIFF * d // max(n, 1), 100, m)),
            workers=min(2, os.cpu_count() or 1))
        for t in DATA_TABLES:
            if diffs[t.name].unkeyed:
                rep.notes.append(f"{t.name}: {diffs[t.name].unkeyed} changed row(s) without a "
                                 "uuid cannot be matched and were left out")
        for name in ("work_order", "work_order_asset", "work_order_event"):
            n = self.conn.execute(f"SELECT count(*) FROM f.{gpkg.quote_ident(name)}").fetchone()[0]
            if n:
                rep.notes.append(f"{name}: {n} row(s) in the package are not synced (work "
                                 "orders are managed in the office)")
        t0 = self._tick("compare", t0)
        inputs = {t.name: self._inputs(t, diffs[t.name]) for t in DATA_TABLES}
        rep.sync_id = content_id(self.pkg.package_uuid, self.parent, inputs)
        if not any(diffs.values()):
            rep.status = "nothing-to-do"
            parent = reg.run_by_uuid(self.conn, self.parent) if self.parent else None
            rep.sync_id = parent.sync_id if parent else None
            return self._finish_early()
        earlier = reg.applied_run_with_id(self.conn, rep.sync_id)
        if earlier is not None:
            rep.status, rep.sync_uuid = "already-synced", earlier.sync_uuid
            rep.notes.append(f"this package content was synced on {earlier.applied_at}")
            return self._finish_early()
        self.prog.update(_DIFF, 100, "merging")
        merger = Merger(self.prefer, self.pkg.surveyor or "", self.stamp)
        for t in DATA_TABLES:
            merger.merge_table(inputs[t.name])
        plan = merger.plan
        check_plan(self.conn, plan, self.stamp, self.pkg.surveyor or "")
        self._drop_repeated_conflicts(plan)
        t0 = self._tick("merge", t0)
        if dry_run:
            rep.status = "dry-run"
            self._fill(plan, None)
            return rep
        self.prog.update(_DIFF + _MERGE // 2, 100, "backup copy")
        for copy in self._copies:  # the backup must be complete before the first write
            copy.wait()
        folder = reg.package_dir(self.store.path, self.pkg.package_uuid)
        full = needs_full_copy(inputs, bool(self.normal))
        if full:  # a rewritten layer: keep the whole package as the next base
            self._keep = folder / f"base-{self.run_uuid}.gpkg"
            self._copies.append(reg.DatabaseCopy(self.conn, "f", self.pkg_path, self._keep))
        t0 = self._tick("copies", t0)
        rep.backup = str(backup_path) if backup_path else None
        before = capture_state(self.conn)
        entries = apply_plan(self.store, plan, Progress(
            lambda d, n, m: self.prog.update(_DIFF + _MERGE + _APPLY * d // max(n, 1), 100, m)))
        rep.journal_entries = write_journal(self.conn, self.run_uuid, entries)
        ids = write_conflicts(self.conn, self.run_uuid, self.pkg.package_uuid, plan.conflicts,
                              self.user, self.stamp)
        t0 = self._tick("apply", t0)
        for copy in self._copies:  # the base copy must be complete before the package is marked
            copy.wait()
        marked = self._mark_package(plan)
        rekeys = plan.rekeys if marked else []
        if full and self._keep is not None and rekeys:
            rekey_file(self._keep, rekeys)
        elif not full:
            self._keep = write_delta(folder / f"delta-{self.run_uuid}.gpkg", inputs, rekeys)
        t0 = self._tick("copies", t0)
        self._fill(plan, ids)
        reg.insert_run(self.conn, reg.RunRecord(
            sync_uuid=self.run_uuid, sync_id=rep.sync_id, kind="sync",
            package_uuid=self.pkg.package_uuid, parent_sync_uuid=self.parent,
            base_file=self._keep.name if self._keep else None, source_path=str(self.pkg_path),
            applied_at=self.stamp, applied_by=self.user or None, prefer=self.prefer,
            state="applied", counts=rep.counts, conflict_count=len(plan.conflicts),
            backup_file=str(backup_path) if backup_path else None,
            restore_state={"before": before, "after": capture_state(self.conn)}))
        rep.sync_uuid = self.run_uuid
        self.prog.update(_DIFF + _MERGE + _APPLY, 100, "checking the file")
        touched = sorted({c.table for c in plan.changes} | {"sync_journal", "sync_conflict"})
        rep.integrity = integrity_check(self.conn, str(self.store.path), touched,
                                        self.full_check)
        self._tick("check", t0)
        rep.timings = self.timings
        return rep

    def _inputs(self, t: Any, d: TableDiff) -> TableInput:
        cols = all_columns(t)
        changed = [*d.updated, *d.deleted]
        new_keys = [n.uuid for n in d.inserted if n.uuid and not n.rekey]
        return TableInput(
            t, d, fetch_rows(self.conn, "b", t, changed, cols),
            fetch_rows(self.conn, "f", t, d.updated, cols),
            fetch_by_rowid(self.conn, "f", t, [n.rowid for n in d.inserted], cols),
            fetch_rows(self.conn, "main", t, changed + new_keys, cols))

    def _drop_repeated_conflicts(self, plan: Plan) -> None:
        """A conflict identical to one still open from an earlier sync is not stored twice."""
        open_ = {(r[0], r[1], r[2], r[3], r[4]) for r in self.conn.execute(
            "SELECT table_name, row_uuid, field_name, master_value, field_value "
            "FROM sync_conflict WHERE package_uuid = ? AND state = 'open'",
            (self.pkg.package_uuid,))}
        if not open_:
            return
        keep = []
        for c in plan.conflicts:
            key = (c.table, c.uuid, c.field, value_json(c.master), value_json(c.field_value))
            if c.resolution is None and key in open_:
                self.report.notes.append(f"{c.table} {c.uuid} {c.field}: the conflict from an "
                                         "earlier sync is still open")
            else:
                keep.append(c)
        plan.conflicts = keep

    def _mark_package(self, plan: Plan) -> bool:
        """Write the run id (and new uuids) into the package, in this transaction; False if
        the package cannot be written."""
        conn = self.conn
        conn.execute("SAVEPOINT sync_package_mark")
        try:
            conn.execute("INSERT OR REPLACE INTO f.citymgr_meta (key, value) VALUES (?, ?)",
                         (reg.META_BASE, self.run_uuid))
            for table, rowid, uuid in plan.rekeys:
                key = gpkg.quote_ident(sc.table(table).key)
                conn.execute(f"UPDATE f.{gpkg.quote_ident(table)} SET {key} = ? WHERE rowid = ?",
                             (uuid, rowid))
        except sqlite3.DatabaseError as exc:
            conn.execute("ROLLBACK TO sync_package_mark")
            conn.execute("RELEASE sync_package_mark")
            self.report.notes.append(
                f"the package could not be marked as synced ({exc}); the next sync of this "
                "copy compares it with an earlier base (nothing is lost, but settled "
                "conflicts may be shown again)")
            return False
        conn.execute("RELEASE sync_package_mark")
        return True

    def _fill(self, plan: Plan, ids: list[str] | None) -> None:
        rep = self.report
        rep.counts = counts(plan)
        rep.conflicts = [ConflictInfo.from_conflict(c, ids[i] if ids else None)
                         for i, c in enumerate(plan.conflicts)]
        rep.notes += plan.notes
        rep.timings = self.timings

    def _finish_early(self) -> SyncReport:
        for copy in self._copies:  # nothing will be written: no backup needed
            copy.abandon()
        self._copies.clear()
        self.report.timings = self.timings
        return self.report

    def after_commit(self) -> None:
        if self.report.status == "applied":
            reg.prune_backups(self.store.path)


