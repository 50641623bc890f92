"""Find what changed between two copies of a table by content, in SQL on attached databases.

Rows are matched by their uuid key. Because a field package keeps the master's fids, most
pairs are found by rowid (a B-tree lookup, no index hop) and compared column by column with
``IS NOT`` in SQLite's C code, so a million rows take well under a second and no row
reaches Python unless it changed. A tool that rewrote a layer (new fids, no UNIQUE index,
dropped triggers) is handled by falling back to the uuid: nothing here trusts triggers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.sync.pages import Ranges, changed_ranges
from citymgr_desktop.core.sync.schema import compared_columns, key_is_unique
from citymgr_desktop.core.sync.values import differs_sql, register_functions

CACHE_KIB = 256  # page cache of each attached copy the sync reads (SQLite's default: 2 MB)
CHUNK = 1000  # changed rows read into Python at a time (merge, sync id)


@dataclass
class NewRow:
    """A row of the field copy that is not in the base: its rowid there and its uuid (None
    when missing; a package with such rows, or with a uuid on two rows, is refused before
    the merge by :mod:`~citymgr_desktop.core.sync.identity`)."""

    rowid: int
    uuid: str | None


@dataclass
class TableDiff:
    """Changes from the base to another copy of one table."""

    table: str
    inserted: list[NewRow] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # uuid -> changed columns
    unkeyed: int = 0  # changed rows without a uuid on both sides (cannot be matched)
    aligned: bool = True  # every row kept its rowid (no layer rewrite by another tool)

    def __bool__(self) -> bool:
        return bool(self.inserted or self.deleted or self.updated)

    @property
    def size(self) -> int:
        return len(self.inserted) + len(self.deleted) + len(self.updated)


def q(name: str) -> str:
    return gpkg.quote_ident(name)


def _flags(columns: Sequence[str], left: str, right: str, normal: dict[str, str]) -> str:
    return ", ".join(f"({differs_sql(left, right, c, normal.get(c))})" for c in columns)


def _any(columns: Sequence[str], left: str, right: str, normal: dict[str, str]) -> str:
    return " OR ".join(differs_sql(left, right, c, normal.get(c)) for c in columns)


def _key_source(conn: sqlite3.Connection, schema: str, table: sc.Table) -> str:
    """A relation (rowid, key) of ``schema.table`` with an index on the key.

    A layer rewritten by another tool may have lost its UNIQUE index; then the keys are copied
    into an indexed temporary table so that lookups by uuid stay logarithmic.
    """
    if key_is_unique(conn, schema, table):
        return f"{q(schema)}.{q(table.name)}"
    tmp = f"sync_keys_{schema}_{table.name}"
    conn.execute(f"DROP TABLE IF EXISTS temp.{q(tmp)}")
    conn.execute(f"CREATE TEMP TABLE {q(tmp)} AS SELECT rowid AS rid, {q(table.key)} "
                 f"FROM {q(schema)}.{q(table.name)}")
    conn.execute(f"CREATE INDEX temp.{q(tmp + '_k')} ON {q(tmp)} ({q(table.key)}, rid)")
    return f"temp.{q(tmp)}"


def diff_table(conn: sqlite3.Connection, table: sc.Table, base: str = "b",
               other: str = "f", normal: dict[str, str] | None = None,
               ranges: Ranges | None = None) -> TableDiff:
    """Inserts, deletes and updates (with the changed columns) from ``base`` to ``other``.

    ``normal`` names date/datetime columns that another tool rewrote with another type:
    those are compared by value, not by spelling. ``ranges``: the rowid ranges outside
    which the base's rows are known to be in ``other`` unchanged
    (:func:`~citymgr_desktop.core.sync.pages.changed_ranges`); None: every row is compared.
    """
    cols = compared_columns(table)
    norm = normal or {}
    k = q(table.key)
    bt, ot = f"{q(base)}.{q(table.name)}", f"{q(other)}.{q(table.name)}"
    out = TableDiff(table.name)

    # 1. one pass over the base: rows whose rowid partner has the same uuid are compared in
    #    SQLite; the others ("lost": deleted, or moved to another rowid by a rewrite) are kept
    source = f"{bt} b"
    if ranges is not None:  # only the base's rows in these ranges may differ
        conn.execute("DROP TABLE IF EXISTS temp.sync_ranges")
        conn.execute("CREATE TEMP TABLE sync_ranges (lo INTEGER, hi INTEGER)")
        conn.executemany("INSERT INTO temp.sync_ranges VALUES (?, ?)", ranges)
        source = f"temp.sync_ranges r CROSS JOIN {bt} b ON b.rowid BETWEEN r.lo AND r.hi"
    sql = (f"SELECT b.rowid, b.{k}, o.rowid IS NOT NULL AND o.{k} IS b.{k}, "
           f"{_flags(cols, 'b', 'o', norm)} FROM {source} LEFT JOIN {ot} o ON "
           f"o.rowid = b.rowid WHERE o.rowid IS NULL OR o.{k} IS NOT b.{k} OR "
           f"({_any(cols, 'b', 'o', norm)})")
    lost: list[tuple[int, str]] = []
    for row in conn.execute(sql):
        if not row[2]:
            if row[1] is None:
                out.unkeyed += 1
            else:
                lost.append((row[0], row[1]))
        elif row[1] is None:
            out.unkeyed += 1
        else:
            out.updated[row[1]] = [c for c, flag in zip(cols, row[3:], strict=True) if flag]
    if ranges is not None:
        conn.execute("DROP TABLE temp.sync_ranges")
    n_base = conn.execute(f"SELECT count(*) FROM {bt}").fetchone()[0]
    paired = n_base - len(lost)

    # 2. the lost rows, looked up by uuid (the lowest rowid holding it is the partner)
    claimed: set[int] = set()
    if lost:
        keys = _key_source(conn, other, table)
        rid = "rid" if keys.startswith("temp.") else "rowid"
        conn.execute("DROP TABLE IF EXISTS temp.sync_lost")
        conn.execute("CREATE TEMP TABLE sync_lost (rid INTEGER PRIMARY KEY, k TEXT)")
        conn.executemany("INSERT INTO temp.sync_lost VALUES (?, ?)", lost)
        sql = (f"SELECT l.k, o.rowid, {_flags(cols, 'b', 'o', norm)} FROM temp.sync_lost l "
               f"JOIN {bt} b ON b.rowid = l.rid LEFT JOIN {ot} o ON o.rowid = "
               f"(SELECT min({rid}) FROM {keys} y WHERE y.{k} = l.k)")
        for row in conn.execute(sql):
            if row[1] is None:
                out.deleted.append(row[0])
                continue
            claimed.add(row[1])
            changed = [c for c, flag in zip(cols, row[2:], strict=True) if flag]
            if changed:
                out.updated[row[0]] = changed
        conn.execute("DROP TABLE temp.sync_lost")
    out.aligned = not claimed  # rows found under another rowid: the layer was rewritten

    # 3. rows of the copy that are nobody's partner: new rows, or copies of another row's uuid
    #    (a copy-paste in a layer that lost its UNIQUE index). New rows get rowids above the
    #    base's (AUTOINCREMENT), so usually only that range needs reading.
    n_other = conn.execute(f"SELECT count(*) FROM {ot}").fetchone()[0]
    top = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {bt}").fetchone()[0]
    above = conn.execute(f"SELECT rowid, {k} FROM {ot} WHERE rowid > ? ORDER BY rowid",
                         (top,)).fetchall()
    candidates = [r for r in above if r[0] not in claimed]
    if n_other != paired + len(claimed) + len(candidates):
        out.aligned = False
        candidates = conn.execute(
            f"SELECT o.rowid, o.{k} FROM {ot} o WHERE NOT EXISTS (SELECT 1 FROM {bt} x "
            f"WHERE x.rowid = o.rowid AND x.{k} IS o.{k}) ORDER BY o.rowid").fetchall()
        candidates = [r for r in candidates if r[0] not in claimed]
    for rowid, uuid in candidates:
        blank = uuid is None or str(uuid).strip() == ""
        out.inserted.append(NewRow(rowid, None if blank else uuid))
    return out


def fetch_rows(conn: sqlite3.Connection, schema: str, table: sc.Table, uuids: Iterable[str],
               columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Raw rows by uuid (one per uuid: the lowest rowid) with ``columns`` and ``"fid"``."""
    names = ["rowid", *columns]
    sel = ", ".join(q(c) if c != "rowid" else "rowid" for c in names)
    out: dict[str, dict[str, Any]] = {}
    sql = (f"SELECT {sel} FROM {q(schema)}.{q(table.name)} WHERE {q(table.key)} IN "
           "({marks}) ORDER BY rowid DESC")
    for row in gpkg.select_in(conn, sql, uuids):
        rec = dict(zip(names, row, strict=True))
        rec["fid"] = rec.pop("rowid")
        out[rec[table.key]] = rec  # descending rowid: the lowest one wins
    return out


