"""``citymgr validate URL``: the checks of a project database that the database itself does
not already enforce (its CHECK, NOT NULL and UNIQUE constraints do the rest): the schema of
this version, coded domains older than this version's (a warning: ``postgis/upgrade.py``
renews them), geometry SRIDs and validity, records that point at no asset."""

from __future__ import annotations

from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, ident
from citymgr_desktop.core.store.postgis.store import PostgisStore
from citymgr_desktop.core.store.postgis.upgrade import (
    stale_domains,
    unguarded,
    unversioned_tables,
)
from citymgr_desktop.core.store.problems import Problem


def validate_database(target: str, progress: Progress | None = None,
                      check_geometry: bool = True) -> list[Problem]:
    """All problems found in the database ``target`` (opening errors are raised)."""
    prog = ensure(progress)
    with PostgisStore.open(target, read_only=True) as db:
        if not db.is_asset_project():
            return [Problem("error", "schema", msg(
                "not a citymgr project: no asset layers road_segment/bridge/green_space/"
                "litter_bin"))]
        problems: list[Problem] = []
        found = db.meta("schema_hash")
        if found != sc.schema_hash():
            problems.append(Problem("error", "schema", msg(
                "the database's schema {found} is not this version's {expected}",
                found=found, expected=sc.schema_hash())))
        for table in sc.ALL_TABLES:
            have = set(db.column_names(table.name))
            for name in [*table.field_names(), VERSION_COLUMN]:
                if have and name not in have:
                    problems.append(Problem("error", table.name, msg(
                        "column {column} is missing", column=name)))
        for name in sorted(stale_domains(db.conn)):  # made before the domain gained codes
            problems.append(Problem("warning", "domain_" + name, msg(
                "domain {domain} lacks codes of this version; they are added when the "
                "database's owner next opens it for writing", domain=name)))
        for name in sorted(unversioned_tables(db.conn)):  # made before the version trigger
            problems.append(Problem("warning", name, msg(
                "its version does not count edits made in QGIS or SQL, which a citymgr "
                "save can then overwrite; the trigger is added when the database's owner "
                "next opens it for writing")))
        if unguarded(db.conn):  # granted 街道 before the guard triggers
            problems.append(Problem("warning", "citymgr_role_district", msg(
                "its logins were granted sub-districts (街道) by an older citymgr: QGIS and "
                "SQL edits of another sub-district's rows are not refused with a message "
                "(they change nothing, and QGIS reports them saved); the rules are renewed "
                "when the database's owner next opens it for writing, or by running "
                "'citymgr db grant {target} --role ROLE --district 街道' again",
                target=db.path)))
        prog.update(1, 3, msg("schema"))
        srid = db.srid
        for table in sc.ASSET_TABLES:
            row = db.conn.execute("SELECT srid FROM geometry_columns WHERE f_table_schema = "
                                  "'public' AND f_table_name = %s", (table.name,)).fetchone()
            if row is None or int(row[0]) != srid:
                problems.append(Problem("error", table.name, msg(
                    "geometry column has SRID {found}, the project's is {expected}",
                    found=None if row is None else row[0], expected=srid)))
            if check_geometry:
                bad = db.conn.execute(
                    f"SELECT count(*) FROM {ident(table.name)} WHERE geom IS NULL OR "
                    "NOT ST_IsValid(geom) OR ST_IsEmpty(geom)").fetchone()[0]
                if bad:
                    problems.append(Problem("error", table.name, msg(
                        "{count} missing, empty or invalid geometries", count=bad)))
        prog.update(2, 3, msg("geometries"))
        assets = " UNION ALL ".join(f"SELECT asset_uuid FROM {ident(t.name)}"
                                    for t in sc.ASSET_TABLES)
        orphans = db.conn.execute(
            f"SELECT count(*) FROM maintenance_record WHERE asset_uuid NOT IN ({assets})"
        ).fetchone()[0]
        if orphans:
            problems.append(Problem("error", "maintenance_record", msg(
                "{count} record(s) point at no asset", count=orphans)))
        prog.update(3, 3, msg("history links"))
    return problems
