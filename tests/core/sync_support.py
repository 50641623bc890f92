"""Helpers for the sync tests: check out a package, edit files as another tool would (plain
SQL, no store), and compare whole files row by row."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import (
    PackageResult,
    SyncReport,
    create_package,
    sync_package,
    undo_sync,
)

SYNC_BOOKKEEPING = {"field_package", "sync_run", "sync_journal", "sync_conflict"}


def checkout(master: Path, out: Path, **kw: Any) -> PackageResult:
    with Store.open(master) as store:
        return create_package(store, out, **kw)


def sync(master: Path, package: Path, **kw: Any) -> SyncReport:
    with Store.open(master, read_only=kw.get("dry_run", False)) as store:
        return sync_package(store, package, **kw)


def undo(master: Path, ident: str, **kw: Any) -> dict:
    with Store.open(master) as store:
        return undo_sync(store, ident, **kw)


@contextlib.contextmanager
def edit(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection (GeoPackage functions registered) committing at the end."""
    conn = gpkg.connect(str(path))
    conn.execute("BEGIN")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def uuids(path: Path, table: str, where: str = "1", limit: int = 10) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        key = "record_uuid" if table == "maintenance_record" else "asset_uuid"
        return [r[0] for r in conn.execute(
            f'SELECT {key} FROM "{table}" WHERE {where} ORDER BY fid LIMIT ?', (limit,))]
    finally:
        conn.close()


def row(path: Path, table: str, uuid: str) -> dict[str, Any] | None:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        key = {"maintenance_record": "record_uuid", "attachment": "attachment_uuid"}.get(
            table, "asset_uuid")
        r = conn.execute(f'SELECT * FROM "{table}" WHERE {key} = ?', (uuid,)).fetchone()
        return None if r is None else dict(r)
    finally:
        conn.close()


def count(path: Path, table: str, where: str = "1") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT count(*) FROM "{table}" WHERE {where}').fetchone()[0]
    finally:
        conn.close()


def dump(path: Path, skip: set[str] = SYNC_BOOKKEEPING) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), for row-level equality of two files.

    The sync bookkeeping tables (which record the sync and its undo) are left out, and so are
    the rtree's internal node tables: the rtree's content is compared through the virtual
    table itself, its node layout may differ after a delete and re-insert.
    """
    conn = sqlite3.connect(path)
    try:
        out: dict[str, list[tuple]] = {}
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in names:
            if name in skip or name.startswith("sqlite_stat") or \
                    (name.endswith(("_node", "_parent", "_rowid")) and name.startswith("rtree_")):
                continue
            rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
            if name in ("gpkg_contents", "gpkg_data_columns", "sqlite_sequence",
                        "gpkg_extensions"):
                rows = [r for r in rows if r[0] not in skip]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def assert_same_files(a: Path, b: Path) -> None:
    da, db = dump(a), dump(b)
    assert sorted(da) == sorted(db)
    for name in da:
        assert da[name] == db[name], f"table {name} differs"


STAMPS = {"updated_at", "created_at", "retired_at"}  # the time of each run


def journal(master: Path, sync_uuid: str) -> list[tuple]:
    """A sync's journal entries (table, uuid, action, old and new values without the time
    stamps of the run), in order: two runs of the same sync compare equal."""
    conn = sqlite3.connect(master)
    try:
        out = []
        for table, uuid, action, old, new in conn.execute(
                "SELECT table_name, row_uuid, action, old_values, new_values FROM sync_journal "
                "WHERE sync_uuid = ? ORDER BY seq", (sync_uuid,)):
            values = [{k: v for k, v in json.loads(x).items() if k not in STAMPS} if x else None
                      for x in (old, new)]
            out.append((table, uuid, action, *map(repr, values)))
        return out
    finally:
        conn.close()


def conflicts(rep: SyncReport) -> list[tuple]:
    """A sync report's conflicts as comparable tuples."""
    return [(c.table, c.uuid, c.field, c.kind, repr(c.ancestor), repr(c.master),
             repr(c.field_value)) for c in rep.conflicts]
