"""Low-level GeoPackage writing with plain ``sqlite3``: the required tables, our schema's DDL,
the rtree index with the GeoPackage 1.2/1.3 triggers, the schema extension (domains), and
``gpkg_contents`` bookkeeping.

Files are written as GeoPackage 1.3 (legacy rtree triggers) on purpose: GDAL 3.6's validator
and QGIS 3.22, still common in municipal offices, reject or warn on 1.4's new triggers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from citymgr_desktop.core.gpkg.connection import exec_script, quote_ident
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:  # loaded where used: opening a file for an edit needs neither
    import numpy as np
    from pyproj import CRS

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0
RTREE_EXTENSION = "http://www.geopackage.org/spec120/#extension_rtree"
SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"
NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

_CORE_DDL = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name));
CREATE TABLE gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
  description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
CREATE TABLE citymgr_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT);
"""


def srs_id_for(crs: CRS) -> int:
    """The srs_id we use for a CRS: its EPSG code (the GeoPackage convention)."""
    epsg = crs.to_epsg()
    if epsg is None:
        return 100000
    return int(epsg)


def add_srs(conn: sqlite3.Connection, crs: CRS) -> int:
    """Register ``crs`` in gpkg_spatial_ref_sys (if missing) and return its srs_id."""
    srs_id = srs_id_for(crs)
    row = conn.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id=?", (srs_id,)).fetchone()
    if row is None:
        epsg = crs.to_epsg()
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)",
            (crs.name, srs_id, "EPSG" if epsg else "NONE", epsg or srs_id,
             crs.to_wkt("WKT1_GDAL"), crs.name),
        )
    return srs_id


def init_geopackage(conn: sqlite3.Connection) -> None:
    """Write the GeoPackage header values, required tables and default SRS rows."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    exec_script(conn, _CORE_DDL)
    conn.executemany(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)",
        [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined",
             "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined",
             "undefined geographic coordinate reference system"),
        ],
    )
    from pyproj import CRS

    add_srs(conn, CRS.from_epsg(4326))
    conn.executemany(
        "INSERT INTO gpkg_extensions VALUES (?,?,?,?,?)",
        [
            ("gpkg_data_columns", None, "gpkg_schema", SCHEMA_EXTENSION, "read-write"),
            ("gpkg_data_column_constraints", None, "gpkg_schema", SCHEMA_EXTENSION, "read-write"),
        ],
    )


def _column_ddl(f: sc.Field) -> str:
    sqltype = f.type.value
    if f.type is sc.FieldType.TEXT and f.max_length:
        sqltype = f"TEXT({f.max_length})"
    parts = [quote_ident(f.name), sqltype]
    if f.required:
        parts.append("NOT NULL")
    if f.unique:
        parts.append("UNIQUE")
    return " ".join(parts)


def create_table(conn: sqlite3.Connection, table: sc.Table, srs_id: int | None) -> None:
    """Create one table of the model and register it in gpkg_contents (and geometry columns)."""
    cols = ['"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL']
    if table.is_asset:
        cols.append(f"{quote_ident(sc.GEOMETRY_COLUMN)} {table.geometry_type}")
    cols += [_column_ddl(f) for f in table.fields]
    conn.execute(f"CREATE TABLE {quote_ident(table.name)} ({', '.join(cols)})")
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        "VALUES (?,?,?,?,?)",
        (table.name, "features" if table.is_asset else "attributes", table.name,
         f"{table.zh} {table.en}", srs_id if table.is_asset else None),
    )
    if table.is_asset:
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?,?,?,?,0,0)",
            (table.name, sc.GEOMETRY_COLUMN, table.geometry_type, srs_id),
        )
    _write_data_columns(conn, table)


def _write_data_columns(conn: sqlite3.Connection, table: sc.Table,
                        fields: Iterable[sc.Field] | None = None) -> None:
    rows = [
        (table.name, f.name, f.zh, f.en, f"{f.zh} / {f.en}", None, f.domain)
        for f in (table.fields if fields is None else fields)
    ]
    conn.executemany("INSERT OR IGNORE INTO gpkg_data_columns VALUES (?,?,?,?,?,?,?)", rows)


def add_columns(conn: sqlite3.Connection, table: sc.Table, names: Iterable[str]) -> None:
    """Append columns of the model to an existing table (nullable, as ``ALTER TABLE`` adds
    them; SQLite does not rewrite the table) and describe them in gpkg_data_columns."""
    fields = [table.field(n) for n in names]
    for f in fields:
        ddl = _column_ddl(f).replace(" NOT NULL", "").replace(" UNIQUE", "")
        conn.execute(f"ALTER TABLE {quote_ident(table.name)} ADD COLUMN {ddl}")
    _write_data_columns(conn, table, fields)


def write_domains(conn: sqlite3.Connection, domains: Iterable[dm.Domain]) -> None:
    """Write coded-value and range domains to gpkg_data_column_constraints."""
    for domain in domains:
        if isinstance(domain, dm.CodedDomain):
            conn.executemany(
                "INSERT INTO gpkg_data_column_constraints VALUES (?,'enum',?,NULL,NULL,NULL,NULL,?)",
                [(domain.name, str(c.value), f"{c.zh} {c.en}") for c in domain.codes],
            )
        else:
            conn.execute(
                "INSERT INTO gpkg_data_column_constraints VALUES (?,'range',NULL,?,?,?,?,?)",
                (domain.name, domain.minimum, int(domain.min_inclusive), domain.maximum,
                 int(domain.max_inclusive), f"{domain.zh} {domain.en}"),
            )


def rtree_name(table: str) -> str:
    return f"rtree_{table}_{sc.GEOMETRY_COLUMN}"


def create_rtree(conn: sqlite3.Connection, table: str) -> None:
    """Create the rtree virtual table and register the extension (triggers separately)."""
    conn.execute(
        f"CREATE VIRTUAL TABLE {quote_ident(rtree_name(table))} "
        "USING rtree(id, minx, maxx, miny, maxy)"
    )
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?,?,'gpkg_rtree_index',?,'write-only')",
        (table, sc.GEOMETRY_COLUMN, RTREE_EXTENSION),
    )


def create_rtree_triggers(conn: sqlite3.Connection, table: str) -> None:
    """The six GeoPackage 1.2/1.3 rtree triggers (spec annex F.3)."""
    t, c, i, r = quote_ident(table), quote_ident(sc.GEOMETRY_COLUMN), '"fid"', rtree_name(table)
    rq = quote_ident(r)
    ins = (f"INSERT OR REPLACE INTO {rq} VALUES (NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), "
           f"ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));")
    exec_script(conn, f"""
