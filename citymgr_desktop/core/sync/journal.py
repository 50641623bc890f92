"""The sync journal and conflict table in the master, and undo of a whole run.

Every run writes one journal row per changed row with the raw old and new values (the
geometry blob included); undo replays the journal backwards with plain row-level SQL inside
one transaction: deleted rows come back with their fid, updates get their old bytes, inserts
go, and the layer extents and AUTOINCREMENT counters return to what they were. Undo is
refused, naming the row, when something touched by the run has changed since.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import new_uuid, now_iso, zoned_time
from citymgr_desktop.core.errors import CitymgrError, ConflictError, ValidationError
from citymgr_desktop.core.history.photos import inside, read_file
from citymgr_desktop.core.messages import Message, joined, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import create as project
from citymgr_desktop.core.store.files import is_file_error
from citymgr_desktop.core.store.write import restore_row
from citymgr_desktop.core.sync.apply import (
    JournalEntry,
    capture_state,
    restore_state,
    same_value,
    snapshot_rows,
)
from citymgr_desktop.core.sync.merge import Conflict
from citymgr_desktop.core.sync.registry import RunRecord
from citymgr_desktop.core.sync.values import BlobRef, dumps, dumps_row, loads_row

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

q = gpkg.quote_ident


def write_journal(conn: sqlite3.Connection, sync_uuid: str,
                  entries: Iterable[JournalEntry], first: int = 1) -> int:
    """Insert the entries in order (seq ``first``, ``first`` + 1, ...); their JSON is made
    row by row as SQLite takes them, never all at once. Returns how many."""
    written = 0

    def rows() -> Iterator[tuple[Any, ...]]:
        nonlocal written
        for written, e in enumerate(entries, start=1):
            yield (sync_uuid, first + written - 1, e.table, e.uuid, e.action, dumps_row(e.old),
                   dumps_row(e.new))

    conn.executemany("INSERT INTO sync_journal (sync_uuid, seq, table_name, row_uuid, action, "
                     "old_values, new_values) VALUES (?,?,?,?,?,?,?)", rows())
    return written


class JournalWriter:
    """A run's journal written as its entries come (a sync of 10,000 rows holds one batch of
    entries, not all of them): each call appends after the ones before."""

    def __init__(self, conn: sqlite3.Connection, sync_uuid: str) -> None:
        self.conn, self.sync_uuid = conn, sync_uuid
        self.written = 0

    def __call__(self, entries: Iterable[JournalEntry]) -> None:
        self.written += write_journal(self.conn, self.sync_uuid, entries, self.written + 1)


def read_journal(conn: sqlite3.Connection, sync_uuid: str) -> list[JournalEntry]:
    return [JournalEntry(t, u, a, loads_row(o), loads_row(n)) for t, u, a, o, n in conn.execute(
        "SELECT table_name, row_uuid, action, old_values, new_values FROM sync_journal "
        "WHERE sync_uuid = ? ORDER BY seq", (sync_uuid,))]


def write_conflicts(conn: sqlite3.Connection, sync_uuid: str, package_uuid: str | None,
                    conflicts: Iterable[Conflict], user: str, stamp: str) -> list[str]:
    """Store conflicts (settled ones as resolved); returns their uuids in order."""
    rows, ids = [], []
    for c in conflicts:
        cid = new_uuid()
        ids.append(cid)
        chosen = {"master": c.master, "field": c.field_value}.get(c.resolution or "")
        rows.append((cid, sync_uuid, package_uuid, c.table, c.uuid, c.field, c.kind,
                     value_json(c.ancestor), value_json(c.master), value_json(c.field_value), str(c.message)[:500],
                     "resolved" if c.resolution else "open", c.resolution,
                     value_json(chosen) if c.resolution else None,
                     stamp if c.resolution else None, user if c.resolution else None,
                     sync_uuid if c.resolution else None))
    conn.executemany(
        "INSERT INTO sync_conflict (conflict_uuid, sync_uuid, package_uuid, table_name, "
        "row_uuid, field_name, kind, ancestor_value, master_value, field_value, message, state, "
        "resolution, resolved_value, resolved_at, resolved_by, resolve_sync_uuid) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return ids


def value_json(value: Any) -> str:
    """A conflict value as stored: a whole row as a JSON object, else one raw value."""
    if isinstance(value, dict):
        return dumps_row(value) or "null"
    return dumps(value)


def _current(conn: sqlite3.Connection, entries: list[JournalEntry]
             ) -> dict[tuple[str, str], dict[str, Any]]:
    keys: dict[str, list[str]] = {}
    for e in entries:
        keys.setdefault(e.table, []).append(e.uuid)
    return snapshot_rows(conn, keys, blob_refs=True)


def changed_since(conn: sqlite3.Connection, entries: list[JournalEntry]) -> list[Message]:
    """Rows the run wrote that no longer hold what it wrote, one line each."""
    now = _current(conn, entries)
    out = []
    for e in entries:
        cur = now.get((e.table, e.uuid))
        if e.action == "delete":
            if cur is not None:
                out.append(msg("{table} {uuid} was added again", table=e.table, uuid=e.uuid))
            continue
        if cur is None:
            out.append(msg("{table} {uuid} was deleted", table=e.table, uuid=e.uuid))
            continue
        assert e.new is not None
        diff = [c for c, v in e.new.items() if c != "fid" and not same_value(cur.get(c), v)]
        if diff:
            out.append(msg("{table} {uuid} ({fields}) was edited", table=e.table, uuid=e.uuid,
                           fields=", ".join(diff[:4])))
    return out


def undo_entries(conn: sqlite3.Connection, entries: list[JournalEntry],
                 progress: Progress | None = None) -> None:
    """Replay ``entries`` backwards with raw SQL (the caller holds the transaction)."""
    prog = ensure(progress)
    touched = set()
    for i, e in enumerate(reversed(entries), start=1):
        t = sc.table(e.table)
        try:
            if e.action == "insert":
                restore_row(conn, t, e.uuid, None)
            else:
                assert e.old is not None
                restore_row(conn, t, e.uuid, e.old, insert=e.action == "delete")
        except sqlite3.DatabaseError as exc:
            if is_file_error(exc):  # a full disk, a lock, a damaged page: the session says so
                raise
            raise ConflictError("cannot undo: {table} {uuid} cannot be put back ({reason}); "
                                "nothing was changed", table=e.table, uuid=e.uuid, reason=exc) from None
        touched.add(t.name)
        if i % 500 == 0:
            prog.update(i, len(entries), msg("undoing"))
    for name in touched:
        gpkg.touch_contents(conn, name)


def undo_run(store: Store, run: RunRecord, user: str, progress: Progress | None = None
             ) -> int:
    """Undo a whole applied run in the caller's transaction; returns the rows restored."""
    conn = store.conn
    if run.state != "applied":
        raise ValidationError("sync {sync_id} was already undone ({undone_at})",
                              sync_id=run.sync_id, undone_at=zoned_time(run.undone_at))
    later = conn.execute(
        "SELECT DISTINCT r.sync_id FROM sync_conflict c JOIN sync_run r "
        "ON r.sync_uuid = c.resolve_sync_uuid WHERE c.sync_uuid = ? AND r.state = 'applied' "
        "AND r.sync_uuid != ?", (run.sync_uuid, run.sync_uuid)).fetchall()
    if later:
        raise ConflictError("conflicts of sync {sync_id} were resolved later (run {later}); "
                            "undo that resolution first", sync_id=run.sync_id, later=later[0][0])
    entries = read_journal(conn, run.sync_uuid)
    problems = changed_since(conn, entries)
    if problems:
        shown = joined(problems[:3], "; ", "；")
        if len(problems) > 3:
            raise ConflictError("cannot undo sync {sync_id}: {problems} and {more} more since; "
                                "undo the later changes first. Nothing was changed",
                                sync_id=run.sync_id, problems=shown, more=len(problems) - 3)
        raise ConflictError("cannot undo sync {sync_id}: {problems} since; undo the later "
                            "changes first. Nothing was changed",
                            sync_id=run.sync_id, problems=shown)
    state_now = capture_state(conn)
    undo_entries(conn, entries, progress)
    _restore_bookkeeping(conn, run, state_now)
    stamp = now_iso()
    conn.execute("UPDATE sync_run SET state = 'undone', undone_at = ?, undone_by = ? "
                 "WHERE sync_uuid = ?", (stamp, user or None, run.sync_uuid))
    conn.execute("UPDATE sync_conflict SET state = 'void' WHERE sync_uuid = ?",
                 (run.sync_uuid,))
    conn.execute("UPDATE sync_conflict SET state = 'open', resolution = NULL, "
                 "resolved_value = NULL, resolved_at = NULL, resolved_by = NULL, "
                 "resolve_sync_uuid = NULL WHERE resolve_sync_uuid = ? AND sync_uuid != ?",
                 (run.sync_uuid, run.sync_uuid))
    return len(entries)


