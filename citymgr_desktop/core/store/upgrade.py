"""Files made by an earlier version of the schema: which model columns and domain codes they
lack, and adding them.

A new schema version only appends nullable columns (``model/versions.py``), so an older
file stays a valid project: opened for writing, it gets the columns (``ALTER TABLE … ADD
COLUMN`` does not rewrite a table: milliseconds at any size), their descriptions in
``gpkg_data_columns``, the indexes that go with them and a QGIS project whose forms show
them (a one-time migration, the only write an open makes); opened read-only, the store reads
the missing columns as empty
(:meth:`~citymgr_desktop.core.store.geopackage.Store.select_list`). ``validate`` accepts
both and says which columns the next write will add. The sync tables are added the same way,
on first use (``core/sync/schema.py``).

A coded domain may gain codes (12319城管热线 as a work order's source): a file written
before has the older list in ``gpkg_data_column_constraints`` and value maps without it in its
QGIS project. The same first write brings the domain's rows up to the model (codes added,
labels renewed; a row the model does not know is kept) and re-embeds the project, so QGIS,
GDAL and a field package's forms offer the new code; read-only, nothing is written (the app's
own editors are built from the model).
"""

from __future__ import annotations

import sqlite3

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.versions import added_columns
from citymgr_desktop.core.qgis.embedded import needs_repoint
from citymgr_desktop.core.store import project_memo

Absent = dict[str, frozenset[str]]


def absent_columns(conn: sqlite3.Connection) -> Absent:
    """The columns of later schema versions that this file's tables lack, by table (tables
    the file does not have at all are left to ``validate``)."""
    out: Absent = {}
    for table_name, names in added_columns().items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({gpkg.quote_ident(table_name)})")}
        missing = frozenset(n for n in names if n not in have)
        if have and missing:
            out[table_name] = missing
    return out


def stale_domains(conn: sqlite3.Connection) -> frozenset[str]:
    """The coded domains of the model whose codes, or labels, this file's schema extension
    lacks (a file made before they were added)."""
    try:
        rows = conn.execute("SELECT constraint_name, value, description FROM "
                            "gpkg_data_column_constraints WHERE constraint_type = 'enum'")
        have = {(name, value): description for name, value, description in rows}
    except sqlite3.OperationalError:  # no schema extension: nothing of ours to renew
        return frozenset()
    return frozenset(
        d.name for d in dm.coded_domains().values()
        if any(have.get((d.name, str(c.value))) != f"{c.zh} {c.en}" for c in d.codes))


def renew_domains(conn: sqlite3.Connection, names: frozenset[str]) -> None:
    """Write the model's codes of the domains ``names`` over the file's (rows of codes the
    model does not have are kept)."""
    coded = dm.coded_domains()
    domains = [coded[n] for n in sorted(names)]
    for d in domains:
        conn.executemany("DELETE FROM gpkg_data_column_constraints WHERE constraint_name = ? "
                         "AND constraint_type = 'enum' AND value = ?",
                         [(d.name, str(v)) for v in d.values()])
    gpkg.write_domains(conn, domains)


def add_absent_columns(conn: sqlite3.Connection, absent: Absent) -> None:
    """Append the absent columns (model order), fill what can be derived and record the
    schema version; the caller holds the write transaction and re-embeds the QGIS project."""
    for table_name, names in absent.items():
        table = sc.table(table_name)
        gpkg.add_columns(conn, table, [n for n in table.field_names() if n in names])
    if "asset_uuid" in absent.get("attachment", ()):
        # the asset each existing attachment shows: its owner, or its record's asset
        kinds = [t.name for t in sc.ASSET_TABLES]
        conn.execute(f"UPDATE attachment SET asset_uuid = owner_uuid WHERE owner_kind IN "
                     f"({','.join('?' * len(kinds))})", kinds)
        conn.execute("UPDATE attachment SET asset_uuid = (SELECT r.asset_uuid FROM "
                     "maintenance_record r WHERE r.record_uuid = attachment.owner_uuid) "
                     "WHERE owner_kind = 'maintenance_record'")
    if "attachment" in absent:
        gpkg.create_attachment_indexes(conn)
    conn.executemany("INSERT OR REPLACE INTO citymgr_meta (key, value) VALUES (?, ?)",
                     [("schema_version", str(sc.SCHEMA_VERSION)),
                      ("schema_hash", sc.schema_hash())])


def bring_up_to_date(conn: sqlite3.Connection, absent: Absent,
                     stale: frozenset[str] = frozenset()) -> None:
    """What the first write through a store does first, in its transaction: add the columns
    and domain codes (``stale`` domains) an older file lacks and re-embed the QGIS project
    (its forms show them; the store does
    this one migration when it opens such a file for writing), or else point the embedded
    project of a renamed file at this file (``qgis_project.repoint`` decides whether it
    must; a project already found to read this file is not unpacked again:
    :mod:`~citymgr_desktop.core.store.project_memo`), and add the statistics indexes a file
    made before them lacks (seconds, once, at a million assets). A write that fails rolls
    this back with it."""
    row = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = "
                       "'road_segment'").fetchone()
    if row is None:
        return
    gpkg.create_missing_indexes(conn)  # statistics indexes of files made before them
    key = None if absent or stale else project_memo.project_key(conn)
    if project_memo.known_right(key):
        return
    from citymgr_desktop.core.qgis import project as qgis_project  # writes projects: heavy

    if absent or stale:
        if absent:
            add_absent_columns(conn, absent)
        renew_domains(conn, stale)
        qgis_project.embed(conn, row[0])
    elif not qgis_project.repoint(conn, row[0]):
        project_memo.remember_right(key)
        return
    if not needs_repoint(conn):  # the project just written, as the next write will find it
        project_memo.remember_right(project_memo.project_key(conn))


def describe(absent: Absent) -> list[str]:
    """One line per table: which columns a write will add."""
    return [f"{name}: {', '.join(sorted(cols))}" for name, cols in sorted(absent.items())]