CREATE TRIGGER "{r}_insert" AFTER INSERT ON {t}
WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN {ins} END;
CREATE TRIGGER "{r}_update1" AFTER UPDATE OF {c} ON {t}
WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN {ins} END;
CREATE TRIGGER "{r}_update2" AFTER UPDATE OF {c} ON {t}
WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN DELETE FROM {rq} WHERE id = OLD.{i}; END;
CREATE TRIGGER "{r}_update3" AFTER UPDATE ON {t}
WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
BEGIN DELETE FROM {rq} WHERE id = OLD.{i}; {ins} END;
CREATE TRIGGER "{r}_update4" AFTER UPDATE ON {t}
WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
BEGIN DELETE FROM {rq} WHERE id IN (OLD.{i}, NEW.{i}); END;
CREATE TRIGGER "{r}_delete" AFTER DELETE ON {t}
WHEN old.{c} NOT NULL
BEGIN DELETE FROM {rq} WHERE id = OLD.{i}; END;
""")


def drop_rtree_triggers(conn: sqlite3.Connection, table: str) -> None:
    r = rtree_name(table)
    for suffix in ("insert", "update1", "update2", "update3", "update4", "delete"):
        conn.execute(f'DROP TRIGGER IF EXISTS "{r}_{suffix}"')


PACK_ROWS = 1000  # from this many new entries on, the rtree is written as a packed tree ...
REPACK_RATIO = 4  # ... when it holds at most this many times as many already (read back) ...
PACK_MAX = 250_000  # ... and all of them together are at most this many (~40 MB to pack)
# (past PACK_MAX: fill_rtree_from, which holds a few hundred leaves at a time)


def fill_rtree(conn: sqlite3.Connection, table: str, fids: np.ndarray, bounds: np.ndarray) -> None:
    """Add rtree entries from arrays (fid, and minx/miny/maxx/maxy per row; NaN: none).

    Many entries into a small (or empty) rtree: the whole tree is written again, packed
    (:mod:`rtree_pack`); otherwise SQLite inserts them one by one."""
    import numpy as np

    from citymgr_desktop.core.gpkg import rtree_pack

    ok = ~np.isnan(bounds).any(axis=1)
    fids, bounds = np.asarray(fids, dtype=np.int64)[ok], bounds[ok]
    rtree = rtree_name(table)
    if len(fids) >= PACK_ROWS and rtree_pack.packable(conn, rtree):
        held = conn.execute(f"SELECT count(*) FROM {quote_ident(rtree + '_rowid')}").fetchone()[0]
        if held <= REPACK_RATIO * len(fids) and held + len(fids) <= PACK_MAX:
            old = np.array(conn.execute(f"SELECT id, minx, miny, maxx, maxy FROM "
                                        f"{quote_ident(rtree)}").fetchall(),
                           dtype=np.float64).reshape(-1, 5)
            if not np.isin(old[:, 0].astype(np.int64), fids).any():  # else: the error below
                rtree_pack.write_packed(conn, rtree,
                                        np.concatenate([old[:, 0].astype(np.int64), fids]),
                                        np.concatenate([old[:, 1:], bounds]))
                return
    rows = zip(
        fids.tolist(), bounds[:, 0].tolist(), bounds[:, 2].tolist(),
        bounds[:, 1].tolist(), bounds[:, 3].tolist(), strict=True,
    )
    conn.executemany(f"INSERT INTO {quote_ident(rtree)} VALUES (?,?,?,?,?)", rows)


def fill_rtree_from(conn: sqlite3.Connection, table: str, scratch: str) -> None:
    """Add the rtree entries in the scratch table ``scratch`` (``rtree_pack.create_scratch``;
    any number): the whole tree packed again, streamed, when it holds at most
    ``REPACK_RATIO`` times as many already; else SQLite inserts them in one statement."""
    from citymgr_desktop.core.gpkg import rtree_pack

    rtree, new = rtree_name(table), f"temp.{quote_ident(scratch)}"
    count = conn.execute(f"SELECT count(*) FROM {new}").fetchone()[0]
    if rtree_pack.packable(conn, rtree) and conn.execute(
            f"SELECT count(*) FROM {quote_ident(rtree + '_rowid')}").fetchone()[0] \
            <= REPACK_RATIO * count:  # an id already there: an IntegrityError, as in fill_rtree
        conn.execute(f"INSERT INTO {new} SELECT id, minx, maxx, miny, maxy FROM {quote_ident(rtree)}")
        rtree_pack.write_packed_from(conn, rtree, scratch)
        return
    conn.execute(f"INSERT INTO {quote_ident(rtree)} SELECT * FROM {new} ORDER BY id")


def create_integrity_triggers(conn: sqlite3.Connection) -> None:
    """Keep history and work-order links pointing at real assets, whoever edits the file.

    One table cannot carry a FOREIGN KEY to four asset tables, so triggers do it: a record
    must name an existing asset, and an asset with history or work orders cannot be deleted
    (it is retired instead) nor have its uuid changed. QGIS and QField hit the same rules.
    """
    exists = " OR ".join(
        f"(NEW.asset_class = '{t.name}' AND EXISTS "
        f"(SELECT 1 FROM {quote_ident(t.name)} WHERE asset_uuid = NEW.asset_uuid))"
        for t in sc.ASSET_TABLES
    )
    for link in ("maintenance_record", "work_order_asset"):
        for when, name in (("INSERT", "insert"), ("UPDATE OF asset_uuid, asset_class", "update")):
            conn.execute(
                f'CREATE TRIGGER "{link}_asset_exists_{name}" BEFORE {when} ON "{link}" '
                f"WHEN NOT ({exists}) BEGIN SELECT RAISE(ABORT, "
                f"'{link}.asset_uuid must name an existing asset of its asset_class'); END"
            )
    for t in sc.ASSET_TABLES:
        referenced = (
            "EXISTS (SELECT 1 FROM maintenance_record WHERE asset_uuid = OLD.asset_uuid) OR "
            "EXISTS (SELECT 1 FROM work_order_asset WHERE asset_uuid = OLD.asset_uuid)"
        )
        conn.execute(
            f'CREATE TRIGGER "{t.name}_keep_history_delete" BEFORE DELETE ON "{t.name}" '
            f"WHEN {referenced} BEGIN SELECT RAISE(ABORT, "
            f"'asset has maintenance history or work orders: retire it instead of deleting'); END"
        )
        conn.execute(
            f'CREATE TRIGGER "{t.name}_keep_history_uuid" BEFORE UPDATE OF asset_uuid '
            f'ON "{t.name}" WHEN OLD.asset_uuid IS NOT NEW.asset_uuid AND ({referenced}) '
            f"BEGIN SELECT RAISE(ABORT, 'asset_uuid of an asset with history cannot change'); END"
        )


def create_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for the lookups the app makes all day."""
    for t in sc.ASSET_TABLES:
        conn.execute(f'CREATE INDEX "idx_{t.name}_district" ON "{t.name}" (district)')
        conn.execute(f'CREATE INDEX "idx_{t.name}_condition" ON "{t.name}" (condition)')
    conn.execute('CREATE INDEX "idx_maintenance_record_asset" ON maintenance_record (asset_uuid)')
    conn.execute('CREATE INDEX "idx_maintenance_record_date" ON maintenance_record (record_date)')
    conn.execute('CREATE INDEX "idx_work_order_asset_asset" ON work_order_asset (asset_uuid)')
    conn.execute('CREATE INDEX "idx_work_order_asset_order" ON work_order_asset (work_order_uuid)')
    conn.execute('CREATE INDEX "idx_work_order_state" ON work_order (state)')
    conn.execute('CREATE INDEX "idx_work_order_event_order" ON work_order_event (work_order_uuid)')
    conn.execute('CREATE INDEX "idx_attachment_owner" ON attachment (owner_uuid)')
    create_attachment_indexes(conn)
    for ddl in STATS_INDEXES.values():
        conn.execute(ddl)


