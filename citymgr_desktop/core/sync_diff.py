"""Find what changed between two copies of a table by content, in SQL on attached databases.

Rows are matched by their uuid key. Because a field package keeps the master's fids, most
pairs are found by rowid (a B-tree lookup, no index hop) and compared column by column with
``IS NOT`` in SQLite's C code, so a million rows take well under a second and no row
reaches Python unless it changed. A tool that rewrote a layer (new fids, no UNIQUE index,
dropped triggers) is handled by falling back to the uuid: nothing here trusts triggers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core import schema as sc
from citymgr_desktop.core.sync_schema import compared_columns, key_is_unique
from citymgr_desktop.core.sync_values import differs_sql

_CHUNK = 900  # bound parameters per IN (...) list


@dataclass
class NewRow:
    """A row of the field copy that is not in the base: its rowid there, its uuid (None when
    missing) and whether the uuid must be replaced (missing, or a copy of another row's)."""

    rowid: int
    uuid: str | None
    rekey: bool = False


@dataclass
class TableDiff:
    """Changes from the base to another copy of one table."""

    table: str
    inserted: list[NewRow] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # uuid -> changed columns
    unkeyed: int = 0  # changed rows without a uuid on both sides (cannot be matched)

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
               other: str = "f", normal: dict[str, str] | None = None) -> TableDiff:
    """Inserts, deletes and updates (with the changed columns) from ``base`` to ``other``.

    ``normal`` names date/datetime columns that another tool rewrote with another type:
    those are compared by value, not by spelling.
    """
    cols = compared_columns(table)
    norm = normal or {}
    k = q(table.key)
    bt, ot = f"{q(base)}.{q(table.name)}", f"{q(other)}.{q(table.name)}"
    keys = _key_source(conn, other, table)
    rid = "rid" if keys.startswith("temp.") else "rowid"
    partner = f"(SELECT min({rid}) FROM {keys} y WHERE y.{k} = b.{k})"
    out = TableDiff(table.name)

    # 1. pairs with the same rowid and uuid: the common case, compared in one pass
    sql = (f"SELECT b.{k}, {_flags(cols, 'b', 'o', norm)} FROM {bt} b JOIN {ot} o "
           f"ON o.rowid = b.rowid WHERE o.{k} IS b.{k} AND ({_any(cols, 'b', 'o', norm)})")
    for row in conn.execute(sql):
        if row[0] is None:
            out.unkeyed += 1
            continue
        out.updated[row[0]] = [c for c, flag in zip(cols, row[1:], strict=True) if flag]

    # 2. base rows without such a pair: found by uuid elsewhere in the copy, or deleted
    sql = (f"SELECT b.{k}, o.rowid IS NOT NULL, {_flags(cols, 'b', 'o', norm)} FROM {bt} b "
           f"LEFT JOIN {ot} o ON o.rowid = {partner} "
           f"WHERE b.{k} IS NOT NULL AND "
           f"NOT EXISTS (SELECT 1 FROM {ot} x WHERE x.rowid = b.rowid AND x.{k} IS b.{k})")
    for row in conn.execute(sql):
        if not row[1]:
            out.deleted.append(row[0])
        else:
            changed = [c for c, flag in zip(cols, row[2:], strict=True) if flag]
            if changed:
                out.updated[row[0]] = changed

    # 3. rows of the copy without a same-rowid partner: new, or the partner of step 2, or a
    #    duplicate of another row's uuid (a copy-paste in a layer that lost its UNIQUE index)
    sql = (f"SELECT o.rowid, o.{k}, (SELECT b.rowid FROM {bt} b WHERE b.{k} = o.{k}), "
           f"(SELECT min({rid}) FROM {keys} y WHERE y.{k} = o.{k}) FROM {ot} o "
           f"WHERE NOT EXISTS (SELECT 1 FROM {bt} x WHERE x.rowid = o.rowid AND x.{k} IS o.{k}) "
           "ORDER BY o.rowid")
    seen: set[str] = set()
    for rowid, uuid, base_rowid, first_rowid in conn.execute(sql):
        if uuid is None or str(uuid).strip() == "":
            out.inserted.append(NewRow(rowid, None, rekey=True))
        elif base_rowid is None:
            out.inserted.append(NewRow(rowid, uuid, rekey=uuid in seen))
            seen.add(uuid)
        else:
            has_pair = conn.execute(
                f"SELECT 1 FROM {ot} WHERE rowid = ? AND {k} = ?", (base_rowid, uuid)
            ).fetchone() is not None
            if has_pair or rowid != first_rowid:
                out.inserted.append(NewRow(rowid, uuid, rekey=True))
    return out


def fetch_rows(conn: sqlite3.Connection, schema: str, table: sc.Table, uuids: Iterable[str],
               columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Raw rows by uuid (one per uuid: the lowest rowid) with ``columns`` and ``"fid"``."""
    names = ["rowid", *columns]
    sel = ", ".join(q(c) if c != "rowid" else "rowid" for c in names)
    out: dict[str, dict[str, Any]] = {}
    ulist = [u for u in dict.fromkeys(uuids) if u is not None]
    for i in range(0, len(ulist), _CHUNK):
        chunk = ulist[i:i + _CHUNK]
        sql = (f"SELECT {sel} FROM {q(schema)}.{q(table.name)} WHERE {q(table.key)} IN "
               f"({','.join('?' * len(chunk))}) ORDER BY rowid DESC")
        for row in conn.execute(sql, chunk):
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
    rlist = list(dict.fromkeys(rowids))
    for i in range(0, len(rlist), _CHUNK):
        chunk = rlist[i:i + _CHUNK]
        sql = (f"SELECT {sel} FROM {q(schema)}.{q(table.name)} WHERE rowid IN "
               f"({','.join('?' * len(chunk))})")
        for row in conn.execute(sql, chunk):
            rec = dict(zip(names, row, strict=True))
            rid = rec.pop("rowid")
            rec["fid"] = rid
            out[rid] = rec
    return out


def all_columns(table: sc.Table) -> list[str]:
    """Every column of a model table but the fid (geometry first for assets)."""
    return ([sc.GEOMETRY_COLUMN] if table.is_asset else []) + table.field_names()
