"""The map's bulk read: what a view draws of a feature layer, as chunks of plain rows read
with ``sqlite3`` over the layer's rtree, on a connection of the read's own.

The renderer used GDAL's Arrow path (pyogrio) for this; importing pyogrio imports pandas and
GeoPandas, about a second of CPU before a single feature was read, which was most of a
``render --bbox`` and of a small file's first frame. A GeoPackage is SQLite: the rows come
straight from the table, the box through the rtree, and the renderer parses the geometry
blobs with NumPy (``render/wkb.py``). Both stores offer :class:`DrawingRows` (the PostGIS
one hands over plain WKB).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, NotFoundError
from citymgr_desktop.core.model import schema as sc

CHUNK_ROWS = 16384  # rows per chunk: ~5 MB of Python objects in flight per reading thread

Row = tuple[Any, ...]


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
        conn = gpkg.connect(str(self.path), read_only=True)
        try:
            sql, params = _drawing_query(conn, self.path, layer, names, include_retired, bbox,
                                         set(as_bytes))
            cursor = conn.execute(sql, params)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise BadFileError("{path}: cannot be read ({reason})", path=self.path,
                               reason=exc) from None
        except BaseException:
            conn.close()
            raise
        return DrawingRows(names, "gpkg", _chunks(conn, cursor, self.path))


def _drawing_query(conn: sqlite3.Connection, path: Path, layer: str, names: tuple[str, ...],
                   include_retired: bool, bbox: tuple[float, float, float, float] | None,
                   as_bytes: set[str]) -> tuple[str, list[float]]:
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
    picked = [f"CAST({gpkg.quote_ident(n)} AS BLOB)" if n in as_bytes
              else gpkg.quote_ident(n) for n in names]
    t = gpkg.quote_ident(layer)
    sql = f"SELECT rowid, {', '.join([*picked, gpkg.quote_ident(geometry)])} FROM {t}"
    clauses, params = [], []
    if not include_retired and layer in sc.ASSET_TABLES_BY_NAME and "retired_at" in present:
        # ``+``: not through an index on retired_at (one exists for the statistics), which
        # read the rows out of order and sorted them: 4-5x the CPU of a scan at 1M rows
        clauses.append("+retired_at IS NULL")
    rtree = f"rtree_{layer}_{geometry}"
    if bbox is not None and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
        clauses.append(f"rowid IN (SELECT id FROM {gpkg.quote_ident(rtree)} WHERE "
                       "maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)")
        minx, miny, maxx, maxy = map(float, bbox)
        params = [minx, maxx, miny, maxy]
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return sql + " ORDER BY rowid", params


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
