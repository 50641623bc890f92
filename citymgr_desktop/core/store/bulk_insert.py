"""Insert many prepared rows at once: grouped by columns into ``executemany``, geometries
encoded in one vectorised pass, and for a large batch the spatial index filled once from the
geometries' bounds instead of by the per-row rtree trigger (whose ``ST_*`` functions are
Python calls: 5 per row). The trigger is put back, word for word, before this returns.

The caller holds the transaction; an integrity error names the row that caused it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import groupby
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.gpkg.geometry import decode_many, encode_many
from citymgr_desktop.core.model import schema as sc

BULK_RTREE_ROWS = 200  # from this many rows on, the rtree is filled once after the insert


@contextmanager
def _rtree_insert_trigger_deferred(conn: sqlite3.Connection, table: str
                                   ) -> Iterator[bool]:
    """Drop the table's rtree insert trigger for the block, then create it again exactly as
    it was (whoever wrote it: us, GDAL or QGIS). Yields whether there was one, i.e. whether
    the caller must fill the rtree itself."""
    name = f"{gpkg.rtree_name(table)}_insert"
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                       (name,)).fetchone()
    if row is None:
        yield False
        return
    conn.execute(f"DROP TRIGGER {gpkg.quote_ident(name)}")
    try:
        yield True
    finally:
        conn.execute(row[0])


PACK_AT_END_MAX = 250_000  # new rows whose bounds are held in memory (gpkg.tables.PACK_MAX)


class _NewBounds:
    """The fids and bounds of new rows, for one rtree fill: held as arrays up to
    ``PACK_AT_END_MAX`` rows (40 bytes each), past that in a scratch table in SQLite's temp
    database (never in the file), from which the tree is packed a few leaves at a time."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.count, self.scratch = conn, 0, ""
        self.fids: list[Any] = []
        self.bounds: list[Any] = []

    def add(self, fids: Any, bounds: Any) -> None:
        from citymgr_desktop.core.gpkg import rtree_pack

        self.fids.append(fids)
        self.bounds.append(bounds)
        self.count += len(fids)
        if not self.scratch and self.count > PACK_AT_END_MAX:
            self.scratch = rtree_pack.create_scratch(self.conn)
        if self.scratch:
            for f, b in zip(self.fids, self.bounds, strict=True):
                rtree_pack.add_to_scratch(self.conn, self.scratch, f, b)
            self.fids, self.bounds = [], []

    def fill(self, table: str) -> None:
        import numpy as np

        if self.scratch:
            gpkg.fill_rtree_from(self.conn, table, self.scratch)
        elif self.fids:
            gpkg.fill_rtree(self.conn, table, np.concatenate(self.fids),
                            np.concatenate(self.bounds))

    def close(self) -> None:
        if self.scratch:
            with suppress(sqlite3.Error):  # gone with the connection in any case
                self.conn.execute(f"DROP TABLE IF EXISTS temp.{self.scratch}")
            self.scratch = ""


# (connection, table) -> the new rows' bounds inside rtree_filled_at_end, for its fill;
# None: not held (fids given)
_PENDING: dict[tuple[int, str], _NewBounds | None] = {}


@contextmanager
def rtree_filled_at_end(conn: sqlite3.Connection, table: str) -> Iterator[None]:
    """Many inserts into ``table`` in a row (an import's batches): the rtree insert trigger
    is dropped for the block and the rtree filled once at its end, packed, from the new
    rows' bounds, kept as they are inserted (:class:`_NewBounds`: in memory up to
    ``PACK_AT_END_MAX`` rows, past that in a temp table; when anything but these inserts
    touched the new rows, from their geometries read back in chunks). The trigger is
    created again word for word in any case; the caller holds the transaction, so a failure
    or a kill leaves the file as it was."""
    name = gpkg.quote_ident(table)
    trigger = f"{gpkg.rtree_name(table)}_insert"
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                       (trigger,)).fetchone()
    if row is None:
        yield
        return
    start = conn.execute(f"SELECT coalesce(max(fid), 0) FROM {name}").fetchone()[0]
    conn.execute(f"DROP TRIGGER {gpkg.quote_ident(trigger)}")
    plain = _plain_indexes_dropped(conn, table) if not _has_rows(conn, name) else []
    key = (id(conn), table)
    kept = _PENDING[key] = _NewBounds(conn)
    try:
        yield
        _fill_from(conn, table, start, _PENDING.get(key))
    except BaseException:
        for sql in (*plain, row[0]):
            with suppress(sqlite3.Error):  # the caller rolls back, which restores them too
                conn.execute(sql)
        raise
    finally:
        _PENDING.pop(key, None)
        kept.close()
    for sql in (*plain, row[0]):
        conn.execute(sql)


