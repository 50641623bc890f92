"""What a GeoPackage says about itself, a base of
:class:`~citymgr_desktop.core.store.geopackage.Store`: whether it carries our schema, its
tables (``gpkg_contents``) with their CRS and counts, the CRS of a layer or of the project
(``gpkg_spatial_ref_sys``, pyproj only when a CRS object is asked for), the sub-districts
(街道) present and the domains of its schema extension.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import CrsError, NotFoundError, SchemaError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.common import LayerInfo, StoreCommon

if TYPE_CHECKING:
    from pathlib import Path

    from pyproj import CRS

INTERNAL_TABLES = frozenset({"layer_styles"})  # registered like QGIS does, not user data


class StoreDescription(StoreCommon):
    """A base of the GeoPackage store (its ``conn``, ``path`` and CRS cache)."""

    conn: sqlite3.Connection
    path: Path
    _srs_cache: dict[int, CRS]

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

    def layers(self, include_internal: bool = False, *, counted: bool = True) -> list[LayerInfo]:
        """The tables registered in gpkg_contents, in file order (QGIS's ``layer_styles`` only
        with ``include_internal``); ``counted=False``: no row counts (-1: they read every table)."""
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
            count = self._count(name) if counted else -1
            crs_name = None
            if srs_id is not None:
                with contextlib.suppress(CrsError):
                    crs_name = self.crs_facts(srs_id).name
            extent = None if minx is None else (minx, miny, maxx, maxy)
            out.append(LayerInfo(name, dtype, gtype, srs_id, crs_name, count, extent,
                                 name in sc.ASSET_TABLES_BY_NAME and gtype is not None,
                                 desc or ""))
        return out

    def _count(self, table: str) -> int:
        try:
            return int(self.conn.execute(
                f"SELECT count(*) FROM {gpkg.quote_ident(table)}").fetchone()[0])
        except sqlite3.DatabaseError:
            return 0

    def srs_definition(self, srs_id: int) -> tuple[Any, ...] | None:
        row = self._srs_row(srs_id)
        return None if row is None or srs_id in (-1, 0) or row[2] == "undefined" else row

    def _srs_row(self, srs_id: int) -> tuple[Any, ...] | None:
        return self.conn.execute(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
            "WHERE srs_id=?", (srs_id,)).fetchone()

    def crs_for_srs(self, srs_id: int) -> CRS:
        if srs_id in self._srs_cache:
            return self._srs_cache[srs_id]
        row = self._srs_row(srs_id)
        if row is None or srs_id in (-1, 0) or row[2] == "undefined":
            raise CrsError("{path}: srs_id {srs_id} has no usable CRS definition",
                           path=self.path, srs_id=srs_id)
        org, code, definition = row
        from pyproj import CRS

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
