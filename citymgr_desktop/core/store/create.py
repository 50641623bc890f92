"""Create a project file (a GeoPackage in the asset schema) and bulk-load rows into it.

A new file is built under a temporary name next to the target and renamed into place only
when complete, so an interrupted or failed creation never leaves a half-written file.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.clock import new_uuid, office_today
from citymgr_desktop.core.errors import BadFileError, CrsError, ValidationError
from citymgr_desktop.core.gpkg.geometry import encode_many
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import workcalendar

if TYPE_CHECKING:  # loaded when a file is created, not with every store
    import numpy as np
    from pyproj import CRS

DEFAULT_CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E

# Default time limits for work orders (数字城管 practice: urgent in hours, others in working
# days); stored in the file as editable data (work_order_time_limit).
DEFAULT_TIME_LIMITS = (
    (None, 1, 2, "working_hours"),
    (None, 2, 8, "working_hours"),
    (None, 3, 3, "working_days"),
    (None, 4, 10, "working_days"),
    ("bridge", 1, 1, "working_hours"),
    ("bridge", 2, 4, "working_hours"),
)


def parse_crs(text: str | CRS) -> CRS:
    """Parse a CRS and insist that it is projected (areas and lengths in metres)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = text if isinstance(text, CRS) else CRS.from_user_input(text)
    except CRSError as exc:
        raise CrsError("unknown coordinate reference system {text!r}", text=text) from exc
    if not crs.is_projected:
        raise CrsError(
            "{crs} is not a projected CRS; a project needs metres (for example EPSG:4547, "
            "CGCS2000 / 3-degree Gauss-Kruger CM 114E)", crs=crs.name)
    return crs


def validate_district_code(code: str) -> str:
    if not re.fullmatch(r"\d{6}", code or ""):
        raise ValidationError("district code must be 6 digits (GB/T 2260), got {code!r}",
                              code=code)
    return code


def initialise(conn: sqlite3.Connection, crs: CRS, district_code: str, *,
               with_rtree_triggers: bool = True,
               calendar_years: Iterable[int] | None = None) -> int:
    """Write the whole empty schema into a fresh database; returns the project's srs_id.

    The working calendar of the deadlines (holidays, 调休 working weekends) is seeded with
    the official one of ``calendar_years`` (default: last year, this year and the next).
    """
    gpkg.init_geopackage(conn)
    srs_id = gpkg.add_srs(conn, crs)
    gpkg.write_domains(conn, dm.ALL_DOMAINS.values())
    for table in sc.ALL_TABLES:
        gpkg.create_table(conn, table, srs_id)
        if table.is_asset:
            gpkg.create_rtree(conn, table.name)
            if with_rtree_triggers:
                gpkg.create_rtree_triggers(conn, table.name)
    gpkg.create_integrity_triggers(conn)
    gpkg.create_indexes(conn)
    conn.executemany(
        "INSERT INTO citymgr_meta VALUES (?,?)",
        [("schema_version", str(sc.SCHEMA_VERSION)), ("schema_hash", sc.schema_hash()),
         ("district_code", district_code), ("crs", crs.to_string()),
         ("project_uuid", new_uuid())],
    )
    years = calendar_years or workcalendar.default_years(office_today())
    conn.execute("INSERT INTO citymgr_meta VALUES (?,?)",
                 (workcalendar.CALENDAR_KEY, workcalendar.official_days(years).to_json()))
    conn.executemany(
        "INSERT INTO work_order_time_limit (asset_class, priority, limit_value, limit_unit) "
        "VALUES (?,?,?,?)",
        DEFAULT_TIME_LIMITS,
    )
    return srs_id


def finish(conn: sqlite3.Connection, srs_id: int) -> None:
    """Write the QGIS styles and project and refresh every layer's extent."""
    from citymgr_desktop.core.qgis import project as qgis_project

    for table in sc.ASSET_TABLES:
        refresh_extent(conn, table.name)
    qgis_project.embed(conn, srs_id)


def create_project(path: str | os.PathLike[str], crs: str | CRS = DEFAULT_CRS,
                   district_code: str = "420106", *, overwrite: bool = False) -> Path:
    """Create an empty project file in the asset schema; refuses to replace a file unless
    ``overwrite`` (then the old file is replaced only once the new one is complete)."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise BadFileError("{target} already exists; choose a new file name", target=target)
    crs_obj = parse_crs(crs)
    validate_district_code(district_code)
    with atomic_path(target) as tmp:
        conn = gpkg.connect(str(tmp))
        try:
            conn.execute("BEGIN")
            srs_id = initialise(conn, crs_obj, district_code)
            finish(conn, srs_id)
            conn.execute("COMMIT")
        finally:
            conn.close()
    return target


def bulk_insert(conn: sqlite3.Connection, table: sc.Table, columns: Mapping[str, Sequence[Any]],
                geoms: Sequence[Any] | np.ndarray | None, srs_id: int) -> None:
    """Insert many rows at once: values column-wise, geometries as a Shapely array.

    The caller drops the rtree triggers first (``with_rtree_triggers=False``); the rtree is
    filled here from the geometries' bounds, far faster than a trigger per row.
    """
    import numpy as np
    import shapely

    names = list(columns)
    unknown = set(names) - set(table.field_names())
    if unknown:
        raise ValidationError("{table} has no field(s) {unknown}",
                              table=table.name, unknown=sorted(unknown))
    n = len(next(iter(columns.values()))) if names else len(geoms or [])
    data: list[Sequence[Any]] = [_sql_values(columns[c]) for c in names]
    if table.is_asset:
        assert geoms is not None
        garr = np.asarray(geoms, dtype=object)
        blobs = encode_many(garr, srs_id)
        names = [sc.GEOMETRY_COLUMN, *names]
        data = [blobs, *data]
    start = conn.execute(f"SELECT coalesce(max(fid), 0) FROM {gpkg.quote_ident(table.name)}"
                         ).fetchone()[0]
    cols = ", ".join(gpkg.quote_ident(c) for c in names)
    marks = ", ".join("?" * len(names))
    conn.executemany(f"INSERT INTO {gpkg.quote_ident(table.name)} ({cols}) VALUES ({marks})",
                     zip(*data, strict=True))
    if table.is_asset:
        fids = np.arange(start + 1, start + n + 1, dtype=np.int64)
        gpkg.fill_rtree(conn, table.name, fids, shapely.bounds(garr))
        gpkg.touch_contents(conn, table.name)


def _sql_values(values: Sequence[Any]) -> list[Any]:
    """Plain Python values for sqlite3: lists pass through (callers give None for missing);
    NumPy arrays are converted, NaN becoming None."""
    if isinstance(values, list):
        return values
    import numpy as np

    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return [None if v != v else v for v in arr.tolist()]
    if arr.dtype.kind == "O":
        return [None if isinstance(v, float) and v != v else v for v in arr.tolist()]
    return arr.tolist()


def refresh_extent(conn: sqlite3.Connection, table: str) -> None:
    """Recompute a layer's extent in gpkg_contents from its rtree."""
    row = conn.execute(
        f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "
        f"{gpkg.quote_ident(gpkg.rtree_name(table))}"
    ).fetchone()
    conn.execute(
        "UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?",
        (*row, table),
    )
    gpkg.touch_contents(conn, table)
