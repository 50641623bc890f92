"""The project's base map and reference layers, kept in the GeoPackage itself.

One small table of our own, ``citymgr_map_layers`` (like ``citymgr_meta``, not registered in
``gpkg_contents``: QGIS and GDAL ignore it), one row per layer. The rows are plain dicts here;
``core/basemaps`` gives them meaning. The project embedded for QGIS lists them too.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import ValidationError

if TYPE_CHECKING:
    from citymgr_desktop.core.store.geopackage import Store

TABLE = "citymgr_map_layers"
COLUMNS = ("name", "kind", "location", "position", "opacity", "visible", "sort_order", "crs",
           "attribution", "style")
_DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY NOT NULL, "
        "kind TEXT NOT NULL, location TEXT NOT NULL, position TEXT NOT NULL DEFAULT 'under', "
        "opacity REAL NOT NULL DEFAULT 1.0, visible INTEGER NOT NULL DEFAULT 1, "
        "sort_order INTEGER NOT NULL DEFAULT 0, crs TEXT, attribution TEXT, style TEXT)")


def read_map_layers(store: Store) -> list[dict[str, Any]]:
    """The kept layers, bottom first (none when the table does not exist, or for a
    database store: map layers are kept in GeoPackage projects only, so far)."""
    from citymgr_desktop.core.store.geopackage import Store as GeoPackageStore

    if not isinstance(store, GeoPackageStore):
        return []
    try:
        rows = store.conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY sort_order, name").fetchall()
    except sqlite3.OperationalError:
        return []
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def write_map_layers(store: Store, rows: list[dict[str, Any]]) -> None:
    """Replace the kept layers by ``rows`` (their order is the drawing order) in one
    transaction."""
    from citymgr_desktop.core.store.geopackage import Store as GeoPackageStore

    if not isinstance(store, GeoPackageStore):
        raise ValidationError("base maps and reference layers are kept in GeoPackage projects "
                              "only (use --basemap/--reference for one run)")
    with store.session() as conn:
        conn.execute(_DDL)
        conn.execute(f"DELETE FROM {TABLE}")
        for order, row in enumerate(rows):
            values = [order if c == "sort_order" else row.get(c) for c in COLUMNS]
            conn.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(COLUMNS))})", values)
        # QGIS opening the file sees them too (the project embedded in qgis_projects)
        from citymgr_desktop.core.qgis import project as qgis_project  # writes XML: heavy

        qgis_project.embed_map_layers(conn, rows)