def redo_run(store: Store, run: RunRecord, progress: Progress | None = None) -> int:
    """Apply an undone run again from its journal (the caller holds the transaction); refused
    when the rows it touches are no longer as the undo left them."""
    conn = store.conn
    if run.state != "undone":
        raise ValidationError("sync {sync_id} is applied; there is nothing to redo",
                              sync_id=run.sync_id)
    if run.kind == "sync" and conn.execute(
            "SELECT 1 FROM sync_run WHERE sync_id = ? AND state = 'applied'",
            (run.sync_id,)).fetchone():
        raise ConflictError("the package of sync {sync_id} was synced again since; nothing was "
                            "changed", sync_id=run.sync_id)
    entries = read_journal(conn, run.sync_uuid)
    now = _current(conn, entries)
    problems: list[Message] = []
    for e in entries:
        cur = now.get((e.table, e.uuid))
        if e.action == "insert":
            if cur is not None:
                problems.append(msg("{table} {uuid} exists again", table=e.table, uuid=e.uuid))
        elif cur is None:
            problems.append(msg("{table} {uuid} was deleted", table=e.table, uuid=e.uuid))
        elif any(c != "fid" and not same_value(cur.get(c), v) for c, v in (e.old or {}).items()):
            problems.append(msg("{table} {uuid} was edited", table=e.table, uuid=e.uuid))
    resolved = run.restore_state.get("resolved", [])
    if resolved:
        open_ = {r[0] for r in conn.execute("SELECT conflict_uuid FROM sync_conflict "
                                            "WHERE state = 'open'")}
        problems += [msg("conflict {conflict_uuid} is no longer open", conflict_uuid=c[0])
                     for c in resolved if c[0] not in open_]
    if problems:
        shown = joined(problems[:3], "; ", "；")
        if len(problems) > 3:
            raise ConflictError("cannot redo sync {sync_id}: {problems} and {more} more since "
                                "the undo. Nothing was changed",
                                sync_id=run.sync_id, problems=shown, more=len(problems) - 3)
        raise ConflictError("cannot redo sync {sync_id}: {problems} since the undo. Nothing "
                            "was changed", sync_id=run.sync_id, problems=shown)
    state_now = capture_state(conn)
    prog = ensure(progress)
    for i, e in enumerate(entries, start=1):
        _forward(conn, _with_bytes(e, run))
        if i % 500 == 0:
            prog.update(i, len(entries), msg("redoing"))
    for name in {e.table for e in entries}:
        gpkg.touch_contents(conn, name)
    before, after = run.restore_state.get("before"), run.restore_state.get("after")
    if before and after and before == state_now:
        restore_state(conn, after)
    else:
        for t in sc.ASSET_TABLES:
            project.refresh_extent(conn, t.name)
    conn.execute("UPDATE sync_run SET state = 'applied', undone_at = NULL, undone_by = NULL "
                 "WHERE sync_uuid = ?", (run.sync_uuid,))
    conn.execute("UPDATE sync_conflict SET state = CASE WHEN resolution IS NULL THEN 'open' "
                 "ELSE 'resolved' END WHERE sync_uuid = ? AND state = 'void'",
                 (run.sync_uuid,))
    conn.executemany("UPDATE sync_conflict SET state = 'resolved', resolution = ?, "
                     "resolved_value = ?, resolved_at = ?, resolved_by = ?, "
                     "resolve_sync_uuid = ? WHERE conflict_uuid = ?",
                     [(c[1], c[2], run.applied_at, run.applied_by, run.sync_uuid, c[0])
                      for c in resolved])
    return len(entries)


