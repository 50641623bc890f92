"""Check a project file: GeoPackage sanity (integrity, required tables, rtree, SRS) and our
schema (fields, domains, uuids, component codes, history links, geometries).

Returns a list of problems; an empty list means the file is valid. Read-only.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.gpkg.geometry import decode_many
from citymgr_desktop.core.messages import Term, Text, msg, render
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.versions import added_columns
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.geopackage import Store

REQUIRED = ("gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns")
_SQL_TYPES = {
    sc.FieldType.TEXT: "TEXT", sc.FieldType.INTEGER: "INTEGER", sc.FieldType.REAL: "REAL",
    sc.FieldType.DATE: "DATE", sc.FieldType.DATETIME: "DATETIME",
    sc.FieldType.BOOLEAN: "BOOLEAN", sc.FieldType.BLOB: "BLOB",
}


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    where: str
    message: Text  # a Message: shown in the reader's language

    def render(self, lang: str = "en") -> str:
        return f"{self.level}: {self.where}: {render(self.message, lang)}"

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def validate_file(path: str | os.PathLike[str], progress: Progress | None = None,
                  check_geometry: bool = True) -> list[Problem]:
    """All problems found in ``path`` (opening errors are raised, not listed)."""
    prog = ensure(progress)
    with Store.open(path, read_only=True) as store:
        conn = store.conn
        problems = _geopackage(conn)
        prog.update(1, 4, msg("GeoPackage structure"))
        if not store.is_asset_project():
            problems.append(Problem("error", "schema", msg(
                "not a citymgr project: no asset layers road_segment/bridge/green_space/"
                "litter_bin")))
            return problems
        problems += _schema(conn)
        problems += _qgis_project(conn)
        prog.update(2, 4, msg("values"))
        problems += _values(conn)
        prog.update(3, 4, msg("geometries"))
        if check_geometry:
            problems += _geometries(conn, prog)
        prog.update(4, 4, msg("done"))
    return problems


def _qgis_project(conn: sqlite3.Connection) -> list[Problem]:
    """The embedded QGIS project must read this very file, not one of another name."""
    from citymgr_desktop.core.qgis import project as qgis_project

    other = qgis_project.points_elsewhere(conn)
    if other is None:
        return []
    return [Problem("error", "qgis_projects", f"the embedded QGIS project reads ./{other}, "
                    f"not this file ({qgis_project.gpkg_file_name(conn)}): QGIS would show "
                    "invalid layers, or that file's data if it sits beside this one; opening "
                    "this file for editing in citymgr points the project here")]


def _geopackage(conn: sqlite3.Connection) -> list[Problem]:
    out = []
    if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
        out.append(Problem("error", "file", msg("SQLite integrity check failed")))
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != gpkg.APPLICATION_ID:
        out.append(Problem("error", "file", msg("application_id is {app_id:#x}, not 'GPKG'",
                                                app_id=app_id)))
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for t in REQUIRED:
        if t not in names:
            out.append(Problem("error", t, msg("required GeoPackage table is missing")))
    if any(p.where in REQUIRED for p in out):
        return out
    for (table,) in conn.execute("SELECT table_name FROM gpkg_contents"):
        if table not in names:
            out.append(Problem("error", table,
                               msg("listed in gpkg_contents but the table is missing")))
    for table, srs in conn.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns"):
        if conn.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id=?", (srs,)).fetchone() \
                is None:
            out.append(Problem("error", table, msg("srs_id {srs_id} is not in "
                                                   "gpkg_spatial_ref_sys", srs_id=srs)))
        rtree = gpkg.rtree_name(table)
        if rtree not in names:
            out.append(Problem("warning", table, msg("no spatial index (rtree)")))
            continue
        n_geom = conn.execute(f'SELECT count(*) FROM "{table}" WHERE geom IS NOT NULL'
                              ).fetchone()[0]
        n_idx = conn.execute(f'SELECT count(*) FROM "{rtree}"').fetchone()[0]
        if n_idx > n_geom:
            out.append(Problem("error", table, msg("spatial index has {entries} entries for "
                                                   "{geometries} geometries", entries=n_idx,
                                                   geometries=n_geom)))
        # GeoPackage 1.2/1.3 use update1-4; 1.4 (GDAL >= 3.11) uses update5-7 instead.
        legacy = all(f"{rtree}_update{i}" in names for i in (1, 2, 3, 4))
        modern = all(f"{rtree}_update{i}" in names for i in (6, 7))
        for suffix in ("insert", "delete"):
            if f"{rtree}_{suffix}" not in names:
                out.append(Problem("error", table, msg("rtree trigger {trigger} is missing",
                                                       trigger=f"{rtree}_{suffix}")))
        if not (legacy or modern):
            out.append(Problem("error", table, msg("rtree update triggers are missing: edits "
                                                   "made by other tools will not update the "
                                                   "spatial index")))
    return out


def _schema(conn: sqlite3.Connection) -> list[Problem]:
    out = []
    added = added_columns()
    for table in sc.ALL_TABLES:
        cols = {r[1]: (r[2] or "").upper() for r in conn.execute(
            f'PRAGMA table_info("{table.name}")')}
        if not cols:
            if table in sc.SYNC_TABLES:  # older files get them on their first check-out/sync
                out.append(Problem("warning", table.name, msg(
                    "sync table not created yet; it is added by the first field package or "
                    "sync")))
            else:
                out.append(Problem("error", table.name, msg("table is missing")))
            continue
        later = [f.name for f in table.fields if f.name not in cols
                 and f.name in added.get(table.name, ())]
        if later:  # a file of an older schema version: the columns come with the next write
            out.append(Problem("warning", table.name, f"made before field(s) "
                               f"{', '.join(later)}; they are added when the file is next "
                               "opened for writing"))
        for f in table.fields:
            if f.name in later:
                continue
            if f.name not in cols:
                out.append(Problem("error", table.name, msg("field {field} is missing",
                                                            field=f.name)))
            elif not cols[f.name].startswith(_SQL_TYPES[f.type]):
                out.append(Problem("error", table.name, msg(
                    "field {field} is {actual}, expected {expected}", field=f.name,
                    actual=cols[f.name], expected=_SQL_TYPES[f.type])))
    return out


def _values(conn: sqlite3.Connection) -> list[Problem]:
    out = []
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in sc.ALL_TABLES:
        if table.name not in existing:
            continue  # reported by _schema
        t = gpkg.quote_ident(table.name)
        for f in table.fields:
            c = gpkg.quote_ident(f.name)
            if f.required:
                n = conn.execute(f"SELECT count(*) FROM {t} WHERE {c} IS NULL").fetchone()[0]
                if n:
                    out.append(Problem("error", table.name, msg(
                        "{count} row(s) have no {field}", count=n, field=f.name)))
            dom = f.get_domain()
            if isinstance(dom, dm.CodedDomain):
                values = dom.values()
                marks = ",".join("?" * len(values))
                n = conn.execute(f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND {c} NOT IN "
                                 f"({marks})", values).fetchone()[0]
                if n:
                    out.append(Problem("error", table.name, msg(
                        "{count} row(s) have a {field} outside its domain ({allowed})",
                        count=n, field=f.name,
                        allowed=Term(dom.describe("en"), dom.describe("zh")))))
            elif isinstance(dom, dm.RangeDomain):
                n = conn.execute(f"SELECT count(*) FROM {t} WHERE {c} < ? OR {c} > ?",
                                 (dom.minimum, dom.maximum)).fetchone()[0]
                if n:
                    out.append(Problem("error", table.name, msg(
                        "{count} row(s) have a {field} outside {range}", count=n, field=f.name,
                        range=dom.describe())))
        if table.is_asset:
            n = conn.execute(f"SELECT count(*) FROM {t} WHERE obj_code IS NOT NULL AND "
                             "(length(obj_code) != 16 OR obj_code GLOB '*[^0-9]*' OR "
                             "substr(obj_code, 7, 4) != ?)",
                             (f"{table.major_code}{table.minor_code}",)).fetchone()[0]
            if n:
                out.append(Problem("error", table.name, msg(
                    "{count} malformed obj_code value(s)", count=n)))
    for link in ("maintenance_record", "work_order_asset"):
        orphan = " AND ".join(
            f"NOT (r.asset_class = '{t.name}' AND EXISTS (SELECT 1 FROM \"{t.name}\" a "
            f"WHERE a.asset_uuid = r.asset_uuid))" for t in sc.ASSET_TABLES)
        n = conn.execute(f'SELECT count(*) FROM "{link}" r WHERE {orphan}').fetchone()[0]
        if n:
            out.append(Problem("error", link, msg("{count} row(s) point at no existing asset",
                                                  count=n)))
    n = conn.execute("SELECT count(*) FROM work_order_asset l WHERE NOT EXISTS (SELECT 1 FROM "
                     "work_order o WHERE o.work_order_uuid = l.work_order_uuid)").fetchone()[0]
    if n:
        out.append(Problem("error", "work_order_asset", msg(
            "{count} row(s) point at no work order", count=n)))
    return out


def _geometries(conn: sqlite3.Connection, prog: Progress) -> list[Problem]:
    import numpy as np  # loaded by a validation, not by every command that opens a store
    import shapely

    out = []
    for table in sc.ASSET_TABLES:
        cur = conn.execute(f'SELECT fid, geom FROM "{table.name}"')
        bad, empty, wrong = [], 0, 0
        allowed = {"POINT": {0}, "LINESTRING": {1}, "MULTIPOLYGON": {6}}[table.geometry_type or ""]
        while True:
            rows = cur.fetchmany(200_000)
            if not rows:
                break
            prog.check()
            fids = np.array([r[0] for r in rows])
            geoms = decode_many([r[1] for r in rows])
            missing = shapely.is_missing(geoms)
            empty += int(missing.sum() + (shapely.is_empty(geoms) & ~missing).sum())
            present = ~missing
            types = shapely.get_type_id(geoms[present])
            wrong += int((~np.isin(types, list(allowed))).sum())
            invalid = ~shapely.is_valid(geoms[present])
            bad += fids[present][invalid].tolist()
        if empty:
            out.append(Problem("warning", table.name, msg(
                "{count} feature(s) without geometry", count=empty)))
        if wrong:
            out.append(Problem("error", table.name, msg(
                "{count} geometries are not {geometry_type}", count=wrong,
                geometry_type=table.geometry_type)))
        if bad:
            out.append(Problem("error", table.name, msg(
                "{count} invalid geometries (fid {fids})", count=len(bad),
                fids=", ".join(map(str, bad[:10])))))
    return out
