"""The PostGIS store's reads: a table as a (Geo)DataFrame, the renderer's bulk reads (Arrow
and drawing rows) and rows by uuid, in the same shapes as the GeoPackage store's."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.drawing import CHUNK_ROWS, DrawingRows
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, ident
from citymgr_desktop.core.store.postgis.values import from_db, select_column

if TYPE_CHECKING:  # loaded where used: ``core.store`` imports this module for every command
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa
    from pyproj import CRS


class PostgisReads:
    """A base of :class:`~citymgr_desktop.core.store.postgis.PostgisStore`, which provides
    the attributes and methods declared here."""

    conn: Any
    path: str
    project_crs: Callable[[], CRS]
    if TYPE_CHECKING:  # the store's property (the project's srid from citymgr_meta)
        @property
        def srid(self) -> int: ...

    def read(self, layer: str, *, columns: list[str] | None = None,
             include_retired: bool = True,
             bbox: tuple[float, float, float, float] | None = None,
             fids: Sequence[int] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """A table (or a bbox window of an asset layer, or its rows ``fids``) as a
        (Geo)DataFrame indexed by fid; with ``version`` so an edit can save against what it
        read."""
        t = sc.table(layer)
        names = list(columns) if columns is not None else t.field_names()
        names = [n for n in names if n != sc.GEOMETRY_COLUMN] + [VERSION_COLUMN]
        cols = ["fid", *names] + ([sc.GEOMETRY_COLUMN] if t.is_asset else [])
        clauses: list[str] = []
        params: list[Any] = []
        if not include_retired and t.is_asset:
            clauses.append("retired_at IS NULL")
        if fids is not None:  # these rows, whatever else is asked
            clauses, params = ["fid = ANY(%s)"], [[int(f) for f in fids]]
        elif bbox is not None and t.is_asset:
            clauses.append(f"ST_Intersects({ident(sc.GEOMETRY_COLUMN)}, "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s))")  # as GDAL's filter
            params.extend([*bbox, self.srid])
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                                 f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        import geopandas as gpd
        import pandas as pd
        import shapely

        frame = pd.DataFrame.from_records(
            [[from_db(n, v) for n, v in zip(cols, r, strict=True)] for r in rows],
            columns=cols).set_index("fid")
        if not t.is_asset:
            return frame
        geoms = frame.pop(sc.GEOMETRY_COLUMN)
        return gpd.GeoDataFrame(frame, geometry=list(geoms) if len(geoms) else
                                shapely.from_wkb([]), crs=self.project_crs())

    def column_names(self, table: str) -> list[str]:
        """The columns of ``table`` in table order (none for a table the database lacks)."""
        return [r[0] for r in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s ORDER BY ordinal_position", (table,))]

    def read_arrow(self, layer: str, columns: Iterable[str], *,
                   include_retired: bool = True,
                   bbox: tuple[float, float, float, float] | None = None) -> pa.Table:
        """The renderer's bulk read, as the GeoPackage store's: ``fid`` (int64), ``columns``
        and ``geometry`` (WKB) of a feature layer as one Arrow table; ``bbox`` (minx, miny,
        maxx, maxy) keeps the features that meet it (through the GiST index)."""
        import pyarrow as pa

        names = list(columns)
        if layer not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("{path} has no feature layer {layer!r}", path=self.path,
                                layer=layer)
        clauses = ["retired_at IS NULL"] if not include_retired else []
        params: list[Any] = []
        if bbox is not None:
            clauses.append(f"ST_Intersects({ident(sc.GEOMETRY_COLUMN)}, "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s))")  # as GDAL's filter
            params = [*map(float, bbox), self.srid]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cols = ["fid", *names, sc.GEOMETRY_COLUMN]
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                               f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        data: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
        arrays = {"fid": pa.array(data[0], pa.int64())}
        for i, name in enumerate(names, start=1):
            arrays[name] = pa.array([from_db(name, v) for v in data[i]])
        arrays["geometry"] = pa.array([None if g is None else bytes(g) for g in data[-1]],
                                      pa.binary())
        return pa.table(arrays)

    def read_for_drawing(self, layer: str, columns: Iterable[str], *,
                         include_retired: bool = True,
                         bbox: tuple[float, float, float, float] | None = None,
                         as_bytes: Iterable[str] = ()) -> DrawingRows:
        """The renderer's bulk read, as the GeoPackage store's (``core/store/drawing.py``):
        rows ``(fid, *columns, WKB)`` in fid order, ``bbox`` through the GiST index."""
        names = list(columns)
        if layer not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("{path} has no layer {name!r}", path=self.path, name=layer)
        clauses = ["retired_at IS NULL"] if not include_retired else []
        params: list[Any] = []
        if bbox is not None:  # bounding boxes meet, as the GeoPackage's rtree read
            clauses.append(f"{ident(sc.GEOMETRY_COLUMN)} && "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s)")
            params = [*map(float, bbox), self.srid]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cols = ["fid", *names, sc.GEOMETRY_COLUMN]
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                               f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        encode = {i for i, n in enumerate(names, start=1) if n in set(as_bytes)}

        def plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(v.encode() if i in encode and isinstance(v, str) else
                         bytes(v) if isinstance(v, memoryview) else v
                         for i, v in enumerate(row))

        chunks = (list(map(plain, rows[i : i + CHUNK_ROWS]))
                  for i in range(0, len(rows), CHUNK_ROWS))
        return DrawingRows(tuple(names), "wkb", chunks)

    def get_rows(self, table: str, uuids: Iterable[str],
                 fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Current values of rows by uuid (geometry under ``"geom"``, and ``version``)."""
        t = sc.table(table)
        names = list(fields) if fields is not None else t.field_names()
        if t.is_asset and fields is None:
            names = [sc.GEOMETRY_COLUMN, *names]
        for extra in (t.key, VERSION_COLUMN):
            if extra not in names:
                names.append(extra)
        keys = list(uuids)
        rows = self.conn.execute(
            f"SELECT {', '.join(map(select_column, names))} FROM {ident(table)} "
            f"WHERE {ident(t.key)} = ANY(%s)", (keys,)).fetchall()
        out = {}
        for row in rows:
            rec = {n: from_db(n, v) for n, v in zip(names, row, strict=True)}
            out[rec[t.key]] = rec
        return out

