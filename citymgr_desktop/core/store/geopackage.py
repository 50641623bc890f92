"""The GeoPackage store: one object per open file.

Opening refuses anything that is not a readable GeoPackage with a one-line reason; reads go
through GDAL's vectorised path (pyogrio + Arrow); writes are row-level SQL in one re-entrant
transaction (``session()``) whose cost follows the number of changed rows, never the size of
the layer (see :mod:`citymgr_desktop.core.store.write`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyproj import CRS

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import (
    BadFileError,
    CrsError,
    NotFoundError,
    ReadOnlyError,
    SchemaError,
)
from citymgr_desktop.core.gpkg.geometry import decode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store.files import check_file, is_writable, sqlite_error
from citymgr_desktop.core.store.queries import StoreQueries
from citymgr_desktop.core.store.upgrade import Absent, absent_columns, add_absent_columns
from citymgr_desktop.core.store.write import apply_deltas

INTERNAL_TABLES = frozenset({"layer_styles"})  # registered like QGIS does, not user data


@dataclass(frozen=True)
class LayerInfo:
    """What a layer panel or ``citymgr info`` shows about one table."""

    name: str
    data_type: str  # "features" or "attributes"
    geometry_type: str | None
    srs_id: int | None
    crs_name: str | None
    count: int
    extent: tuple[float, float, float, float] | None  # minx, miny, maxx, maxy
    is_asset: bool
    description: str = ""


class Store(StoreQueries):
    """An open GeoPackage. Use :meth:`open`; close it (or use it as a context manager).

    Views, exporters and the command line read through its methods (more of them in
    :class:`~citymgr_desktop.core.store.queries.StoreQueries`) and never use ``conn``.
    """

    is_database = False  # a file: the edit session keeps its journal beside it

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self._depth = 0
        self._srs_cache: dict[int, CRS] = {}
        self.absent: Absent = {}  # model columns an older file lacks (read as empty)

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False) -> Store:
        """Open ``path``; a file we may not write is opened read-only (see ``read_only``)."""
        p = Path(path)
        check_file(p)
        writable = is_writable(p)
        ro = read_only or not writable
        try:
            conn = gpkg.connect(str(p), read_only=ro)
            conn.execute("SELECT count(*) FROM gpkg_contents").fetchone()
            conn.execute("SELECT count(*) FROM gpkg_spatial_ref_sys").fetchone()
        except sqlite3.OperationalError as exc:
            raise sqlite_error(p, exc) from None
        except sqlite3.DatabaseError as exc:
            raise BadFileError("{path}: damaged GeoPackage ({reason})", path=p,
                               reason=exc) from None
        store = cls(p, conn, ro)
        if store.is_asset_project():
            store.absent = absent_columns(conn)
            if not ro:
                store._bring_up_to_date()
                store._add_missing_indexes()
        return store

    def _add_missing_indexes(self) -> None:
        """Files made before an index was added get it the first time they are opened for
        writing (one-off: seconds at a million assets); read-only opens never write."""
        if not gpkg.missing_indexes(self.conn):
            return
        with contextlib.suppress(BadFileError, ReadOnlyError), self.session() as conn:
            gpkg.create_missing_indexes(conn)

    def _bring_up_to_date(self) -> None:
        """On an open for writing: add the columns of later schema versions an older file
        lacks (``store/upgrade.py``), and repoint the embedded QGIS project of a renamed file;
        both re-embed the project (its forms show the new columns)."""
        from citymgr_desktop.core.qgis import project as qgis_project

        try:
            srs_id = self.conn.execute(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='road_segment'"
            ).fetchone()[0]
            if self.absent:
                with self.session() as conn:
                    add_absent_columns(conn, self.absent)
                    qgis_project.embed(conn, srs_id)
                self.absent = {}
            elif qgis_project.embedded_qgs(self.conn) is None or \
                    qgis_project.points_elsewhere(self.conn) is not None:
                with self.session() as conn:
                    qgis_project.repoint(conn, srs_id)
        except (BadFileError, ReadOnlyError):
            pass  # locked: the data is fine; older columns are read as empty meanwhile

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- other threads ---------------------------------------------------------------------
    def reader(self) -> Store:
        """Another, read-only store on the same file, with a connection of its own: for a
        worker thread reading while this store's thread goes on (close it when done)."""
        return Store.open(self.path, read_only=True)

    def interrupt(self) -> None:
        """Stop the query running on this store's connection, from any thread: it raises
        :class:`~citymgr_desktop.core.errors.CancelledError` (see ``select_assets``)."""
        self.conn.interrupt()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """A re-entrant transaction: the outermost level begins and commits or rolls back."""
        if self.read_only:
            raise ReadOnlyError("{path} is open read-only; save a copy to edit it", path=self.path)
        if self._depth == 0:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise sqlite_error(self.path, exc) from None
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.conn.execute("ROLLBACK")
                raise sqlite_error(self.path, exc) from None

    @property
    def in_session(self) -> bool:
        return self._depth > 0

    # -- describing ------------------------------------------------------------------------
    def is_asset_project(self) -> bool:
        """True when the file carries our schema (meta table and the four asset layers)."""
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        return "citymgr_meta" in names and all(t.name in names for t in sc.ASSET_TABLES)

    def require_asset_project(self) -> None:
        if not self.is_asset_project():
            raise SchemaError(
                "{path} is a GeoPackage, but not a citymgr project: it has no "
                "road_segment/bridge/green_space/litter_bin asset layers (use 'citymgr import' "
                "to bring its data into a project)", path=self.path)

    def meta(self, key: str, default: str | None = None) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM citymgr_meta WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return default
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as conn:
            conn.execute("INSERT OR REPLACE INTO citymgr_meta VALUES (?,?)", (key, value))

    @property
    def district_code(self) -> str:
        return self.meta("district_code") or "000000"

    def layers(self, include_internal: bool = False) -> list[LayerInfo]:
        """The tables registered in gpkg_contents, in file order (QGIS's ``layer_styles``
        only with ``include_internal``)."""
        rows = self.conn.execute(
            "SELECT c.table_name, c.data_type, g.geometry_type_name, g.srs_id, "
            "c.min_x, c.min_y, c.max_x, c.max_y, c.description "
            "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g USING (table_name) "
            "ORDER BY c.rowid"
        ).fetchall()
        out = []
        for name, dtype, gtype, srs_id, minx, miny, maxx, maxy, desc in rows:
            if name in INTERNAL_TABLES and not include_internal:
                continue
            count = self._count(name)
            crs_name = None
            if srs_id is not None:
                with contextlib.suppress(CrsError):
                    crs_name = self.crs_for_srs(srs_id).name
            extent = None if minx is None else (minx, miny, maxx, maxy)
            out.append(LayerInfo(name, dtype, gtype, srs_id, crs_name, count, extent,
                                 name in sc.ASSET_TABLES_BY_NAME and gtype is not None,
                                 desc or ""))
        return out

    def layer(self, name: str) -> LayerInfo:
        for info in self.layers():
            if info.name == name:
                return info
        raise NotFoundError("{path} has no layer {name!r}", path=self.path, name=name)

    def _count(self, table: str) -> int:
        try:
            return int(self.conn.execute(
                f"SELECT count(*) FROM {gpkg.quote_ident(table)}").fetchone()[0])
        except sqlite3.DatabaseError:
            return 0

    def crs_for_srs(self, srs_id: int) -> CRS:
        if srs_id in self._srs_cache:
            return self._srs_cache[srs_id]
        row = self.conn.execute(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
            "WHERE srs_id=?", (srs_id,)).fetchone()
        if row is None or srs_id in (-1, 0) or row[2] == "undefined":
            raise CrsError("{path}: srs_id {srs_id} has no usable CRS definition",
                           path=self.path, srs_id=srs_id)
        org, code, definition = row
        try:
            crs = (CRS.from_authority(org, code) if org and org.upper() == "EPSG"
                   else CRS.from_wkt(definition))
        except Exception as exc:  # pyproj raises several kinds for bad definitions
            raise CrsError("{path}: srs_id {srs_id} has an unreadable CRS ({reason})",
                           path=self.path, srs_id=srs_id, reason=exc) from None
        self._srs_cache[srs_id] = crs
        return crs

    def crs(self, layer: str) -> CRS:
        """The CRS of a feature layer."""
        row = self.conn.execute(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name=?", (layer,)).fetchone()
        if row is None:
            raise NotFoundError("{path} has no feature layer {layer!r}",
                                path=self.path, layer=layer)
        return self.crs_for_srs(row[0])

    def project_crs(self) -> CRS:
        """The project's CRS: that of road_segment, else of the first feature layer."""
        names = [i.name for i in self.layers() if i.geometry_type]
        if not names:
            raise CrsError("{path} has no feature layers", path=self.path)
        return self.crs("road_segment" if "road_segment" in names else names[0])

    def districts(self) -> list[str]:
        """The sub-districts (街道) present in the asset layers, sorted."""
        if not self.is_asset_project():
            return []
        parts = " UNION ".join(f'SELECT district FROM "{t.name}"' for t in sc.ASSET_TABLES)
        rows = self.conn.execute(f"SELECT district FROM ({parts}) WHERE district IS NOT NULL "
                                 "ORDER BY district").fetchall()
        return [r[0] for r in rows]

    def domains(self) -> dict[str, dict[str, Any]]:
        """The domains in the file's schema extension, as GDAL would read them."""
        try:
            rows = self.conn.execute(
                "SELECT constraint_name, constraint_type, value, min, min_is_inclusive, max, "
                "max_is_inclusive, description FROM gpkg_data_column_constraints "
                "ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:
            return {}
        out: dict[str, dict[str, Any]] = {}
        for name, ctype, value, lo, lo_inc, hi, hi_inc, desc in rows:
            entry = out.setdefault(name, {"type": ctype})
            if ctype == "enum":
                entry.setdefault("values", {})[value] = desc
            elif ctype == "range":
                entry.update(min=lo, max=hi, min_inclusive=bool(lo_inc),
                             max_inclusive=bool(hi_inc))
            else:
                entry["pattern"] = value
        return out

    # -- reading ---------------------------------------------------------------------------
    def read(self, layer: str, *, bbox: tuple[float, float, float, float] | None = None,
             columns: list[str] | None = None, where: str | None = None,
             include_retired: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a layer (or a bbox window of it) into a (Geo)DataFrame indexed by fid.

        ``where`` is passed to GDAL: only for SQL the code itself builds, never user text.
        """
        clauses = [where] if where else []
        if not include_retired and layer in sc.ASSET_TABLES_BY_NAME:
            clauses.append("retired_at IS NULL")
        try:
            return pyogrio.read_dataframe(
                self.path, layer=layer, bbox=bbox, columns=columns,
                where=" AND ".join(f"({c})" for c in clauses) or None,
                use_arrow=True, fid_as_index=True,
            )
        except pyogrio.errors.DataLayerError as exc:
            raise NotFoundError("{path}: cannot read layer {layer!r} ({reason})",
                                path=self.path, layer=layer, reason=exc) from None
        except pyogrio.errors.DataSourceError as exc:
            raise BadFileError("{path}: cannot be read by GDAL ({reason})",
                               path=self.path, reason=exc) from None

    def select_list(self, table: str, names: Iterable[str]) -> str:
        """The SQL select list of ``names`` of one of our tables: quoted columns, and
        ``NULL AS name`` for a column a file of an older schema version lacks."""
        absent = self.absent.get(table, frozenset())
        return ", ".join(f"NULL AS {gpkg.quote_ident(n)}" if n in absent else gpkg.quote_ident(n)
                         for n in names)

    def get_rows(self, table: str, uuids: Iterable[str],
                 fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Current values of rows by uuid (geometry decoded under ``"geom"``)."""
        t = sc.table(table)
        names = list(fields) if fields is not None else t.field_names()
        if t.is_asset and fields is None:
            names = [sc.GEOMETRY_COLUMN, *names]
        if t.key not in names:
            names.append(t.key)
        cols = self.select_list(table, names)
        key = gpkg.quote_ident(t.key)
        out: dict[str, dict[str, Any]] = {}
        for row in gpkg.select_in(
                self.conn, f"SELECT {cols} FROM {gpkg.quote_ident(table)} WHERE {key} IN ({{marks}})",
                uuids):
            rec = dict(zip(names, row, strict=True))
            if sc.GEOMETRY_COLUMN in rec:
                rec[sc.GEOMETRY_COLUMN] = decode(rec[sc.GEOMETRY_COLUMN])
            out[rec[t.key]] = rec
        return out

    def get_row(self, table: str, uuid: str) -> dict[str, Any]:
        rows = self.get_rows(table, [uuid])
        if uuid not in rows:
            raise NotFoundError("{table} has no row {uuid}", table=table, uuid=uuid)
        return rows[uuid]

    # -- writing ---------------------------------------------------------------------------
    def apply(self, deltas: Iterable[Delta], user: str = "",
              progress: Progress | None = None) -> dict[str, dict[str, int]]:
        """Apply deltas in one transaction; returns counts per table and kind."""
        self.require_asset_project()
        with self.session():
            return apply_deltas(self.conn, self.district_code, list(deltas), user, progress)

    def backup_to(self, target: str | os.PathLike[str]) -> Path:
        """A consistent copy of the whole file (SQLite online backup)."""
        dst = sqlite3.connect(str(target))
        try:
            self.conn.backup(dst)
        finally:
            dst.close()
        return Path(target)