def create_attachment_indexes(conn: sqlite3.Connection) -> None:
    """Photos by asset and by content (schema version 2; also made when a file is upgraded)."""
    conn.execute('CREATE INDEX IF NOT EXISTS "idx_attachment_asset" ON attachment (asset_uuid)')
    conn.execute('CREATE INDEX IF NOT EXISTS "idx_attachment_sha256" ON attachment (sha256)')


# Covering indexes the statistics need (core/stats, docs/statistics.md): the register of
# live assets by sub-district and condition (grid and install date along); records by date
# with class, type and cost, and by type, class and date with the asset (inspection
# coverage); orders by deadline; the moves by target state. Files made before them get them with
# their first write (store/upgrade.py: bring_up_to_date), never from an open.
STATS_INDEXES: dict[str, str] = {
    **{f"idx_{t.name}_register":
       f'CREATE INDEX "idx_{t.name}_register" ON "{t.name}" '
       "(retired_at, district, condition, bgid, install_date)" for t in sc.ASSET_TABLES},
    "idx_maintenance_record_stats":
        'CREATE INDEX "idx_maintenance_record_stats" ON maintenance_record (record_date, '
        "asset_class, record_type, labour_cost, material_cost, equipment_cost)",
    "idx_maintenance_record_inspection":
        'CREATE INDEX "idx_maintenance_record_inspection" ON maintenance_record (record_type, '
        "asset_class, record_date, asset_uuid)",
    "idx_work_order_deadline": 'CREATE INDEX "idx_work_order_deadline" ON work_order (deadline)',
    "idx_work_order_event_state":
        'CREATE INDEX "idx_work_order_event_state" ON work_order_event '
        "(to_state, work_order_uuid, at)",
}


