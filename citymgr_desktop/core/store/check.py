"""Check a project file: GeoPackage sanity (integrity, required tables, rtree, SRS) and our
schema (fields, types, lengths, domains, unique uuids, component codes, history links,
geometries: type, 2D, SRS of every blob, validity).

Returns a list of problems, each naming the rows (fids) it found; an empty list means the
file is valid. Read-only. A damaged (malformed) file is checked as far as it can be read:
the damage is a problem of the list, never a crash.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.messages import Term, msg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.versions import added_columns
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import integrity
from citymgr_desktop.core.store.check_rows import geometries, keys
from citymgr_desktop.core.store.geopackage import Store
from citymgr_desktop.core.store.problems import Problem, fids_text, rows, unreadable
from citymgr_desktop.core.store.upgrade import stale_domains

__all__ = ["Problem", "validate_file"]

REQUIRED = ("gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns")
_SQL_TYPES = {
    sc.FieldType.TEXT: "TEXT", sc.FieldType.INTEGER: "INTEGER", sc.FieldType.REAL: "REAL",
    sc.FieldType.DATE: "DATE", sc.FieldType.DATETIME: "DATETIME",
    sc.FieldType.BOOLEAN: "BOOLEAN", sc.FieldType.BLOB: "BLOB",
}


def validate_file(path: str | os.PathLike[str], progress: Progress | None = None,
                  check_geometry: bool = True) -> list[Problem]:
    """All problems found in ``path`` (opening errors are raised, not listed)."""
    prog = ensure(progress)
    with Store.open(path, read_only=True, check=False) as store:
        conn = store.conn
        problems = _integrity(conn) + _guarded("file", _geopackage, conn)
        prog.update(1, 4, msg("GeoPackage structure"))
        try:
            ours = store.is_asset_project()
        except sqlite3.DatabaseError as exc:
            return [*problems, unreadable("schema", exc)]
        if not ours:
            problems.append(Problem("error", "schema", msg(
                "not a citymgr project: no asset layers road_segment/bridge/green_space/"
                "litter_bin")))
            return problems
        problems += _guarded("schema", _schema, conn)
        problems += _guarded("qgis_projects", _qgis_project, conn)
        prog.update(2, 4, msg("values"))
        problems += _guarded("values", _values, conn)
        problems += _guarded("keys", keys, conn)
        prog.update(3, 4, msg("geometries"))
        if check_geometry:
            problems += _guarded("geometries", geometries, conn, prog)
        prog.update(4, 4, msg("done"))
    return problems


def _qgis_project(conn: sqlite3.Connection) -> list[Problem]:
    """The embedded QGIS project must read this very file, not one of another name."""
    from citymgr_desktop.core.qgis import project as qgis_project

    other = qgis_project.points_elsewhere(conn)
    if other is None:
        return []
    return [Problem("error", "qgis_projects", msg(
        "the embedded QGIS project reads ./{other}, not this file ({name}): QGIS would show "
        "invalid layers, or that file's data if it sits beside this one; the first change "
        "made to this file in citymgr points the project here", other=other,
        name=qgis_project.gpkg_file_name(conn)))]


def _guarded(where: str, check: Any, *args: Any) -> list[Problem]:
    """A check that meets a damaged page reports it and lets the others run."""
    try:
        found: list[Problem] = check(*args)
        return found
    except sqlite3.DatabaseError as exc:
        return [unreadable(where, exc)]


def _integrity(conn: sqlite3.Connection) -> list[Problem]:
    """SQLite's quick_check; on a damaged file, which tables cannot be read."""
    try:
        findings = [r[0] for r in conn.execute("PRAGMA quick_check(10)").fetchall()]
    except sqlite3.DatabaseError as exc:
        findings = [str(exc)]
    if findings == ["ok"]:
        return []
    return [Problem("error", "file", msg("SQLite integrity check failed (the file is damaged; "
                                         "restore it from a backup): {findings}",
                                         findings=integrity.describe(
                                             integrity.findings_of(findings)))),
            *_damaged_tables(conn)]


def _geopackage(conn: sqlite3.Connection) -> list[Problem]:
    out = []
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
    for table, srs, z, m in conn.execute("SELECT table_name, srs_id, z, m FROM "
                                         "gpkg_geometry_columns").fetchall():
        if table in sc.ASSET_TABLES_BY_NAME and (z or m):
            out.append(Problem("error", table, msg(
                "declared with {dimensions} coordinates; the layer is 2D",
                dimensions=("Z" if z else "") + ("M" if m else ""))))
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


def _damaged_tables(conn: sqlite3.Connection) -> list[Problem]:
    """Which tables of a damaged file cannot be read, and from which row on (every row is
    read whole, so damaged overflow pages count too)."""
    out = []
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid")]
    for name in names:
        last = None
        try:
            cur = conn.execute(f"SELECT rowid, * FROM {gpkg.quote_ident(name)} ORDER BY rowid")
            while rows := cur.fetchmany(10_000):
                last = rows[-1][0]
        except sqlite3.DatabaseError as exc:
            if last is None:
                out.append(Problem("error", name, msg(
                    "cannot be read from its first row ({reason})", reason=str(exc))))
            else:
                out.append(Problem("error", name, msg(
                    "cannot be read after fid {fid} ({reason})", fid=last, reason=str(exc))))
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
            out.append(Problem("warning", table.name, msg(
                "made before field(s) {fields}; they are added by the next change made to "
                "the file", fields=", ".join(later))))
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
    for name in sorted(stale_domains(conn)):  # a file made before the domain gained codes
        out.append(Problem("warning", "gpkg_data_column_constraints", msg(
            "domain {domain} lacks codes of this version; they are added by the next change "
            "made to the file", domain=name)))
    return out


def _values(conn: sqlite3.Connection) -> list[Problem]:
    out = []
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in sc.ALL_TABLES:
        if table.name not in existing:
            continue  # reported by _schema
        t = gpkg.quote_ident(table.name)
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}
        for f in table.fields:
            if f.name not in present:
                continue  # reported by _schema ("..." of a missing column reads as text)
            c = gpkg.quote_ident(f.name)
            out += _typed(conn, table, f)
            if f.required:
                fids = rows(conn, f"SELECT rowid FROM {t} WHERE {c} IS NULL")
                if fids:
                    out.append(Problem("error", table.name, msg(
                        "{count} row(s) have no {field} ({rows})", count=len(fids),
                        field=f.name, rows=fids_text(fids))))
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


def _typed(conn: sqlite3.Connection, table: sc.Table, f: sc.Field) -> list[Problem]:
    """Values SQLite let in against the field's type: text in a number field, text longer
    than the field allows."""
    t, c = gpkg.quote_ident(table.name), gpkg.quote_ident(f.name)
    out = []
    if f.type in (sc.FieldType.INTEGER, sc.FieldType.REAL, sc.FieldType.BOOLEAN):
        fids = rows(conn, f"SELECT rowid FROM {t} WHERE typeof({c}) NOT IN "
                     "('integer', 'real', 'null')")
        if fids:
            out.append(Problem("error", table.name, msg(
                "{count} row(s) have text or bytes in the number field {field} ({rows})",
                count=len(fids), field=f.name, rows=fids_text(fids))))
    if f.type is sc.FieldType.TEXT and f.max_length:
        fids = rows(conn, f"SELECT rowid FROM {t} WHERE length({c}) > ?", (f.max_length,))
        if fids:
            out.append(Problem("error", table.name, msg(
                "{count} row(s) have a {field} longer than {length} characters ({rows})",
                count=len(fids), field=f.name, length=f.max_length, rows=fids_text(fids))))
    return out


