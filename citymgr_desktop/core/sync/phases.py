"""The phases of one check-in of a field package, in the order they run: compare, merge,
copy (the backup complete before the first write), apply (rows, then the photo files their
``photo`` fields name), copy (the base for the next sync), check. Each phase owns its share of the progress bar and its timing in the report.

:class:`SyncJob` runs inside the transaction :func:`~citymgr_desktop.core.sync.run.sync_package`
began, with the package attached as ``f`` and its base as ``b``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import new_uuid, now_iso, zoned_time
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.apply import apply_plan, capture_state, counts, integrity_check
from citymgr_desktop.core.sync.base import needs_full_copy, write_delta
from citymgr_desktop.core.sync.checks import apply_inspections, check_plan, restore_condition_before
from citymgr_desktop.core.sync.diff import (
    CHUNK,
    TableDiff,
    all_columns,
    diff_tables,
    fetch_by_rowid,
    fetch_rows,
)
from citymgr_desktop.core.sync.files import SyncId
from citymgr_desktop.core.sync.identity import check_identities
from citymgr_desktop.core.sync.journal import JournalWriter, value_json, write_conflicts
from citymgr_desktop.core.sync.location import fill_plan_location
from citymgr_desktop.core.sync.merge import Merger, Plan, TableInput
from citymgr_desktop.core.sync.photos import REASONS, load_photos, photo_refs, preview_photos
from citymgr_desktop.core.sync.report import SyncReport, removed_assets
from citymgr_desktop.core.sync.schema import DATA_TABLES

__all__ = ["PHASE_SHARES", "SyncJob"]


def _parts(d: TableDiff) -> Iterator[TableDiff]:
    """``d`` in pieces of at most CHUNK rows: its updates, then its deletes, then its new rows
    (the order the merge takes them in)."""
    updated = list(d.updated)
    for i in range(0, len(updated), CHUNK):
        yield TableDiff(d.table, updated={u: d.updated[u] for u in updated[i:i + CHUNK]},
                        aligned=d.aligned)
    for i in range(0, len(d.deleted), CHUNK):
        yield TableDiff(d.table, deleted=d.deleted[i:i + CHUNK], aligned=d.aligned)
    for i in range(0, len(d.inserted), CHUNK):
        yield TableDiff(d.table, inserted=d.inserted[i:i + CHUNK], aligned=d.aligned)


def _update_columns(t: Any, d: TableDiff) -> list[str]:
    """The columns an updated row of ``t`` is read with: those the field changed in any row,
    the key and the stamps the merge sets (in the order of ``all_columns``)."""
    wanted = {t.key, "updated_at", "updated_by"}
    for changed in d.updated.values():
        wanted.update(changed)
    return [c for c in all_columns(t) if c in wanted]


# The progress bar (0-100): each phase's share, in the order they run.
PHASE_SHARES = {"compare": (0, 40), "merge": (40, 45), "copy": (45, 50), "apply": (50, 60),
                "photos": (60, 95), "check": (95, 100)}


class SyncJob:
    """One check-in, run inside the caller's transaction (attached: f = package, b = base)."""

    def __init__(self, store: Store, pkg: reg.PackageRecord, pkg_path: Path,
                 parent: str | None, prefer: str | None, user: str, prog: Progress) -> None:
        self.store, self.conn, self.pkg, self.pkg_path = store, store.conn, pkg, pkg_path
        self.parent, self.prefer, self.user, self.prog = parent, prefer, user, prog
        self.run_uuid = new_uuid()
        self.stamp = now_iso()
        self.timings: dict[str, float] = {}
        self.normal: dict[str, dict[str, str]] = {}
        self.full_check = False
        self.base_path = pkg_path
        self._copies: list[reg.DatabaseCopy] = []
        self._keep: Path | None = None
        self._photo_counts: dict[str, dict[str, int]] = {}
        self._photo_notes: list[Text] = []
        self._clock = time.perf_counter()  # the end of the last timed step (see _tick)
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
                msg("{table} was rewritten by another tool (types of {names} changed); its values "
                    "are compared by meaning", table=table, names=', '.join(sorted(cols))))

    def _tick(self, timing: str) -> None:
        """Add the time since the previous tick (or the start) to ``timings[timing]``."""
        now = time.perf_counter()
        self.timings[timing] = self.timings.get(timing, 0.0) + now - self._clock
        self._clock = now

    def _share(self, phase: str) -> Progress:
        """The phase's own progress: its ``done`` of ``total`` fills the phase's share."""
        lo, hi = PHASE_SHARES[phase]
        return Progress(lambda d, n, m: self.prog.update(lo + (hi - lo) * d // max(n, 1),
                                                         100, m))

    def run(self, *, dry_run: bool, backup: bool) -> SyncReport:
        self._clock = time.perf_counter()
        backup_path = None
        if not dry_run:
            reg.prune_bases(self.store.path, self.conn, self.pkg.package_uuid)
            if backup:
                backup_path = reg.backup_dir(self.store.path) / \
                    f"{self.stamp[:19].replace(':', '')}-{self.run_uuid[:8]}.gpkg"
        try:
            return self._run(dry_run, backup_path)
        except BaseException:
            for copy in self._copies:
                copy.abandon()
            for p in (self._keep, backup_path):
                if p is not None:
                    reg.discard(p)
            raise

    def _run(self, dry_run: bool, backup_path: Path | None) -> SyncReport:
        """The phases in order; each owns its share of the progress bar and its timing."""
        if backup_path is not None:
            self._start_backup(backup_path)
        diffs = self._compare()
        merged = self._merge(diffs)
        if merged is None:  # nothing to do, or this content was synced before
            return self._finish_early()
        plan = merged  # the rows read for the merge are gone: only the plan is kept
        if dry_run:
            return self._finish_dry_run(plan)
        full = self._copy_backup(diffs)
        ids, before = self._apply(plan, backup_path)
        self._copy_base(diffs, full)
        self._record(plan, ids, before, backup_path)
        self._check(plan)
        return self.report

    # -- the phases --------------------------------------------------------------------------
    def _start_backup(self, backup_path: Path) -> None:
        """copy: the backup of the master starts in a background thread, beside the
        comparison (SQLite's online backup; see DatabaseCopy); the copy phase waits for it."""
        self._copies.append(reg.DatabaseCopy(self.conn, "main", self.store.path, backup_path))

    def _compare(self) -> dict[str, TableDiff]:
        """compare: the field's changes against the base, by content (two threads)."""
        diffs = diff_tables(self.base_path, self.pkg_path, DATA_TABLES, self.normal,
                            self._share("compare"), workers=min(2, os.cpu_count() or 1))
        for t in DATA_TABLES:
            if diffs[t.name].unkeyed:
                self.report.notes.append(
                    msg("{table}: {unkeyed} changed row(s) without a uuid cannot be matched and "
                        "were left out", table=t.name, unkeyed=diffs[t.name].unkeyed))
        for name in ("work_order", "work_order_asset", "work_order_event"):
            n = self.conn.execute(f"SELECT count(*) FROM f.{gpkg.quote_ident(name)}").fetchone()[0]
            if n:
                self.report.notes.append(msg("{name}: {n} row(s) in the package are not synced "
                                             "(work orders are managed in the office)", name=name,
                                             n=n))
        self._tick("compare")
        return diffs

    def _merge(self, diffs: dict[str, TableDiff]) -> Plan | None:
        """merge: the package refused if its row identities are damaged; the changed rows of
        the three sides (the sync id made from the field's), the plan checked against the
        master; None if there is nothing to do or this content was synced before (no check)."""
        rep = self.report
        check_identities(self.conn, diffs, str(self.pkg_path))
        if not any(diffs.values()):
            rep.status = "nothing-to-do"
            parent = reg.run_by_uuid(self.conn, self.parent) if self.parent else None
            rep.sync_id = parent.sync_id if parent else None
            return None
        self._share("merge").update(0, 1, msg("merging"))
        merger = Merger(self.prefer, self.pkg.surveyor or "", self.stamp)
        sync_id = SyncId(self.pkg.package_uuid, self.parent)
        for t in DATA_TABLES:  # the changed rows stream through, CHUNK at a time
            for part in _parts(diffs[t.name]):
                inputs = self._inputs(t, part)
                sync_id.add(t.name, part, inputs.field, inputs.field_new)
                merger.merge_table(inputs)
        rep.sync_id = sync_id.hexdigest()
        earlier = reg.applied_run_with_id(self.conn, rep.sync_id)
        if earlier is not None:  # the plan is dropped: nothing checked or written
            rep.status, rep.sync_uuid = "already-synced", earlier.sync_uuid
            rep.notes.append(msg("this package content was synced on {applied_at}",
                                 applied_at=zoned_time(earlier.applied_at)))
            return None
        plan = merger.plan
        check_plan(self.conn, plan, self.stamp, self.pkg.surveyor or "")
        rep.add_filled(fill_plan_location(self.store, plan.changes))
        self._drop_repeated_conflicts(plan)
        plan.notes += restore_condition_before(self.conn, [
            (c.uuid, c.values) for c in plan.changes
            if c.table == "maintenance_record" and c.action == "insert"])
        apply_inspections(self.store, plan, self.stamp, self.pkg.surveyor or "")
        self._tick("merge")
        return plan

    def _copy_backup(self, diffs: dict[str, TableDiff]) -> bool:
        """copy, before the first write: the master read whole by the backup (its flush to
        the disk is waited for before the commit, ``_copy_base``); the whole package copied as
        the next base when a layer was rewritten (returns whether it is)."""
        self._share("copy").update(0, 1, msg("backup copy"))
        for copy in self._copies:  # the master read whole before the first write (the
            copy.wait_read()      # copy's flush to the disk runs beside the writes)
        full = needs_full_copy(diffs, bool(self.normal))
        if full:  # a rewritten layer: keep the whole package as the next base
            folder = reg.package_dir(self.store.path, self.pkg.package_uuid)
            self._keep = folder / f"base-{self.run_uuid}.gpkg"
            self._copies.append(reg.DatabaseCopy(self.conn, "f", self.pkg_path, self._keep))
        self._tick("copies")
        return full

    def _apply(self, plan: Plan, backup_path: Path | None) -> tuple[list[str], dict[str, Any]]:
        """apply: the plan written through the store, the journal and the conflicts;
        returns the conflicts' ids and the file's state before."""
        self.report.backup = str(backup_path) if backup_path else None
        before = capture_state(self.conn)
        journal = JournalWriter(self.conn, self.run_uuid)  # written batch by batch
        journal(apply_plan(self.store, plan, self._share("apply"), emit=journal))
        self._tick("apply")
        photos, found = load_photos(self.store, photo_refs(self.store, plan),
                                    self.pkg_path.parent, surveyor=self.pkg.surveyor or "",
                                    stamp=self.stamp, progress=self._share("photos"))
        journal(photos)
        self._photos_found(found.to_json() if found else {}, len(photos))
        self._tick("photos")
        self.report.journal_entries = journal.written
        ids = write_conflicts(self.conn, self.run_uuid, self.pkg.package_uuid, plan.conflicts,
                              self.user, self.stamp)
        self._tick("apply")
        return ids, before

    def _copy_base(self, diffs: dict[str, TableDiff], full: bool) -> None:
        """copy, after the writes: the base its next sync merges against kept (a delta of
        the changed rows, copied from the package before it is marked, or the whole copy)
        and the package marked with this run."""
        for copy in self._copies:  # every copy on the disk before the package is marked
            copy.wait()           # and the sync commits (the backup's flush ends here)
        if not full:
            folder = reg.package_dir(self.store.path, self.pkg.package_uuid)
            self._keep = write_delta(folder / f"delta-{self.run_uuid}.gpkg", self.pkg_path,
                                     diffs)
        self._mark_package()
        self._tick("copies")

    def _record(self, plan: Plan, ids: list[str], before: dict[str, Any],
                backup_path: Path | None) -> None:
        """The report's counts and conflicts, and the run in ``sync_run`` (timed with the
        check that follows)."""
        rep = self.report
        assert rep.sync_id is not None  # set by the merge phase
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

    def _check(self, plan: Plan) -> None:
        """check: the integrity of the tables written (the whole file with --full-check)."""
        self._share("check").update(0, 1, msg("checking the file"))
        touched = sorted({c.table for c in plan.changes}
                         | {"sync_journal", "sync_conflict", "sync_run", "gpkg_contents"}
                         | ({"attachment"} if self.report.photos.get("loaded") else set()))
        self.report.integrity = integrity_check(self.conn, str(self.store.path), touched,
                                                self.full_check)
        self._tick("check")

    # -- helpers -----------------------------------------------------------------------------
    def _inputs(self, t: Any, d: TableDiff) -> TableInput:
        """The rows the merge reads. An updated row is read with only the columns the field
        changed in the table (and the key and stamps): a sync of 10,000 edits reads a few
        values a row, not whole rows three times. Whole rows are read where the merge keeps
        whole rows: deletes, new rows, and an edit of a row the master deleted."""
        conn, cols = self.conn, all_columns(t)
        slim = _update_columns(t, d)
        base = fetch_rows(conn, "b", t, d.updated, slim)
        field = fetch_rows(conn, "f", t, d.updated, slim)
        master = fetch_rows(conn, "main", t, d.updated, slim)
        gone = [u for u in d.updated if u not in master]  # edit/delete: whole rows
        if gone and slim != cols:
            base.update(fetch_rows(conn, "b", t, gone, cols))
            field.update(fetch_rows(conn, "f", t, gone, cols))
        new_keys = [n.uuid for n in d.inserted if n.uuid]
        base.update(fetch_rows(conn, "b", t, d.deleted, cols))
        master.update(fetch_rows(conn, "main", t, [*d.deleted, *new_keys], cols))
        field_new = fetch_by_rowid(conn, "f", t, [n.rowid for n in d.inserted], cols)
        return TableInput(t, d, base, field, field_new, master)

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
                self.report.notes.append(msg("{table} {uuid} {field}: the conflict from an earlier "
                                             "sync is still open", table=c.table, uuid=c.uuid,
                                             field=c.field))
            else:
                keep.append(c)
        plan.conflicts = keep

    def _mark_package(self) -> bool:
        """Write the run id into the package, in this transaction; False if the package
        cannot be written."""
        conn = self.conn
        conn.execute("SAVEPOINT sync_package_mark")
        try:
            conn.execute("INSERT OR REPLACE INTO f.citymgr_meta (key, value) VALUES (?, ?)",
                         (reg.META_BASE, self.run_uuid))
        except sqlite3.DatabaseError as exc:
            conn.execute("ROLLBACK TO sync_package_mark")
            conn.execute("RELEASE sync_package_mark")
            self.report.notes.append(
                msg("the package could not be marked as synced ({reason}); the next sync of this "
                    "copy compares it with an earlier base (nothing is lost, but settled conflicts "
                    "may be shown again)", reason=exc))
            return False
        conn.execute("RELEASE sync_package_mark")
        return True

    def _fill(self, plan: Plan, ids: list[str] | None) -> None:
        rep = self.report
        rep.counts = counts(plan)
        for layer, n in self._photo_counts.items():
            mine = rep.counts.setdefault(layer, dict.fromkeys(n, 0))
            for k, v in n.items():
                mine[k] += v
        for i, c in enumerate(plan.conflicts):
            c.conflict_uuid = ids[i] if ids else None
        rep.conflicts = plan.conflicts
        rep.removed = removed_assets((c.table, c.uuid, c.action) for c in plan.changes)
        rep.notes += plan.notes + self._photo_notes
        rep.timings = self.timings

    def _finish_dry_run(self, plan: Plan) -> SyncReport:
        self.report.status = "dry-run"
        found = preview_photos(photo_refs(self.store, plan), self.pkg_path.parent)
        self._photos_found(found.to_json() if found else {}, found.loaded)
        self._fill(plan, None)
        return self.report

    def _photos_found(self, photos: dict[str, Any], loaded: int) -> None:
        """The photos' part of the report: its section, the attachment count, the notes."""
        self.report.photos = photos
        if loaded:
            layer = self._photo_counts.setdefault("attachment", {
                "insert": 0, "update": 0, "delete": 0, "retire": 0, "conflict": 0})
            layer["insert"] += loaded
        for p in photos.get("problems", []):
            self._photo_notes.append(msg("photo {path} of {table} {uuid} ({reason}): {message}",
                                         path=p["path"], table=p["table"], uuid=p["uuid"],
                                         reason=REASONS.get(p["reason"], p["reason"]),
                                         message=p["message"]))

    def _finish_early(self) -> SyncReport:
        for copy in self._copies:  # nothing will be written: no backup needed
            copy.abandon()
        self._copies.clear()
        self.report.timings = self.timings
        return self.report

    def after_commit(self) -> None:
        if self.report.status == "applied":
            reg.prune_backups(self.store.path)