def _has_rows(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(f"SELECT EXISTS (SELECT 1 FROM {name})").fetchone()[0] == 1


def _plain_indexes_dropped(conn: sqlite3.Connection, table: str) -> list[str]:
    """Drop the table's non-unique indexes (district, condition, the register's) and give
    their ``CREATE INDEX`` texts, to build each once from the rows instead of taking every
    new row into each (a third of SQLite's time of inserts into an empty layer). A unique
    index stays: a duplicate is refused at its row, naming it."""
    quoted = gpkg.quote_ident(table)
    plain = {r[1] for r in conn.execute(f"PRAGMA index_list({quoted})")
             if not r[2] and r[3] == "c"}  # (seq, name, unique, origin, partial)
    texts = [(n, sql) for n, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name", (table,)) if n in plain]
    for n, _ in texts:
        conn.execute(f"DROP INDEX {gpkg.quote_ident(n)}")
    return [sql for _, sql in texts]


def _remember_new(conn: sqlite3.Connection, table: str, start: int, geoms: Sequence[Any],
                  fids_given: bool) -> None:
    """Inside :func:`rtree_filled_at_end`: the fids (after ``start``) and bounds of the rows
    just inserted, for its fill."""
    import numpy as np
    import shapely

    key = (id(conn), table)
    pending = _PENDING.get(key)
    if pending is None:
        return
    if fids_given:
        _PENDING[key] = None  # the fill reads the rows back
        return
    name = gpkg.quote_ident(table)
    last = conn.execute(f"SELECT coalesce(max(fid), 0) FROM {name}").fetchone()[0]
    if last - start == len(geoms):  # n new fids above start, the highest start + n
        fids = np.arange(start + 1, last + 1, dtype=np.int64)
    else:
        fids = np.array([r[0] for r in conn.execute(
            f"SELECT fid FROM {name} WHERE fid > ? ORDER BY fid", (start,))], np.int64)
    pending.add(fids, shapely.bounds(np.asarray(geoms, dtype=object)))


def _fill_from(conn: sqlite3.Connection, table: str, start: int,
               pending: _NewBounds | None = None) -> None:
    """rtree entries for the rows after fid ``start`` (whatever an update trigger put there
    meanwhile is replaced): from ``pending`` (the bounds kept as the rows were inserted)
    when it holds exactly those rows and nothing else touched them, else read back in
    chunks; one packed fill."""
    import numpy as np
    import shapely

    rtree = gpkg.quote_ident(gpkg.rtree_name(table))
    geom = gpkg.quote_ident(sc.GEOMETRY_COLUMN)
    name = gpkg.quote_ident(table)
    if pending is not None and pending.count:
        touched = conn.execute(f"SELECT count(*) FROM {rtree} WHERE id > ?", (start,)
                               ).fetchone()[0]
        rows = conn.execute(f"SELECT count(*) FROM {name} WHERE fid > ? AND {geom} IS NOT NULL",
                            (start,)).fetchone()[0]
        if not touched and rows == pending.count:
            pending.fill(table)
            return
    conn.execute(f"DELETE FROM {rtree} WHERE id > ?", (start,))
    rows = conn.execute(f"SELECT fid, {geom} FROM {name} "
                        f"WHERE fid > ? AND {geom} IS NOT NULL ORDER BY fid", (start,))
    again = _NewBounds(conn)
    try:
        while chunk := rows.fetchmany(20_000):
            again.add(np.array([r[0] for r in chunk], dtype=np.int64),
                      shapely.bounds(decode_many([r[1] for r in chunk], on_invalid="ignore")))
        again.fill(table)
    finally:
        again.close()


def insert_rows(conn: sqlite3.Connection, table: sc.Table, rows: Sequence[dict[str, Any]],
                uuids: Sequence[str], geoms: Sequence[Any] | None, srs_id: int) -> None:
    """Insert ``rows`` (column -> SQL value, already checked; ``uuids`` name them in errors)
    with ``geoms`` (checked Shapely geometries, for an asset table) into ``table``."""
    if not rows:
        return
    values, groups = _pad(conn, table, rows)
    _insert(conn, table, values, uuids, geoms, srs_id, groups)


def insert_columns(conn: sqlite3.Connection, table: sc.Table, names: Sequence[str],
                   columns: Sequence[Sequence[Any]], uuids: Sequence[str],
                   geoms: Sequence[Any] | None, srs_id: int) -> None:
    """:func:`insert_rows` for rows given as columns: ``names`` and a column each, every row
    with every column (the rows go to SQLite without a list per row)."""
    if not uuids:
        return
    _insert(conn, table, _Columns(columns), uuids, geoms, srs_id,
            [(tuple(names), range(len(uuids)))])


def columns_with_default(conn: sqlite3.Connection, table: sc.Table) -> set[str]:
    """The columns of ``table`` that have a DEFAULT (a row without a value leaves them out)."""
    return {r[1] for r in conn.execute(
        f"PRAGMA table_info({gpkg.quote_ident(table.name)})") if r[4] is not None}


class _Columns:
    """Rows held as columns: ``rows[i]`` is row ``i``'s values (for naming a culprit)."""

    def __init__(self, columns: Sequence[Sequence[Any]]) -> None:
        self.columns = columns

    def __getitem__(self, i: int) -> list[Any]:
        return [column[i] for column in self.columns]


Rows = list[list[Any]] | _Columns


def _insert(conn: sqlite3.Connection, table: sc.Table, rows: Rows, uuids: Sequence[str],
            geoms: Sequence[Any] | None, srs_id: int, groups: Groups) -> None:
    blobs: list[Any] = encode_many(geoms, srs_id) if geoms is not None else [None] * len(uuids)
    name = gpkg.quote_ident(table.name)
    fids_given = any("fid" in names for names, _ in groups)
    bulk = geoms is not None and len(uuids) >= BULK_RTREE_ROWS and not fids_given
    held = geoms is not None and _PENDING.get((id(conn), table.name)) is not None
    if not bulk and not held:
        _insert_groups(conn, table, rows, uuids, blobs, groups, geoms is not None)
        return
    import numpy as np
    import shapely

    assert geoms is not None
    start = conn.execute(f"SELECT coalesce(max(fid), 0) FROM {name}").fetchone()[0]
    if not bulk:
        _insert_groups(conn, table, rows, uuids, blobs, groups, True)
        _remember_new(conn, table.name, start, geoms, fids_given)
        return
    with _rtree_insert_trigger_deferred(conn, table.name) as fill:
        _insert_groups(conn, table, rows, uuids, blobs, groups, True)
        if fill:  # new fids ascend in insertion order (no fid was given)
            fids = np.array([r[0] for r in conn.execute(
                f"SELECT fid FROM {name} WHERE fid > ? ORDER BY fid", (start,))], np.int64)
            assert len(fids) == len(uuids), "rows appeared during a bulk insert"
            gpkg.fill_rtree(conn, table.name, fids,
                            shapely.bounds(np.asarray(geoms, dtype=object)))
        else:
            _remember_new(conn, table.name, start, geoms, fids_given)


Groups = list[tuple[tuple[str, ...], Sequence[int]]]  # (columns, the rows that have them)


def _pad(conn: sqlite3.Connection, table: sc.Table, rows: Sequence[dict[str, Any]]
         ) -> tuple[list[list[Any]], Groups]:
    """Each row's values and runs of rows with the same columns, in the given order (so
    fids follow it): every column any row has, a missing one as NULL (the same as leaving it
    out, except for a column with a DEFAULT, which is left out), so that most of a batch goes
    into one ``executemany``."""
    defaults = columns_with_default(conn, table)
    columns = list(dict.fromkeys(c for row in rows for c in row))
    defaulted = [c for c in columns if c in defaults]
    if not any(c not in row for row in rows for c in defaulted):  # one run: no dict per row
        return [[row.get(c) for c in columns] for row in rows], [(tuple(columns),
                                                                  list(range(len(rows))))]
    padded = [{c: row.get(c) for c in columns if c in row or c not in defaults} for row in rows]
    groups: Groups = [(names, [i for i, _ in run]) for names, run in
                      groupby(enumerate(padded), key=lambda item: tuple(item[1]))]
    return [list(row.values()) for row in padded], groups


def _insert_groups(conn: sqlite3.Connection, table: sc.Table, rows: Rows,
                   uuids: Sequence[str], blobs: list[Any], groups: Groups,
                   with_geometry: bool) -> None:
    """Insert each group with one ``executemany``."""
    for names, members in groups:
        cols = [sc.GEOMETRY_COLUMN, *names] if with_geometry else list(names)
        sql = (f"INSERT INTO {gpkg.quote_ident(table.name)} "
               f"({', '.join(gpkg.quote_ident(c) for c in cols)}) "
               f"VALUES ({','.join('?' * len(cols))})")
        params: Any
        if isinstance(rows, _Columns):  # one group of every row
            columns = [blobs, *rows.columns] if with_geometry else rows.columns
            params = zip(*columns, strict=True)
        elif with_geometry:
            params = ([blobs[i], *rows[i]] for i in members)
        else:
            params = (rows[i] for i in members)
        conn.execute("SAVEPOINT bulk_insert")
        try:
            conn.executemany(sql, params)
        except sqlite3.IntegrityError as exc:
            conn.execute("ROLLBACK TO bulk_insert")
            conn.execute("RELEASE bulk_insert")
            _name_the_culprit(conn, sql, table, rows, uuids, blobs, members, with_geometry)
            raise ValidationError("cannot add {table} {uuid}: {reason}", table=table.name,
                                  uuid=uuids[members[0]], reason=exc) from None
        conn.execute("RELEASE bulk_insert")


def _name_the_culprit(conn: sqlite3.Connection, sql: str, table: sc.Table, rows: Rows,
                      uuids: Sequence[str], blobs: list[Any], members: Sequence[int],
                      with_geometry: bool) -> None:
    """Insert ``members`` one by one to raise the error with the row that causes it."""
    for i in members:
        values = [blobs[i], *rows[i]] if with_geometry else rows[i]
        try:
            conn.execute(sql, values)
        except sqlite3.IntegrityError as exc:
            raise ValidationError("cannot add {table} {uuid}: {reason}",
                                  table=table.name, uuid=uuids[i], reason=exc) from None
