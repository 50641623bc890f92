"""The QGIS project that travels with a project file: styles in ``layer_styles`` and a whole
QGIS project (layers, forms, relations, CRS) in ``qgis_projects``, so that QGIS and QField
open a GeoPackage of ours ready to use; and the same project as a ``.qgz`` beside a file.

Data sources are written the way QGIS itself writes them for a project stored in a
GeoPackage: relative, ``./<file name>.gpkg|layername=<table>``, which QGIS (3.22 and later)
resolves against the folder of the GeoPackage the project is read from. The file may be moved
or copied to another folder or machine. No data source can name "this very file": QGIS's
``QgsPathResolver`` drops the project file's own name before resolving a relative path (and
``""``, ``.``, ``./`` resolve to the folder), so a copy *renamed* outside citymgr (``台账2026.gpkg``)
still reads ``./district.gpkg``: invalid layers in another folder, the original's data beside
it (QGIS issue #37440, open since 2020). Absolute paths would break on every move. So:
:func:`repoint` (the one function that decides and fixes it) runs on the first write through
the store, inside that write's transaction (``Store.session``, one call site; opening a file
never writes to it), field packages are written with ``embed(..., gpkg_name=...)``, and
:func:`points_elsewhere` lets ``validate`` report a file whose project reads another file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.gpkg.connection import read_only_uri
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.qgis import styles as qs
from citymgr_desktop.core.qgis.document import DEFAULT_LAYERS, project_xml, qgz_bytes
from citymgr_desktop.core.qgis.embedded import PROJECT_NAME, gpkg_file_name, needs_repoint
from citymgr_desktop.core.qgis.embedded import embedded_qgs as embedded_qgs  # the reading half
from citymgr_desktop.core.qgis.embedded import points_elsewhere as points_elsewhere
from citymgr_desktop.core.qgis.map_layers import kept_map_layers, with_map_layers
from citymgr_desktop.core.user import login_name

if TYPE_CHECKING:  # pyproj loads when a project is written, not when a store opens
    from pyproj import CRS

def _crs_of(conn: sqlite3.Connection, srs_id: int) -> CRS:
    from pyproj import CRS

    row = conn.execute(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
        "WHERE srs_id = ?",
        (srs_id,),
    ).fetchone()
    if row is None:
        raise ValueError(f"srs_id {srs_id} is not in gpkg_spatial_ref_sys")
    org, code, definition = row
    if str(org).upper() == "EPSG":
        return CRS.from_epsg(int(code))
    return CRS.from_wkt(definition)


def _extent(
    conn: sqlite3.Connection, tables: Sequence[str]
) -> tuple[float, float, float, float] | None:
    marks = ",".join("?" * len(tables))
    row = conn.execute(
        f"SELECT min(min_x), min(min_y), max(max_x), max(max_y) FROM gpkg_contents "
        f"WHERE table_name IN ({marks})",
        tuple(tables),
    ).fetchone()
    if row is None or None in row:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def _tables_present(conn: sqlite3.Connection, wanted: Iterable[str]) -> list[str]:
    have = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
    return [t for t in wanted if t in have and t in sc.TABLES_BY_NAME]


def embed(conn: sqlite3.Connection, srs_id: int, *, gpkg_name: str | None = None,
          variables: dict[str, str] | None = None) -> None:
    """Write the default QGIS styles and the embedded QGIS project into an open GeoPackage.

    Runs inside the caller's transaction; reads only metadata tables, so it takes the same
    few milliseconds whatever the number of features. Running it again replaces what it
    wrote before (use ``gpkg_name`` when the file is about to get another name).
    """
    tables = _tables_present(conn, DEFAULT_LAYERS)
    qs.write_styles(conn, [sc.table(t) for t in tables])
    name = gpkg_name or gpkg_file_name(conn)
    sources = {t: f"./{name}|layername={t}" for t in tables}
    crs = _crs_of(conn, srs_id)
    assets = [t for t in tables if sc.table(t).is_asset]
    qgs = project_xml(crs, sources, extent=_extent(conn, assets) if assets else None,
                      variables=variables)
    kept = kept_map_layers(conn)
    if kept:  # the base maps and reference layers kept in the project stay listed
        qgs = with_map_layers(qgs, kept)
    metadata = json.dumps(
        {
            "last_modified_time": datetime.now().replace(microsecond=0).isoformat(),
            "last_modified_user": login_name("citymgr"),
        }
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS qgis_projects"
        "(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
    )
    # QGIS stores the .qgz bytes hex-encoded as text (QgsGeoPackageProjectStorage).
    conn.execute(
        "INSERT OR REPLACE INTO qgis_projects VALUES (?,?,?)",
        (PROJECT_NAME, metadata, qgz_bytes(qgs).hex()),
    )


def repoint(conn: sqlite3.Connection, srs_id: int) -> bool:
    """Point the embedded QGIS project at this file (re-embed it) when it reads another file
    or is missing; True if it did. The caller runs it inside a write transaction."""
    if not needs_repoint(conn):
        return False
    embed(conn, srs_id)
    return True


def write_qgz(
    gpkg_path: str | os.PathLike[str],
    qgz_path: str | os.PathLike[str],
    layers: Sequence[str] | None = None,
    variables: dict[str, str] | None = None,
) -> Path:
    """Write the project as a ``.qgz`` whose layers read ``gpkg_path`` relative to it.

    ``layers`` picks tables (default: every project layer the GeoPackage has). For a QField
    package the .qgz sits beside the .gpkg, giving ``./pkg.gpkg|layername=road_segment``.
    """
    gpkg_path, qgz_path = Path(gpkg_path), Path(qgz_path)
    conn = sqlite3.connect(read_only_uri(gpkg_path.resolve()), uri=True)
    try:
        wanted = layers if layers is not None else DEFAULT_LAYERS
        unknown = [t for t in wanted if t not in sc.TABLES_BY_NAME]
        if unknown:
            raise ValueError(f"not tables of the model: {unknown}")
        tables = _tables_present(conn, wanted)
        srs_row = conn.execute("SELECT srs_id FROM gpkg_geometry_columns LIMIT 1").fetchone()
        from pyproj import CRS

        crs = _crs_of(conn, srs_row[0]) if srs_row else CRS.from_epsg(4326)
        assets = [t for t in tables if sc.table(t).is_asset]
        extent = _extent(conn, assets) if assets else None
    finally:
        conn.close()
    rel = os.path.relpath(gpkg_path.resolve(), qgz_path.resolve().parent).replace(os.sep, "/")
    rel = rel if rel.startswith("../") else f"./{rel}"
    sources = {t: f"{rel}|layername={t}" for t in tables}
    data = qgz_bytes(project_xml(crs, sources, extent=extent, variables=variables),
                     qgz_path.stem)
    with atomic_path(qgz_path) as tmp:
        tmp.write_bytes(data)
    return qgz_path


def add_map_layers_to_qgz(qgz_path: str | os.PathLike[str], rows: Sequence[dict]) -> None:
    """List map layers (rows as kept in ``citymgr_map_layers``, locations relative to the
    .qgz) in a .qgz written by :func:`write_qgz`: a field package's offline base map and
    reference layers."""
    qgz_path = Path(qgz_path)
    with zipfile.ZipFile(qgz_path) as z:
        name = next(n for n in z.namelist() if n.endswith(".qgs"))
        qgs = z.read(name).decode("utf-8")
    with atomic_path(qgz_path) as tmp:
        tmp.write_bytes(qgz_bytes(with_map_layers(qgs, rows), qgz_path.stem))


def embed_map_layers(conn: sqlite3.Connection, rows: Sequence[dict]) -> bool:
    """List the kept map layers in the embedded project (inside the caller's transaction);
    False when the file has no embedded project."""
    qgs = embedded_qgs(conn)
    if qgs is None:
        return False
    conn.execute("UPDATE qgis_projects SET content = ? WHERE name = ?",
                 (qgz_bytes(with_map_layers(qgs, rows)).hex(), PROJECT_NAME))
    return True
