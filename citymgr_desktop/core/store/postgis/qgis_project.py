"""The QGIS project kept in the database, in QGIS's own PostgreSQL project storage
(``qgis_projects``: name, metadata, a .qgz as ``content``): the same layers, styles, forms
and history relations as the project embedded in a GeoPackage, its layers read through
QGIS's ``postgres`` provider. A QGIS user opens it from the Browser (PostgreSQL >
connection > public > citymgr) or with ``postgresql://HOST:PORT?dbname=DB&schema=public&
project=citymgr``. No password is written into it: QGIS asks, or libpq finds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.qgis import document as qgis_document
from citymgr_desktop.core.qgis.embedded import PROJECT_NAME
from citymgr_desktop.core.store.common import LayerInfo
from citymgr_desktop.core.user import login_name

QGIS_PROJECTS_DDL = ("CREATE TABLE IF NOT EXISTS public.qgis_projects (name text PRIMARY KEY, "
                     "metadata jsonb, content bytea)")
_GEOMETRY = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


def _connection_part(conninfo: dict[str, Any]) -> str:
    """The connection of a QGIS layer source: the service when there is one, else the
    database, host, port and user (never a password)."""
    if conninfo.get("service"):
        parts = [f"service='{conninfo['service']}'"]
        if conninfo.get("dbname"):
            parts.append(f"dbname='{conninfo['dbname']}'")
        return " ".join(parts)
    parts = [f"dbname='{conninfo.get('dbname', '')}'"]
    for key in ("host", "port", "user"):
        if conninfo.get(key):
            parts.append(f"{key}={conninfo[key]}" if key == "port" else
                         f"{key}='{conninfo[key]}'")
    return " ".join(parts)


def layer_sources(conninfo: dict[str, Any], srid: int) -> dict[str, str]:
    """{table: QGIS postgres-provider source} of the project's layers."""
    base = _connection_part(conninfo)
    out = {}
    for name in (*qgis_document.ASSET_LAYERS, *qgis_document.RECORD_LAYERS):
        table = sc.table(name)
        if table.is_asset:
            out[name] = (f"{base} key='fid' srid={srid} type={_GEOMETRY[table.geometry_type or '']}"
                         f" checkPrimaryKeyUnicity='0' table=\"public\".\"{name}\" (geom)")
        else:
            out[name] = f"{base} key='fid' checkPrimaryKeyUnicity='0' table=\"public\".\"{name}\""
    return out


def extent_of(layers: Iterable[LayerInfo]) -> tuple[float, float, float, float] | None:
    """The project's initial extent: that of all the asset layers (None: no assets)."""
    boxes = [li.extent for li in layers if li.is_asset and li.extent]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def write_project(conn: Any, target: str, srid: int, extent: Any = None) -> None:
    """Create or replace the project ``citymgr`` in ``qgis_projects`` (caller's
    transaction)."""
    from psycopg.conninfo import conninfo_to_dict
    from pyproj import CRS

    conninfo = conninfo_to_dict(target)
    sources = layer_sources(conninfo, srid)
    qgs = qgis_document.project_xml(CRS.from_epsg(srid), sources, extent=extent,
                                   provider="postgres")
    content = qgis_document.qgz_bytes(qgs)
    metadata = json.dumps({"last_modified_time": now_iso(),
                           "last_modified_user": login_name("citymgr")})
    conn.execute(QGIS_PROJECTS_DDL)
    conn.execute("INSERT INTO public.qgis_projects (name, metadata, content) VALUES "
                 "(%s, %s, %s) ON CONFLICT (name) DO UPDATE SET metadata = EXCLUDED.metadata, "
                 "content = EXCLUDED.content", (PROJECT_NAME, metadata, content))
