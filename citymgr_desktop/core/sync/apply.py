"""Write a merge plan into the master inside the caller's transaction, and journal it.

Changes go through the store (``Store.apply`` with deltas: validation, component codes, PCI
grade, rtree and ``gpkg_contents`` bookkeeping) in four phases that respect the history
links: record deletes, asset inserts and updates, record inserts and updates, asset deletes.
Each phase is tried as a batch; if the store refuses it, the phase is replayed row by row
under savepoints and only the refused rows become ``rejected`` conflicts. The journal is the
raw difference of every touched row before and after, so undo restores the exact bytes.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, CitymgrError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.sync.diff import all_columns, fetch_rows
from citymgr_desktop.core.sync.merge import ROW, Change, Conflict, Plan
from citymgr_desktop.core.sync.schema import DATA_TABLES
from citymgr_desktop.core.sync.values import BlobRef, blob_digest, for_store

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

# What the check after a sync reads: the tables it wrote (with their indexes), never the
# rest of the file, which Store.open's quick_check found whole before the first write. Up to
# this size each written table gets PRAGMA integrity_check(table) (pages, records and every
# index entry against its row); above it quick_check(table) (pages and records: checking
# each index entry costs ~8 s for litter_bin alone at 1M features). --full-check: the whole
# file's integrity_check.
FULL_CHECK_BYTES = 64 * 1024 * 1024

BATCH = 250  # changes written (and their whole rows read for the journal) at a time


@dataclass(frozen=True, slots=True)
class JournalEntry:
    table: str
    uuid: str
    action: str  # insert | update | delete
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def phase(change: Change) -> int:
    """Order of application: record deletes, assets, records, asset deletes."""
    asset = change.table in sc.ASSET_TABLES_BY_NAME
    if not asset:
        return 0 if change.action == "delete" else 2
    return 3 if change.action == "delete" else 1


def to_delta(change: Change) -> Delta:
    values = {c: for_store(c, v) for c, v in change.values.items()}
    if change.action == "insert":
        return Delta(change.table, change.uuid, None, values)
    if change.action == "delete":
        return Delta(change.table, change.uuid, {}, None)
    return Delta(change.table, change.uuid, {}, values)


def capture_state(conn: sqlite3.Connection) -> dict[str, Any]:
    """Extents, last_change and AUTOINCREMENT counters of the data tables (undo puts them back)."""
    names = [t.name for t in DATA_TABLES]
    marks = ",".join("?" * len(names))
    contents = {r[0]: list(r[1:]) for r in conn.execute(
        f"SELECT table_name, min_x, min_y, max_x, max_y, last_change FROM gpkg_contents "
        f"WHERE table_name IN ({marks})", names)}
    sequence = {r[0]: r[1] for r in conn.execute(
        f"SELECT name, seq FROM sqlite_sequence WHERE name IN ({marks})", names)}
    return {"contents": contents, "sequence": sequence}


def restore_state(conn: sqlite3.Connection, state: dict[str, Any]) -> None:
    for name, (minx, miny, maxx, maxy, last) in state.get("contents", {}).items():
        conn.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
                     "last_change=? WHERE table_name=?", (minx, miny, maxx, maxy, last, name))
    seqs = state.get("sequence", {})
    for t in DATA_TABLES:
        if t.name in seqs:
            conn.execute("UPDATE sqlite_sequence SET seq=? WHERE name=?", (seqs[t.name], t.name))
        else:
            conn.execute("DELETE FROM sqlite_sequence WHERE name=?", (t.name,))


def snapshot_rows(conn: sqlite3.Connection, keys: dict[str, list[str]], *,
                  blob_refs: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """Raw rows by (table, uuid). ``blob_refs``: attachment content as a BlobRef of its stored
    SHA-256 (undo's checks compare hundreds of photos without loading them)."""
    out = {}
    for name, uuids in keys.items():
        t = sc.table(name)
        cols = all_columns(t)
        refs = blob_refs and name == "attachment"
        if refs:
            cols = [c for c in cols if c != "content"]
        for u, row in fetch_rows(conn, "main", t, uuids, cols).items():
            out[(name, u)] = row
        if refs:
            has = dict(gpkg.select_in(conn, "SELECT attachment_uuid, content IS NOT NULL FROM "
                                            "main.attachment WHERE attachment_uuid IN ({marks})",
                                      uuids))
            for u in uuids:
                if (name, u) in out:
                    row = out[(name, u)]
                    row["content"] = BlobRef(row["sha256"]) if has.get(u) else None
    return out


def same_value(a: Any, b: Any) -> bool:
    """Exact equality of stored values (type and bytes), as undo needs; bytes and a BlobRef
    are equal when the bytes have its SHA-256."""
    if isinstance(a, BlobRef) or isinstance(b, BlobRef):
        return blob_digest(a) is not None and blob_digest(a) == blob_digest(b)
    if isinstance(a, memoryview):
        a = bytes(a)
    if isinstance(b, memoryview):
        b = bytes(b)
    return type(a) is type(b) and a == b


def _unchanged(a: Any, b: Any) -> bool:
    """same_value, with the common case (two values of one plain type) first."""
    if type(a) is type(b) and not isinstance(a, BlobRef):
        return bool(a == b)
    return same_value(a, b)


def journal_entry(table: str, uuid: str, before: dict | None, after: dict | None
                  ) -> JournalEntry | None:
    if before is None and after is None:
        return None
    if before is None:
        return JournalEntry(table, uuid, "insert", None, after)
    if after is None:
        return JournalEntry(table, uuid, "delete", before, None)
    changed = [c for c in after if not _unchanged(before.get(c), after[c])]
    if not changed:
        return None
    return JournalEntry(table, uuid, "update", {c: before.get(c) for c in changed},
                        {c: after[c] for c in changed})


Slot = JournalEntry | tuple[str, str] | None  # an entry, or a row waiting for its last change


def apply_plan(store: Store, plan: Plan, progress: Progress | None = None,
               on_step: Callable[[int], None] | None = None,
               emit: Callable[[list[JournalEntry]], None] | None = None,
               ) -> list[JournalEntry]:
    """Apply ``plan.changes`` (refused ones move to ``plan.conflicts``); the journal entries.

    Changes are written in batches of :data:`BATCH`, each row read before and after its own
    batch, so memory follows the batch, not the sync. A row with several changes (an edit
    and the inspection rule's condition) is read before the first batch and after the last.
    Entries come in the order the rows were written, one per row. ``emit``: takes the entries
    as soon as they and all before them are known (after each batch, so the journal is
    written as the rows are and its entries are not held); the rest are returned.
    """
    prog = ensure(progress)
    conn = store.conn
    times = Counter((ch.table, ch.uuid) for ch in plan.changes)
    repeated = [key for key, n in times.items() if n > 1]
    before_all = snapshot_rows(conn, _by_table(repeated))
    by_phase: dict[int, list[Change]] = defaultdict(list)
    for ch in plan.changes:
        by_phase[phase(ch)].append(ch)
    slots: list[Slot] = []  # a key: filled in at the end
    seen: set[tuple[str, str]] = set()
    done = 0
    for p in sorted(by_phase):
        changes = by_phase[p]
        for i in range(0, len(changes), BATCH):
            batch = changes[i:i + BATCH]
            single = [(ch.table, ch.uuid) for ch in batch if times[(ch.table, ch.uuid)] == 1]
            before = snapshot_rows(conn, _by_table(single))
            refused = _apply_batch(store, batch)
            for ch, exc in refused:
                plan.changes.remove(ch)
                plan.conflicts.append(_rejected(ch, exc))
            after = snapshot_rows(conn, _by_table(single))
            left_out = {id(ch) for ch, _ in refused}
            for ch in batch:
                key = (ch.table, ch.uuid)
                if id(ch) in left_out or key in seen:
                    continue
                seen.add(key)
                slots.append(key if times[key] > 1 else
                             journal_entry(ch.table, ch.uuid, before.get(key), after.get(key)))
            if emit is not None:
                slots = _emit_ready(slots, emit)
            done += len(batch)
            prog.update(done, len(plan.changes) or 1, msg("writing changes"))
            if on_step is not None:
                on_step(done)
    after_all = snapshot_rows(conn, _by_table(repeated))
    entries = []
    for slot in slots:
        if isinstance(slot, tuple):
            slot = journal_entry(slot[0], slot[1], before_all.get(slot), after_all.get(slot))
        if slot is not None:
            entries.append(slot)
    return entries


def _emit_ready(slots: list[Slot], emit: Callable[[list[JournalEntry]], None]) -> list[Slot]:
    """Hand ``emit`` the entries before the first row still waiting for its last change;
    returns the slots left."""
    ready = next((i for i, slot in enumerate(slots) if isinstance(slot, tuple)), len(slots))
    entries = [slot for slot in slots[:ready] if isinstance(slot, JournalEntry)]
    if entries:
        emit(entries)
    return slots[ready:]


def _by_table(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for table, uuid in keys:
        out[table].append(uuid)
    return out


def _apply_batch(store: Store, changes: list[Change]) -> list[tuple[Change, CitymgrError]]:
    conn = store.conn
    conn.execute("SAVEPOINT sync_batch")
    try:
        store.apply([to_delta(c) for c in changes])
    except CitymgrError:
        conn.execute("ROLLBACK TO sync_batch")
        conn.execute("RELEASE sync_batch")
    else:
        conn.execute("RELEASE sync_batch")
        return []
    refused = []
    for ch in changes:  # find the rows the store refuses; keep the others
        conn.execute("SAVEPOINT sync_row")
        try:
            store.apply([to_delta(ch)])
        except CitymgrError as exc:
            conn.execute("ROLLBACK TO sync_row")
            refused.append((ch, exc))
        conn.execute("RELEASE sync_row")
    return refused


def _rejected(ch: Change, exc: CitymgrError) -> Conflict:
    value = dict(ch.values) if ch.action != "delete" else None
    return Conflict(ch.table, ch.uuid, ROW, "rejected", None, None, value,
                    msg("the master refused the {action}: {reason}", action=ch.action,
                        reason=exc))


def counts(plan: Plan) -> dict[str, dict[str, int]]:
    """Per layer: insert, update, delete, retire and conflict counts."""
    out: dict[str, dict[str, int]] = {}
    for t in DATA_TABLES:
        out[t.name] = {"insert": 0, "update": 0, "delete": 0, "retire": 0, "conflict": 0}
    for ch in plan.changes:
        out[ch.table][ch.action] += 1
    for c in plan.conflicts:
        out[c.table]["conflict"] += 1
    return {k: v for k, v in out.items() if any(v.values())}


def integrity_check(conn: sqlite3.Connection, path: str, tables: list[str],
                    full: bool = False) -> str:
    """The check after a write: ``PRAGMA main.integrity_check`` of the whole file when
    ``full``, else of each table in ``tables`` up to FULL_CHECK_BYTES and ``quick_check`` of
    each above; raises BadFileError unless SQLite answers ``ok``. Returns what ran."""
    import os

    size = os.path.getsize(path) if os.path.exists(path) else 0
    if full:
        checks = [("integrity_check", "PRAGMA main.integrity_check")]
    else:
        pragma = "integrity_check" if size <= FULL_CHECK_BYTES else "quick_check"
        checks = [(f"{pragma}({t})", f"PRAGMA main.{pragma}({gpkg.quote_ident(t)})")
                  for t in tables]
    for _, sql in checks:
        rows = [r[0] for r in conn.execute(sql).fetchall()]
        if rows != ["ok"]:
            raise BadFileError("{path}: the integrity check failed after the sync ({problems}); "
                               "nothing was changed",
                               path=path, problems='; '.join(map(str, rows[:3])))
    return ", ".join(name for name, _ in checks) or "none"