def _with_bytes(e: JournalEntry, run: RunRecord) -> JournalEntry:
    """The entry with a photo's bytes instead of their BlobRef, read again from the package's
    folder (a sync journals photos it loaded by their SHA-256, not their bytes)."""
    refs = {c: v for c, v in (e.new or {}).items() if isinstance(v, BlobRef)}
    if not refs:
        return e
    assert e.new is not None
    rel = str(e.new.get("file_path") or "")
    new = dict(e.new)
    for column, ref in refs.items():
        try:
            found = read_file(inside(Path(run.source_path or "").parent, rel), strict=False)
        except CitymgrError:
            found = None
        if found is None or found.sha256 != ref.sha256:
            raise ConflictError("cannot redo sync {sync_id}: the photo {path} is no longer in "
                                "the package folder as it was synced; nothing was changed",
                                sync_id=run.sync_id, path=rel)
        new[column] = found.data
    return JournalEntry(e.table, e.uuid, e.action, e.old, new)


def _forward(conn: sqlite3.Connection, e: JournalEntry) -> None:
    try:
        if e.action == "delete":
            restore_row(conn, sc.table(e.table), e.uuid, None)
        else:
            assert e.new is not None
            restore_row(conn, sc.table(e.table), e.uuid, e.new, insert=e.action == "insert")
    except sqlite3.DatabaseError as exc:
        if is_file_error(exc):  # a full disk, a lock, a damaged page: the session says so
            raise
        raise ConflictError("cannot redo: {table} {uuid} cannot be written again ({reason}); "
                            "nothing was changed", table=e.table, uuid=e.uuid, reason=exc) from None


def _restore_bookkeeping(conn: sqlite3.Connection, run: RunRecord,
                         state_now: dict[str, Any]) -> None:
    """Extents and counters as before the run when nothing else moved them since; otherwise
    extents are recomputed from the spatial index and counters left alone."""
    before, after = run.restore_state.get("before"), run.restore_state.get("after")
    if not before:
        return
    if after == state_now:
        restore_state(conn, before)
        return
    for t in sc.ASSET_TABLES:
        project.refresh_extent(conn, t.name)


