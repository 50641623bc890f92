"""The map's bulk read: what a view draws of a feature layer, as chunks of plain rows read
with ``sqlite3`` over the layer's rtree, on a connection of the read's own.

The renderer used GDAL's Arrow path (pyogrio) for this; importing pyogrio imports pandas and
GeoPandas, about a second of CPU before a single feature was read, which was most of a
``render --bbox`` and of a small file's first frame. A GeoPackage is SQLite: the rows come
straight from the table, the box through the rtree, and the renderer parses the geometry
blobs with NumPy (``render/wkb.py``). Both stores offer :class:`DrawingRows` (the PostGIS
one hands over plain WKB).

The GeoPackage store also reads the same rows *packed* (:meth:`read_packed_for_drawing`):
SQLite concatenates each column of a run of rows into one value (``group_concat``), so a
million features come as a few dozen Python objects instead of four million (the row
objects were two thirds of reading a 1M district, and their freed memory stayed with the
process), and the reading threads spend their time in SQLite, which releases the GIL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, NotFoundError
from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:
    import numpy as np

CHUNK_ROWS = 16384  # rows per chunk: ~5 MB of Python objects in flight per reading thread

Row = tuple[Any, ...]
T = TypeVar("T")


@dataclass
class DrawingRows:
    """A feature layer as the map reads it: ``chunks`` of rows ``(fid, *columns, geometry)``
    in fid order. ``geometry_format`` is ``"gpkg"`` (GeoPackage geometry blobs: a header,
    then WKB) or ``"wkb"``; a missing geometry is None. The columns named in ``as_bytes``
    come as UTF-8 bytes (no Python string per value)."""

    columns: tuple[str, ...]
    geometry_format: str
    chunks: Iterator[list[Row]]


class StoreDrawingReads:
    """The GeoPackage store's bulk read for drawing (a base of ``Store``; see the module
    docstring)."""

    path: Path

    def packs_for_drawing(self) -> bool:
        """True when :meth:`read_packed_for_drawing` can read this file: a UTF-8 database
        (group_concat hands blobs over as text; a GeoPackage may also be UTF-16)."""
        conn = gpkg.connect(str(self.path), read_only=True)
        try:
            return bool(conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-8")
        except sqlite3.DatabaseError:
            return False  # the rows' read names what is wrong
        finally:
            conn.close()

    def read_packed_for_drawing(self, layer: str, *, as_bytes: Iterable[str] = (),
                                codes: Mapping[str, tuple[int, int]] | None = None,
                                include_retired: bool = True,
                                bbox: tuple[float, float, float, float] | None = None
                                ) -> Iterator[PackedRows]:
        """The rows of :meth:`read_for_drawing` (the same features, in fid order), packed:
        runs of rows as :class:`PackedRows`, one value per column and run.

        ``as_bytes`` columns come as their bytes (text as UTF-8); ``codes`` columns
        (name -> (lo, hi)) as whole numbers, clamped to lo..hi and truncated toward zero,
        lo where the value is NULL or not a number (text SQLite let into a number column of
        a damaged file). The geometry comes as GeoPackage geometry blobs. A damaged file
        raises ``BadFileError`` when it is met, as the rows' read does; so does a UTF-16
        database (:meth:`packs_for_drawing`).
        """
        blob_names, code_specs = tuple(as_bytes), dict(codes or {})

        def plan(conn: sqlite3.Connection) -> tuple[str, list[float], tuple[int, int, int]]:
            if conn.execute("PRAGMA encoding").fetchone()[0] != "UTF-8":
                # group_concat hands blobs over as text: only UTF-8 keeps their bytes
                raise BadFileError("{path}: cannot be read ({reason})", path=self.path,
                                   reason="not a UTF-8 database")
            sql, params, rtree = _drawing_query(conn, self.path, layer,
                                                (*blob_names, *code_specs), include_retired,
                                                bbox, set(blob_names), packed=code_specs)
            t = gpkg.quote_ident(layer)
            # apart: SQLite finds a lone min() or max() of the rowid in the b-tree, both
            # at once by a scan of the table (0.2 s for 600k rows)
            first = conn.execute(f"SELECT min(rowid) FROM {t}").fetchone()[0]
            last = conn.execute(f"SELECT max(rowid) FROM {t}").fetchone()[0]
            span = PACK_ROWS
            if bbox is not None and rtree is not None:
                # the box searched once for its rowids: a small box is one run (each run
                # searches the box again: ten runs made a 1 % view of 1M features 2x slower)
                first, last, count = conn.execute(
                    f"SELECT min(id), max(id), count(*) FROM {rtree} WHERE maxx >= ? AND "
                    "minx <= ? AND maxy >= ? AND miny <= ?", params).fetchone()
                if count <= PACK_ROWS and first is not None:
                    span = last - first + 1
            return sql, params, (first, last, span)

        conn, (sql, params, runs) = _opened(self.path, plan)
        t = gpkg.quote_ident(layer)
        return _packed_runs(conn, self.path, t, sql, params, runs, blob_names,
                            tuple(code_specs))

    def read_for_drawing(self, layer: str, columns: Iterable[str], *,
                         include_retired: bool = True,
                         bbox: tuple[float, float, float, float] | None = None,
                         as_bytes: Iterable[str] = ()) -> DrawingRows:
        """The fids, ``columns`` and geometries of feature layer ``layer``, in fid order.

        ``include_retired=False`` leaves out retired assets (asset layers). ``bbox`` (minx,
        miny, maxx, maxy in the layer's CRS) keeps the features whose bounding box meets it,
        through the layer's rtree (a layer without one is read whole). Reads on a read-only
        connection of its own, never the store's: a loader calls it from several worker
        threads at once; the connection closes when the chunks are used up or dropped.
        """
        names = tuple(columns)

        def query(conn: sqlite3.Connection) -> sqlite3.Cursor:
            sql, params, _rtree = _drawing_query(conn, self.path, layer, names,
                                                 include_retired, bbox, set(as_bytes))
            return conn.execute(sql, params)

        conn, cursor = _opened(self.path, query)
        return DrawingRows(names, "gpkg", _chunks(conn, cursor, self.path))


def _opened(path: Path, start: Callable[[sqlite3.Connection], T]) -> tuple[sqlite3.Connection, T]:
    """A read-only connection of its own to ``path`` and what ``start`` made of it (a query
    begun, a plan of runs); the connection stays open for the rows to come. A damaged file
    is ``BadFileError``; on any failure the connection is closed."""
    conn = gpkg.connect(str(path), read_only=True)
    try:
        return conn, start(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BadFileError("{path}: cannot be read ({reason})", path=path, reason=exc) from None
    except BaseException:
        conn.close()
        raise


def _drawing_query(conn: sqlite3.Connection, path: Path, layer: str, names: tuple[str, ...],
                   include_retired: bool, bbox: tuple[float, float, float, float] | None,
                   as_bytes: set[str], packed: Mapping[str, tuple[int, int]] | None = None
                   ) -> tuple[str, list[float], str | None]:
    """The rows' query, its parameters and the rtree it reads the box through (quoted;
    None: no box, or no rtree). ``packed`` (the code columns, see
    ``read_packed_for_drawing``): the query of one run of rowids, whose two bounds come
    before the parameters returned, giving one row of packed columns."""
    found = conn.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                         (layer,)).fetchone()
    if found is None:
        raise NotFoundError("{path} has no layer {name!r}", path=path, name=layer)
    geometry = str(found[0])
    present = {r[1] for r in conn.execute(f"PRAGMA table_info({gpkg.quote_ident(layer)})")}
    for name in names:
        if name not in present:
            raise NotFoundError("{path}: layer {layer!r} has no column {column!r}", path=path,
                                layer=layer, column=name)
    q = gpkg.quote_ident
    exprs = [f"CAST({q(n)} AS BLOB)" if n in as_bytes else q(n) for n in names]
    exprs.append(q(geometry))
    clauses: list[str] = []
    params: list[float] = []
    if packed is not None:
        exprs = [_code(q(n), *packed[n]) if n in packed else f"CAST({q(n)} AS BLOB)"
                 for n in names]
        exprs.append(f"CAST({q(geometry)} AS BLOB)")
        exprs = [f"{e} AS c{i}" for i, e in enumerate(exprs)]
        clauses.append("rowid BETWEEN ?1 AND ?2")
    if not include_retired and layer in sc.ASSET_TABLES_BY_NAME and "retired_at" in present:
        # ``+``: not through an index on retired_at (one exists for the statistics), which
        # read the rows out of order and sorted them: 4-5x the CPU of a scan at 1M rows
        clauses.append("+retired_at IS NULL")
    name = f"rtree_{layer}_{geometry}"
    rtree = q(name) if bbox is not None and conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() else None
    if bbox is not None and rtree is not None:
        # packed: only the run's rowids (the box is searched once per run)
        run = " AND id BETWEEN ?1 AND ?2" if packed is not None else ""
        clauses.append(f"rowid IN (SELECT id FROM {rtree} WHERE "
                       f"maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?{run})")
        minx, miny, maxx, maxy = map(float, bbox)
        params = [minx, maxx, miny, maxy]
    sql = f"SELECT rowid{' AS fid' if packed is not None else ''}, {', '.join(exprs)} FROM {q(layer)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY rowid"
    if packed is None:
        return sql, params, rtree
    # one value per column: the codes, or the lengths (-1: NULL) and the bytes back to
    # back; SQLite keeps the ORDER BY of a FROM subquery under an aggregate other than
    # count/min/max, so the values come in fid order
    out = ["count(*)", "group_concat(fid)"]
    for i in range(len(names) + 1):  # the geometry last
        if i < len(names) and names[i] in packed:
            out.append(f"group_concat(c{i})")
        else:
            out += [f"group_concat(coalesce(length(c{i}), -1))",
                    f"CAST(group_concat(c{i}, '') AS BLOB)"]
    return f"SELECT {', '.join(out)} FROM ({sql})", params, rtree


def _code(column: str, lo: int, hi: int) -> str:
    """A whole number clamped to lo..hi, lo for NULL and for what is not a number."""
    return (f"CASE WHEN typeof({column}) IN ('integer', 'real') THEN CAST(max({int(lo)}, "
            f"min({int(hi)}, {column})) AS INTEGER) ELSE {int(lo)} END")


def _chunks(conn: sqlite3.Connection, cursor: sqlite3.Cursor, path: Path
            ) -> Iterator[list[Row]]:
    try:
        while True:
            try:
                rows = cursor.fetchmany(CHUNK_ROWS)
            except sqlite3.DatabaseError as exc:
                raise BadFileError("{path}: cannot be read ({reason})", path=path,
                                   reason=exc) from None
            if not rows:
                return
            yield rows
    finally:
        conn.close()


PACK_ROWS = 65536  # rowids per packed run at most
# a run's geometry aims at about this many bytes: the run's value exists three times at
# once (SQLite's growing text, the Python bytes, the parse), so this bounds the read's
# memory beside the layer's arrays (16 MB: ~30 MB more at the 1M district's peak)
PACK_BYTES = 4 << 20


@dataclass
class PackedValues:
    """One column of a run of rows: the values' bytes back to back, and each value's length
    in bytes (-1: NULL)."""

    data: bytes
    lengths: np.ndarray  # int64


@dataclass
class PackedRows:
    """A run of rows of the drawing read, column by column, in fid order."""

    fids: np.ndarray  # int64
    values: dict[str, PackedValues]  # the ``as_bytes`` columns
    codes: dict[str, np.ndarray]  # int64
    geometry: PackedValues


def _packed_runs(conn: sqlite3.Connection, path: Path, table: str, sql: str,
                 params: list[float], bounds: tuple[int | None, int | None, int],
                 blob_names: tuple[str, ...], code_names: tuple[str, ...]
                 ) -> Iterator[PackedRows]:
    """Run after run of rowids from ``first`` to ``last`` (``bounds``, with the rowids of
    the first run); a run holds at most PACK_ROWS rows and about PACK_BYTES of geometry (a
    run too big for one SQLite value is cut)."""
    first, last, span = bounds
    most = max(span, PACK_ROWS)
    lo = first
    try:
        while lo is not None and last is not None and lo <= last:
            hi = lo + span - 1
            try:
                row = conn.execute(sql, (lo, hi, *params)).fetchone()
            except sqlite3.DataError:  # "string or blob too big": fewer rows a run
                if span == 1:
                    raise
                span = max(1, span // 4)
                continue
            if row[0]:
                rows = _unpacked(row, blob_names, code_names)
                yield rows
                size = max(1, len(rows.geometry.data))
                span = max(1, min(most, span * PACK_BYTES // size))
            lo = conn.execute(f"SELECT min(rowid) FROM {table} WHERE rowid > ?",
                              (hi,)).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BadFileError("{path}: cannot be read ({reason})", path=path,
                           reason=exc) from None
    finally:
        conn.close()


def _unpacked(row: Row, blob_names: tuple[str, ...], code_names: tuple[str, ...]
              ) -> PackedRows:
    """The values of one packed row: count, fids, then per column its codes or its
    lengths and bytes (the geometry last)."""
    import numpy as np

    def numbers(text: str | None) -> np.ndarray:
        return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)

    at = iter(row[2:])
    values: dict[str, PackedValues] = {}
    codes: dict[str, np.ndarray] = {}
    for name in (*blob_names, *code_names):
        if name in code_names:
            codes[name] = numbers(next(at))
        else:
            lengths = numbers(next(at))
            values[name] = PackedValues(next(at) or b"", lengths)
    lengths = numbers(next(at))
    return PackedRows(numbers(row[1]), values, codes, PackedValues(next(at) or b"", lengths))
