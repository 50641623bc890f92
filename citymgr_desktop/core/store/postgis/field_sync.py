"""What a field sync keeps in a project database: the packages checked out (with the base
each merges against and the ``version`` of every row that went out), the sync runs and
their journal (for undo), and the row-level questions the check-in asks while it holds its
transaction (rows locked for update, photos already stored).

The engine is ``core/sync/database.py``; this module is its door to PostgreSQL. The tables
are made on first use (and by ``db grant``, which lets district roles write them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.clock import new_uuid
from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, ident
from citymgr_desktop.core.store.postgis.values import from_db, placeholder, select_column, to_db

SYNC_TABLES = ("citymgr_field_package", "citymgr_package_base", "citymgr_sync_run",
               "citymgr_sync_journal")
SYNC_DDL = (
    "CREATE TABLE IF NOT EXISTS citymgr_field_package (package_uuid text PRIMARY KEY, "
    "name text NOT NULL, surveyor text, area text, layers text, district_code text, "
    "created_at text NOT NULL, created_by text, db_user text NOT NULL DEFAULT current_user, "
    "versions jsonb NOT NULL)",
    "CREATE TABLE IF NOT EXISTS citymgr_package_base (seq bigserial PRIMARY KEY, "
    "package_uuid text NOT NULL REFERENCES citymgr_field_package ON DELETE CASCADE, "
    "sync_uuid text, base bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS citymgr_sync_run (sync_uuid text PRIMARY KEY, "
    "sync_id text NOT NULL, package_uuid text NOT NULL REFERENCES citymgr_field_package, "
    "source_path text, applied_at text NOT NULL, applied_by text, "
    "db_user text NOT NULL DEFAULT current_user, state text NOT NULL DEFAULT 'applied', "
    "report jsonb, undone_at text, undone_by text)",
    "CREATE TABLE IF NOT EXISTS citymgr_sync_journal (sync_uuid text NOT NULL REFERENCES "
    "citymgr_sync_run ON DELETE CASCADE, seq integer NOT NULL, table_name text NOT NULL, "
    "row_uuid text NOT NULL, action text NOT NULL, old_values jsonb, new_values jsonb, "
    "version_after integer, PRIMARY KEY (sync_uuid, seq))",
)
META_DATABASE = "database_uuid"  # citymgr_meta: names this database in its packages


@dataclass(frozen=True)
class DatabasePackage:
    """A field package checked out from this database."""

    package_uuid: str
    name: str
    surveyor: str | None
    area: str | None
    district_code: str | None
    versions: dict[str, dict[str, int]]  # table -> uuid -> the row's version at check-out


@dataclass(frozen=True)
class JournalRow:
    table: str
    uuid: str
    action: str  # insert | update | delete
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    version_after: int | None


def has_sync_tables(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass('citymgr_sync_journal') IS NOT NULL").fetchone()[0]


def ensure_sync_tables(conn: Any) -> str:
    """Make the tables (in the caller's transaction) and this database's uuid; returns it."""
    if not has_sync_tables(conn):
        for sql in SYNC_DDL:
            conn.execute(sql)
    known = database_uuid(conn)
    if known is not None:  # made by the owner (``db grant``): a district role may not write it
        return known
    conn.execute("INSERT INTO citymgr_meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                 (META_DATABASE, new_uuid()))
    return str(database_uuid(conn))


def database_uuid(conn: Any) -> str | None:
    row = conn.execute("SELECT value FROM citymgr_meta WHERE key = %s",
                       (META_DATABASE,)).fetchone()
    return None if row is None else str(row[0])


def versions_of(conn: Any, tables: Iterable[sc.Table]) -> dict[str, dict[str, int]]:
    """{table: {uuid: version}} of every row of ``tables``."""
    return {t.name: dict(conn.execute(f"SELECT {ident(t.key)}, {ident(VERSION_COLUMN)} "
                                      f"FROM {ident(t.name)}").fetchall()) for t in tables}


def register_package(conn: Any, package: DatabasePackage, created_at: str,
                     created_by: str | None, base: bytes) -> None:
    conn.execute("INSERT INTO citymgr_field_package (package_uuid, name, surveyor, area, "
                 "layers, district_code, created_at, created_by, versions) VALUES "
                 "(%s, %s, %s, %s, NULL, %s, %s, %s, %s)",
                 (package.package_uuid, package.name, package.surveyor, package.area,
                  package.district_code, created_at, created_by,
                  json.dumps(package.versions)))
    conn.execute("INSERT INTO citymgr_package_base (package_uuid, base) VALUES (%s, %s)",
                 (package.package_uuid, base))


def get_package(conn: Any, package_uuid: str, *, lock: bool = False
                ) -> DatabasePackage | None:
    """A package's record; ``lock``: held until the transaction ends, so two syncs of one
    package run one after the other (the second finds the first's run and base)."""
    if not has_sync_tables(conn):
        return None
    row = conn.execute("SELECT package_uuid, name, surveyor, area, district_code, versions "
                       "FROM citymgr_field_package WHERE package_uuid = %s"
                       + (" FOR UPDATE" if lock else ""), (package_uuid,)).fetchone()
    return None if row is None else DatabasePackage(row[0], row[1], row[2], row[3], row[4],
                                                     row[5])


def current_base(conn: Any, package_uuid: str) -> tuple[bytes, str | None]:
    """The base the next sync of a package merges against (the package as its last applied
    sync saw it, else as it went out) and the run that kept it."""
    row = conn.execute(
        "SELECT b.base, b.sync_uuid FROM citymgr_package_base b LEFT JOIN citymgr_sync_run r "
        "ON r.sync_uuid = b.sync_uuid WHERE b.package_uuid = %s AND (b.sync_uuid IS NULL OR "
        "r.state = 'applied') ORDER BY b.seq DESC LIMIT 1", (package_uuid,)).fetchone()
    return bytes(row[0]), row[1]


def applied_run_with_id(conn: Any, sync_id: str) -> str | None:
    row = conn.execute("SELECT sync_uuid FROM citymgr_sync_run WHERE sync_id = %s AND "
                       "state = 'applied'", (sync_id,)).fetchone()
    return None if row is None else str(row[0])


def record_run(conn: Any, *, sync_uuid: str, sync_id: str, package_uuid: str, source: str,
               applied_at: str, applied_by: str | None, report: Mapping[str, Any],
               journal: list[JournalRow], next_base: bytes) -> None:
    conn.execute("INSERT INTO citymgr_sync_run (sync_uuid, sync_id, package_uuid, source_path, "
                 "applied_at, applied_by, report) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (sync_uuid, sync_id, package_uuid, source, applied_at, applied_by,
                  json.dumps(report, ensure_ascii=False, default=str)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO citymgr_sync_journal VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(sync_uuid, i, e.table, e.uuid, e.action,
              None if e.old is None else json.dumps(e.old, ensure_ascii=False),
              None if e.new is None else json.dumps(e.new, ensure_ascii=False),
              e.version_after) for i, e in enumerate(journal)])
    conn.execute("INSERT INTO citymgr_package_base (package_uuid, sync_uuid, base) VALUES "
                 "(%s, %s, %s)", (package_uuid, sync_uuid, next_base))


def find_run(conn: Any, ident_: str, target: str) -> tuple[str, str, str]:
    """(sync_uuid, sync_id, state) of a run named by its sync id or uuid."""
    row = None
    if has_sync_tables(conn):
        row = conn.execute("SELECT sync_uuid, sync_id, state FROM citymgr_sync_run WHERE "
                           "sync_id = %s OR sync_uuid = %s ORDER BY applied_at DESC LIMIT 1",
                           (ident_, ident_)).fetchone()
    if row is None:
        raise NotFoundError("{target} has no sync {ident}", target=target, ident=ident_)
    return row[0], row[1], row[2]


def journal_of(conn: Any, sync_uuid: str) -> list[JournalRow]:
    return [JournalRow(*r) for r in conn.execute(
        "SELECT table_name, row_uuid, action, old_values, new_values, version_after FROM "
        "citymgr_sync_journal WHERE sync_uuid = %s ORDER BY seq", (sync_uuid,))]


def later_runs(conn: Any, sync_uuid: str) -> list[str]:
    """Sync ids of applied runs of the same package after this one (undo those first)."""
    return [r[0] for r in conn.execute(
        "SELECT l.sync_id FROM citymgr_sync_run r JOIN citymgr_sync_run l ON l.package_uuid = "
        "r.package_uuid AND l.applied_at > r.applied_at WHERE r.sync_uuid = %s AND "
        "l.state = 'applied'", (sync_uuid,))]


def mark_undone(conn: Any, sync_uuid: str, stamp: str, user: str | None) -> None:
    conn.execute("UPDATE citymgr_sync_run SET state = 'undone', undone_at = %s, undone_by = %s "
                 "WHERE sync_uuid = %s", (stamp, user, sync_uuid))


def lock_rows(conn: Any, table: sc.Table, uuids: Iterable[str]
              ) -> dict[str, dict[str, Any]]:
    """Rows by uuid, locked for update until the transaction ends (with ``version``)."""
    names = ([sc.GEOMETRY_COLUMN] if table.is_asset else []) + [
        n for n in table.field_names() if n != "content"] + [VERSION_COLUMN]
    rows = conn.execute(f"SELECT {', '.join(map(select_column, names))} FROM "
                        f"{ident(table.name)} WHERE {ident(table.key)} = ANY(%s) ORDER BY "
                        f"{ident(table.key)} FOR UPDATE", (sorted(set(uuids)),)).fetchall()
    out = {}
    for row in rows:
        rec = {n: from_db(n, v) for n, v in zip(names, row, strict=True)}
        out[rec[table.key]] = rec
    return out


def photo_stored(conn: Any, owner_uuid: str, asset_uuid: str | None, path: str,
                 sha256: str) -> bool:
    """The database already holds these bytes for this owner (or its asset, same path)."""
    return conn.execute(
        "SELECT 1 FROM attachment WHERE sha256 = %s AND (owner_uuid = %s OR (asset_uuid IS "
        "NOT DISTINCT FROM %s AND file_path = %s)) LIMIT 1",
        (sha256, owner_uuid, asset_uuid, path)).fetchone() is not None


def update_unchanged(conn: Any, deltas: Iterable[Delta], versions: Mapping[tuple[str, str], int],
                     user: str, srid: int) -> set[tuple[str, str]]:
    """The updates of rows still at the version they went out at, sent as pipelined batches
    (one per table and set of columns; ``RETURNING`` says which landed) instead of one round
    trip each: the same statement as the store's save (``write.py``), so rows another user
    changed match nothing and stay for the caller's field-by-field merge, as does a batch
    with a row of another sub-district (refused). Returns the (table, uuid) that landed."""
    import psycopg

    from citymgr_desktop.core.clock import now_iso
    from citymgr_desktop.core.store.postgis.write import _prepare, _stamp

    stamp = now_iso()
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[str, int, dict[str, Any]]]] = {}
    for d in deltas:
        if d.kind != "update" or d.key not in versions or not sc.table(d.table).key:
            continue
        table = sc.table(d.table)
        row = _prepare(table, d.new or {})
        _stamp(table, row, user, stamp)
        groups.setdefault((d.table, tuple(row)), []).append((d.uuid, versions[d.key], row))
    landed: set[tuple[str, str]] = set()
    for (name, names), rows in groups.items():
        table = sc.table(name)
        sets = ", ".join(f"{ident(n)} = {placeholder(n, srid)}" for n in names)
        sql = (f"UPDATE {ident(name)} SET {sets}, {ident(VERSION_COLUMN)} = "
               f"{ident(VERSION_COLUMN)} + 1 WHERE {ident(table.key)} = %s AND "
               f"{ident(VERSION_COLUMN)} = %s RETURNING {ident(table.key)}")
        done = []
        try:  # a row of another sub-district: its guard refuses (postgis/grant.py); the
            # batch is undone and left to the caller's save, which names the row
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(sql, [[*(to_db(n, row[n]) for n in names), uuid, version]
                                      for uuid, version, row in rows], returning=True)
                while True:
                    done += [r[0] for r in cur.fetchall()]
                    if not cur.nextset():
                        break
        except psycopg.errors.InsufficientPrivilege:
            continue
        landed.update((name, u) for u in done)
        if name == "road_segment" and done:
            from citymgr_desktop.core.store.write import pci_grade_case_sql

            conn.execute(f"UPDATE road_segment SET pci_grade = {pci_grade_case_sql()} "
                         "WHERE asset_uuid = ANY(%s)", (done,))
    return landed