def fetch_by_rowid(conn: sqlite3.Connection, schema: str, table: sc.Table,
                   rowids: Iterable[int], columns: Sequence[str]) -> dict[int, dict[str, Any]]:
    """Raw rows by rowid."""
    names = ["rowid", *columns]
    sel = ", ".join(q(c) if c != "rowid" else "rowid" for c in names)
    out: dict[int, dict[str, Any]] = {}
    sql = f"SELECT {sel} FROM {q(schema)}.{q(table.name)} WHERE rowid IN ({{marks}})"
    for row in gpkg.select_in(conn, sql, rowids):
        rec = dict(zip(names, row, strict=True))
        rid = rec.pop("rowid")
        rec["fid"] = rid
        out[rid] = rec
    return out


def all_columns(table: sc.Table) -> list[str]:
    """Every column of a model table but the fid (geometry first for assets)."""
    return ([sc.GEOMETRY_COLUMN] if table.is_asset else []) + table.field_names()


def diff_tables(base: Path, other: Path, tables: Sequence[sc.Table],
                normal: dict[str, dict[str, str]] | None = None,
                progress: Progress | None = None, workers: int = 2) -> dict[str, TableDiff]:
    """:func:`diff_table` for several tables on their own read-only connections, in
    ``workers`` threads (SQLite releases the GIL while it scans; the tables are independent).
    Only the rows on pages that differ between the two files are compared, where the files
    allow it (:mod:`~citymgr_desktop.core.sync.pages`).

    The caller's write transaction on the files keeps other writers out meanwhile, so every
    connection sees the same content.
    """
    prog = ensure(progress)
    local = threading.local()
    conns: list[sqlite3.Connection] = []
    lock = threading.Lock()

    def connection() -> sqlite3.Connection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            register_functions(conn)
            for path, schema in ((base, "b"), (other, "f")):
                conn.execute(f"ATTACH DATABASE ? AS {schema}",
                             (gpkg.read_only_uri(path.resolve()),))
                # one pass in rowid order: a small page cache reads as fast as a big one
                conn.execute(f"PRAGMA {schema}.cache_size = -{CACHE_KIB}")
            local.conn = conn
            with lock:
                conns.append(conn)
        return conn

    prog.update(0, len(tables), msg("comparing"))
    narrowed = changed_ranges(base, other, [t.name for t in tables])

    def work(table: sc.Table) -> TableDiff:
        return diff_table(connection(), table, "b", "f", (normal or {}).get(table.name),
                          narrowed.get(table.name))

    out: dict[str, TableDiff] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures = {pool.submit(work, t): t for t in tables}
        prog.update(0, len(tables), msg("comparing"))
        for i, fut in enumerate(as_completed(futures), start=1):
            t = futures[fut]
            out[t.name] = fut.result()
            prog.update(i, len(tables), msg("compared {table}", table=t.name))
    except BaseException:
        with lock:
            for conn in conns:
                conn.interrupt()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for conn in conns:
            conn.close()
    return {t.name: out[t.name] for t in tables}