def missing_indexes(conn: sqlite3.Connection) -> list[str]:
    """The statistics indexes this file lacks (on tables it has)."""
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [name for name, ddl in STATS_INDEXES.items()
            if name not in have and ddl.split(" ON ")[1].split(" (")[0].strip('"') in tables]


def create_missing_indexes(conn: sqlite3.Connection) -> list[str]:
    """Create the statistics indexes the file lacks (in the caller's transaction)."""
    names = missing_indexes(conn)
    for name in names:
        conn.execute(STATS_INDEXES[name])
    return names


def touch_contents(conn: sqlite3.Connection, table: str) -> None:
    """Set gpkg_contents.last_change (plain sqlite3 writes do not, GDAL's do)."""
    conn.execute(f"UPDATE gpkg_contents SET last_change = {NOW_SQL} WHERE table_name = ?",
                 (table,))


def expand_extent(conn: sqlite3.Connection, table: str,
                  bounds: tuple[float, float, float, float]) -> None:
    """Grow the layer's extent in gpkg_contents to include ``bounds`` (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds
    conn.execute(
        "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?), ?), "
        "min_y = min(coalesce(min_y, ?), ?), max_x = max(coalesce(max_x, ?), ?), "
        "max_y = max(coalesce(max_y, ?), ?) WHERE table_name = ?",
        (minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
    )
