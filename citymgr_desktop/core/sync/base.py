"""The base (common ancestor) of a package copy, and what a sync keeps for the next one.

The check-out leaves a full frozen copy (``base.gpkg``). A sync then needs the package as it
was synced to be the base of that copy's next sync. Copying a whole package after every
sync costs a file copy (a second at a million features) and its size on disk, so a sync
keeps only a *delta*: the package's changed rows against its base (``delta-<run>.gpkg``, a
few hundred kB). The next sync of the copy rebuilds its base from the check-out copy and
the chain of deltas, in a temporary file. A package whose layers another tool rewrote (rows
no longer where the base had them) is kept whole (``base-<run>.gpkg``) instead.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.diff import CACHE_KIB, TableDiff, all_columns
from citymgr_desktop.core.sync.files import attach

q = gpkg.quote_ident
DELETED = "sync_delta_deleted"


@dataclass
class BaseChain:
    """The base of a package copy: a full file plus deltas to apply to it, oldest first."""

    parent: str | None  # the run whose result is the base; None for the check-out
    start: Path
    deltas: list[Path] = field(default_factory=list)


def base_for(master: Path, conn: sqlite3.Connection, package: reg.PackageRecord,
             marker: str | None) -> BaseChain:
    """The base of the copy whose marker names run ``marker``.

    An undone run is skipped (its parent is used), so a copy brought in again after an undo
    merges again; below the chosen run, deltas are followed whatever became of their runs:
    they describe the package's content, not the master's.
    """
    seen: set[str] = set()
    run_uuid = marker or None
    chosen = None
    while run_uuid and run_uuid not in seen:
        seen.add(run_uuid)
        run = reg.run_by_uuid(conn, run_uuid)
        if run is None or run.package_uuid != package.package_uuid:
            break  # a marker from another master copy: start from the check-out
        if run.state == "applied" and run.base_file:
            chosen = run
            break
        run_uuid = run.parent_sync_uuid
    if chosen is None:
        return BaseChain(None, _existing(master, package, package.base_file))
    deltas: list[Path] = []
    run = chosen
    while run is not None and run.base_file and run.base_file.startswith("delta-"):
        deltas.insert(0, _existing(master, package, run.base_file))
        run = reg.run_by_uuid(conn, run.parent_sync_uuid) if run.parent_sync_uuid else None
    start = package.base_file if run is None or not run.base_file else run.base_file
    return BaseChain(chosen.sync_uuid, _existing(master, package, start), deltas)


def _existing(master: Path, package: reg.PackageRecord, name: str) -> Path:
    path = reg.package_dir(master, package.package_uuid) / name
    if not path.exists():
        raise BadFileError(
            "the base copy of field package {package} is missing ({path}); it is kept in the "
            "{folder} folder beside the master; restore that folder",
            package=package.name, path=path, folder=reg.sync_dir(master).name)
    return path


def materialize(chain: BaseChain, folder: Path) -> Path:
    """A temporary file holding the base: the start copy with the deltas applied."""
    tmp = folder / f".base-work-{os.getpid()}.gpkg"
    reg.copy_file(chain.start, tmp, durable=False)  # a scratch file: never flushed to the disk
    conn = gpkg.connect(str(tmp))
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a private scratch file
        conn.execute("PRAGMA synchronous = OFF")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                    ).fetchall():
            conn.execute(f"DROP TRIGGER {q(name)}")  # only compared, never edited by a person
        for delta in chain.deltas:
            _apply_delta(conn, delta)
    except BaseException:
        conn.close()
        reg.discard(tmp)
        raise
    conn.close()
    return tmp


def _apply_delta(conn: sqlite3.Connection, delta: Path) -> None:
    conn.execute("ATTACH DATABASE ? AS d", (str(delta),))
    conn.execute("BEGIN")
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM d.sqlite_master")}
        for t in (*sc.ASSET_TABLES, sc.MAINTENANCE_RECORD, sc.ATTACHMENT):
            if t.name not in names:
                continue
            k = q(t.key)
            conn.execute(f"DELETE FROM main.{q(t.name)} WHERE {k} IN (SELECT uuid FROM "
                         f"d.{DELETED} WHERE table_name = ?) OR rowid IN (SELECT fid FROM "
                         f"d.{q(t.name)})", (t.name,))
            # a delta written before a later schema version lacks its columns: left empty
            have = {r[1] for r in conn.execute(f"PRAGMA d.table_info({q(t.name)})")}
            cols = ", ".join(q(c) for c in ["fid", *all_columns(t)] if c in have)
            conn.execute(f"INSERT INTO main.{q(t.name)} ({cols}) SELECT {cols} "
                         f"FROM d.{q(t.name)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("DETACH DATABASE d")


def write_delta(path: Path, package: Path, diffs: Mapping[str, TableDiff]) -> Path:
    """Save the package's changed rows against its base (what ``materialize`` re-applies).

    The rows are copied in SQL from the package, attached read-only to the delta's own
    connection: none of them passes through Python (the merge keeps only the columns it
    compares). Call it before the package is marked, while the package holds what was read.
    """
    with atomic_path(path) as tmp:
        _write_delta_file(tmp, package, diffs)
    return path


def _write_delta_file(tmp: Path, package: Path, diffs: Mapping[str, TableDiff]) -> None:
    conn = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        # a new file under a temporary name: atomic_path flushes it whole and renames it, so
        # SQLite's rollback journal and its syncs (4 per delta) would protect nothing
        conn.execute("PRAGMA main.journal_mode = OFF")
        conn.execute("PRAGMA main.synchronous = OFF")
        attach(conn, package, "f", read_only=True)
        for schema in ("main", "f", "temp"):  # rows looked up and appended: small caches do
            conn.execute(f"PRAGMA {schema}.cache_size = -{CACHE_KIB}")
        conn.execute("BEGIN")
        conn.execute(f"CREATE TABLE main.{DELETED} (table_name TEXT, uuid TEXT)")
        conn.execute("CREATE TEMP TABLE sync_delta_keys (k TEXT PRIMARY KEY)")
        conn.execute("CREATE TEMP TABLE sync_delta_rowids (r INTEGER PRIMARY KEY)")
        for name, d in diffs.items():
            t = sc.table(name)
            cols = all_columns(t)
            conn.execute(f"CREATE TABLE main.{q(name)} "
                         f"({', '.join(q(c) for c in ['fid', *cols])})")
            conn.execute("DELETE FROM temp.sync_delta_keys")
            conn.execute("DELETE FROM temp.sync_delta_rowids")
            conn.executemany("INSERT OR IGNORE INTO temp.sync_delta_keys VALUES (?)",
                             [(u,) for u in d.updated])
            conn.executemany("INSERT OR IGNORE INTO temp.sync_delta_rowids VALUES (?)",
                             [(n.rowid,) for n in d.inserted])
            sel = ", ".join(f"o.{q(c)}" for c in cols)
            # one row per uuid, the lowest rowid (as the merge read it)
            conn.execute(f"INSERT INTO main.{q(name)} SELECT min(o.rowid), {sel} "
                         f"FROM f.{q(name)} o WHERE o.{q(t.key)} IN "
                         "(SELECT k FROM temp.sync_delta_keys) GROUP BY o." + q(t.key))
            conn.execute(f"INSERT INTO main.{q(name)} SELECT o.rowid, {sel} FROM f.{q(name)} o "
                         "WHERE o.rowid IN (SELECT r FROM temp.sync_delta_rowids)")
            conn.executemany(f"INSERT INTO main.{DELETED} VALUES (?, ?)",
                             [(name, u) for u in d.deleted])
        conn.execute("COMMIT")
    finally:
        conn.close()


def needs_full_copy(diffs: Mapping[str, TableDiff], rewritten: bool) -> bool:
    """True when a delta cannot describe the package (a layer rewritten by another tool)."""
    return rewritten or any(not d.aligned for d in diffs.values())
