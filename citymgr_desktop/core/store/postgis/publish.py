"""Moving data between a GeoPackage and the database: ``publish`` a district file into the
city database (idempotent by uuid: a second publish updates the rows that changed and never
duplicates one), and ``snapshot`` the database (or one 街道 of it) into an offline
GeoPackage.

Publishing never takes back what others saved in the database meanwhile: a row is updated
only when the file's copy is the newer one (its ``updated_at`` is not older than the
database's; a table without ``updated_at`` — records, events, attachments — only while the
database row was never changed, ``version`` 1). The rows the database keeps are counted in
:attr:`PublishResult.kept`. A file holding part of the district (a ``--district`` snapshot)
replaces only the work-order links of its own assets.

A file's own sync bookkeeping (field packages, sync runs, journal, conflicts) stays in the
file; the database keeps its own work-order time limits once it has them.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import BadFileError, SchemaError
from citymgr_desktop.core.gpkg.geometry import wkb
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.create import bulk_insert, finish, initialise
from citymgr_desktop.core.store.geopackage import Store
from citymgr_desktop.core.store.postgis.bulk import copy_to_stage, staged_columns
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, create_schema, ident
from citymgr_desktop.core.store.postgis.qgis_project import extent_of, write_project
from citymgr_desktop.core.store.postgis.store import PostgisStore
from citymgr_desktop.core.store.postgis.values import from_db, select_column

PUBLISHED = (*sc.ASSET_TABLES, sc.MAINTENANCE_RECORD, sc.WORK_ORDER, sc.WORK_ORDER_EVENT,
             sc.ATTACHMENT)


@dataclass
class PublishResult:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)  # newer in the database: not replaced
    created_schema: bool = False


def _file_rows(store: Store, table: sc.Table) -> tuple[list[str], list[list[Any]]]:
    names = ([sc.GEOMETRY_COLUMN] if table.is_asset else []) + table.field_names()
    rows = store.conn.execute(f"SELECT {store.select_list(table.name, names)} FROM "
                              f"{gpkg.quote_ident(table.name)} ORDER BY fid").fetchall()
    if table.is_asset:  # the WKB as it is in the file, for ST_GeomFromWKB
        return names, [[wkb(r[0]), *r[1:]] for r in rows]
    return names, [list(r) for r in rows]


def _srid(store: Store, db: PostgisStore) -> int:
    crs = store.project_crs()
    epsg = crs.to_epsg()
    if epsg is None or db.conn.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s",
                                       (epsg,)).fetchone() is None:
        raise SchemaError("{path}: its CRS {crs} has no EPSG code PostGIS knows",
                          path=store.path, crs=crs.name)
    return int(epsg)


def publish(source: str | os.PathLike[str], target: str,
            progress: Progress | None = None) -> PublishResult:
    """Publish the project file ``source`` into the database ``target`` (one transaction;
    the schema is created in an empty database)."""
    prog = ensure(progress)
    result = PublishResult()
    with Store.open(source, read_only=True) as store, PostgisStore.open(target) as db:
        store.require_asset_project()
        srid = _srid(store, db)
        with db.session() as conn:
            if not db.is_asset_project():
                if "citymgr_meta" in db._tables():
                    raise SchemaError("{path}: a half-made citymgr schema; drop it first",
                                      path=db.path)
                create_schema(conn, srid, store.district_code, conn.info.dbname)
                result.created_schema = True
            elif db.meta("schema_hash") != sc.schema_hash() or db.srid != srid:
                raise SchemaError("{path}: its schema or CRS differs from {file}'s; "
                                  "publish needs the same model version and CRS",
                                  path=db.path, file=store.path)
            for i, table in enumerate(PUBLISHED):
                names, rows = _file_rows(store, table)
                ins, upd, kept = _upsert(conn, table, names, rows, srid)
                result.inserted[table.name], result.updated[table.name] = ins, upd
                if kept:
                    result.kept[table.name] = kept
                prog.update(i + 1, len(PUBLISHED) + 1, table.name)
            links = _publish_order_assets(store, conn)
            if links:
                result.inserted[sc.WORK_ORDER_ASSET.name] = links
            _publish_calendar(store, conn)
            write_project(conn, target, srid, extent_of(db.layers()))
    return result


def _upsert(conn: Any, table: sc.Table, names: list[str], rows: list[list[Any]],
            srid: int) -> tuple[int, int, int]:
    """COPY the rows into a temporary table, then one INSERT … ON CONFLICT (uuid) DO UPDATE
    only where a value differs and the file's copy is not older than the database's
    (version + 1). Returns (inserted, updated, kept: differing rows the database keeps)."""
    if not rows:
        return 0, 0, 0
    if conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {ident(table.name)})").fetchone()[0]:
        return _copy_into_empty(conn, table, names, rows, srid), 0, 0
    stage = copy_to_stage(conn, table, names, rows, f"_publish_{table.name}")
    cols = ", ".join(map(ident, names))
    picked = staged_columns(names, srid)
    changed = [n for n in names if n != table.key]
    sets = ", ".join(f"{ident(n)} = EXCLUDED.{ident(n)}" for n in changed)
    old = ", ".join(f"t.{ident(n)}" for n in changed)
    new = ", ".join(f"EXCLUDED.{ident(n)}" for n in changed)

    def newer(file_row: str) -> str:
        """The file's copy (``file_row``) may replace the database's row ``t``: ISO stamps
        of one format compare as text."""
        if "updated_at" in names:
            return f"COALESCE(t.updated_at <= {file_row}.updated_at, true)"
        return f"t.{ident(VERSION_COLUMN)} = 1"

    kept = conn.execute(
        f"SELECT count(*) FROM {stage} s JOIN {ident(table.name)} t USING ({ident(table.key)}) "
        f"WHERE ({old}) IS DISTINCT FROM ({staged_columns(changed, srid)}) AND NOT "
        f"{newer('s')}").fetchone()[0]
    result = conn.execute(
        f"WITH done AS (INSERT INTO {ident(table.name)} AS t ({cols}) SELECT {picked} "
        f"FROM {stage} s ON CONFLICT ({ident(table.key)}) DO UPDATE SET {sets}, "
        f"{ident(VERSION_COLUMN)} = t.{ident(VERSION_COLUMN)} + 1 "
        f"WHERE ({old}) IS DISTINCT FROM ({new}) AND {newer('EXCLUDED')} "
        "RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
        "FROM done").fetchone()
    conn.execute(f"DROP TABLE {stage}")
    return int(result[0]), int(result[1]), int(kept)


def _copy_into_empty(conn: Any, table: sc.Table, names: list[str], rows: list[list[Any]],
                     srid: int) -> int:
    """A first publish: COPY straight into the empty table (the upsert would match nothing;
    this skips the staging table and the INSERT … SELECT: a third of the time at 100k)."""
    geom = names.index(sc.GEOMETRY_COLUMN) if table.is_asset else -1
    with conn.cursor().copy(f"COPY {ident(table.name)} ({', '.join(map(ident, names))}) "
                            "FROM STDIN") as copy:
        for r in rows:
            if geom >= 0 and r[geom] is not None:
                r[geom] = _ewkb_hex(r[geom], srid)
            copy.write_row(r)
    return len(rows)


def _ewkb_hex(wkb: bytes, srid: int) -> str:
    """PostGIS's text input of a geometry with its SRID: the WKB with the SRID flag in its
    type and the SRID after it (EWKB), as hex."""
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    return (wkb[:1] + struct.pack(order + "II", kind | 0x20000000, srid) + wkb[5:]).hex()


def _publish_order_assets(store: Store, conn: Any) -> int:
    """The file's links of its work orders to its own assets replace those the database has
    for the same orders and assets; links to assets the file does not hold (a file of one
    街道) stay. Returns the number of links added."""
    names, rows = _file_rows(store, sc.WORK_ORDER_ASSET)
    orders = sorted({r[names.index("work_order_uuid")] for r in rows})
    assets = sorted({str(u) for t in sc.ASSET_TABLES for (u,) in store.conn.execute(
        f"SELECT asset_uuid FROM {gpkg.quote_ident(t.name)}")}
                    | {r[names.index("asset_uuid")] for r in rows})
    before = conn.execute("SELECT count(*) FROM work_order_asset").fetchone()[0]
    conn.execute("DELETE FROM work_order_asset WHERE work_order_uuid = ANY(%s) AND "
                 "asset_uuid = ANY(%s)", (orders, assets))
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO work_order_asset ({', '.join(map(ident, names))}) "
                        f"VALUES ({', '.join(['%s'] * len(names))})", rows)
    added = conn.execute("SELECT count(*) FROM work_order_asset").fetchone()[0] - before
    if conn.execute("SELECT count(*) FROM work_order_time_limit").fetchone()[0] == 0:
        names, rows = _file_rows(store, sc.WORK_ORDER_TIME_LIMIT)
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO work_order_time_limit ({', '.join(map(ident, names))})"
                            f" VALUES ({', '.join(['%s'] * len(names))})", rows)
    return max(int(added), 0)


def _publish_calendar(store: Store, conn: Any) -> None:
    """The file's working calendar, unless the database has its own already."""
    from citymgr_desktop.core.model.workcalendar import CALENDAR_KEY

    text = store.meta(CALENDAR_KEY)
    if text:
        conn.execute("INSERT INTO citymgr_meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                     (CALENDAR_KEY, text))


def snapshot(source: str, out: str | os.PathLike[str], *, district: str | None = None,
             overwrite: bool = False, progress: Progress | None = None,
             password: str | None = None) -> dict[str, int]:
    """Write the database ``source`` (or the assets of one 街道 and their records) to a new
    GeoPackage ``out``; returns the number of rows per table. Written under a temporary
    name and renamed when complete. ``password``: one the user typed (the app)."""
    prog = ensure(progress)
    target = Path(out)
    if target.exists() and not overwrite:
        raise BadFileError("{target} already exists; choose a new file name or add "
                           "--overwrite", target=target)
    counts: dict[str, int] = {}
    with PostgisStore.open(source, read_only=True, password=password) as db:
        db.require_asset_project()
        crs = db.project_crs()
        with atomic_path(target) as tmp:
            conn = gpkg.connect(str(tmp))
            try:
                conn.execute("BEGIN")
                srs_id = initialise(conn, crs, db.district_code, with_rtree_triggers=False)
                conn.execute("DELETE FROM work_order_time_limit")
                kept: set[str] = set()
                tables = (*PUBLISHED, sc.WORK_ORDER_ASSET, sc.WORK_ORDER_TIME_LIMIT)
                for i, table in enumerate(tables):
                    counts[table.name] = _copy_table(db, conn, table, srs_id, district, kept)
                    prog.update(i + 1, len(tables), table.name)
                for table in sc.ASSET_TABLES:
                    gpkg.create_rtree_triggers(conn, table.name)
                finish(conn, srs_id)
                conn.execute("COMMIT")
            finally:
                conn.close()
    return counts


def _copy_table(db: PostgisStore, conn: Any, table: sc.Table, srs_id: int,
                district: str | None, kept: set[str]) -> int:
    names = ([sc.GEOMETRY_COLUMN] if table.is_asset else []) + table.field_names()
    where, params = "", []  # type: tuple[str, list[Any]]
    if district is not None and table.is_asset:
        where, params = " WHERE district = %s", [district]
    elif district is not None and "asset_uuid" in table.field_names():
        where, params = " WHERE asset_uuid = ANY(%s)", [sorted(kept)]
    rows = db.conn.execute(f"SELECT {', '.join(map(select_column, names))} FROM "
                           f"{ident(table.name)}{where} ORDER BY fid", params).fetchall()
    if not rows:
        return 0
    columns = {n: [from_db(n, r[i]) for r in rows] for i, n in enumerate(names)}
    geoms = columns.pop(sc.GEOMETRY_COLUMN, None)
    if table.is_asset:
        kept.update(columns["asset_uuid"])
    bulk_insert(conn, table, columns, geoms, srs_id)
    return len(rows)
