"""A project database made before a coded domain gained codes (12319城管热线 as a work
order's source): its ``domain_<name>`` table and the CHECK constraint of every column of that
domain hold the older list, so the database refuses the new code. The GeoPackage's answer
(``store/upgrade.py``) in PostgreSQL: opened for writing, the store adds the missing codes to
the lookup table, renews the labels (a code the model does not know is kept, in the table
and in the CHECK) and replaces the columns' CHECK constraints, in one transaction.

``ALTER TABLE`` needs the table's owner and a moment's ``ACCESS EXCLUSIVE`` lock: another
session's reads and saves of that table wait for the commit (milliseconds); a session in the
middle of a save makes this one wait, at most ``LOCK_TIMEOUT``, after which the upgrade is
left for the next open and nothing is changed. Two sessions opening at once: the lookup
table's lock makes the second wait and then find nothing left to do. A login that is not the
owner opens the database as before; a save of a new code then says who must open it
(``postgis/write.py: missing_code``).

The same open, with the same locks and timeout, gives a database made before it the trigger
that counts other clients' updates in ``version`` and the one that derives a road's
``pci_grade`` (:func:`unversioned_tables`, ``postgis/triggers.py``); until its owner opens
it, ``citymgr validate`` warns that an edit in QGIS or SQL can be written over. And a
database whose logins were granted 街道 before the guard triggers gets this version's rules
with every grant's rights again (:func:`renew_grants`), as if each ``db grant`` had been
run again; until then ``citymgr validate`` warns and names that command.
"""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis import rules
from citymgr_desktop.core.store.postgis.connection import ident
from citymgr_desktop.core.store.postgis.ddl import coded_check, literal
from citymgr_desktop.core.store.postgis.field_sync import ensure_sync_tables
from citymgr_desktop.core.store.postgis.triggers import (
    PCI_GRADE_TRIGGER,
    VERSION_DDL,
    pci_grade_ddl,
    version_trigger,
    version_trigger_name,
)
from citymgr_desktop.core.store.write import pci_grade_case_sql

LOCK_TIMEOUT = "2s"


def stale_domains(conn: Any) -> frozenset[str]:
    """The coded domains whose lookup table lacks a code of the model or has other labels
    (one query; a domain without its table is left alone)."""
    present = {r[0] for r in conn.execute(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND "
        "tablename LIKE 'domain\\_%'")}
    domains = [d for d in dm.coded_domains().values() if "domain_" + d.name in present]
    if not domains:
        return frozenset()
    union = " UNION ALL ".join(
        f"SELECT {literal(d.name)}, value::text, label_en, label_zh FROM "
        f"{ident('domain_' + d.name)}" for d in domains)
    have = {(n, v): (en, zh) for n, v, en, zh in conn.execute(union)}
    return frozenset(d.name for d in domains
                     if any(have.get((d.name, str(c.value))) != (c.en, c.zh) for c in d.codes))


def _columns(name: str) -> list[tuple[str, str]]:
    """(table, column) of every model field whose domain is ``name``."""
    return [(t.name, f.name) for t in sc.ALL_TABLES for f in t.fields if f.domain == name]


def _replace_check(conn: Any, table: str, column: str, values: list[Any]) -> None:
    """The column's own CHECK constraints (those over it alone) give way to one of
    ``values``, under the name PostgreSQL gave the first (``<table>_<column>_check``)."""
    names = [r[0] for r in conn.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        "AND a.attname = %s WHERE c.conrelid = %s::regclass AND c.contype = 'c' AND "
        "c.conkey = ARRAY[a.attnum] ORDER BY c.conname", (column, f"public.{ident(table)}"))]
    drops = [f"DROP CONSTRAINT {ident(n)}" for n in names]
    keep = names[0] if names else f"{table}_{column}_check"
    conn.execute(f"ALTER TABLE {ident(table)} {', '.join([*drops, ''])}"
                 f"ADD CONSTRAINT {ident(keep)} {coded_check(column, values)}")


def renew_domains(conn: Any, names: frozenset[str]) -> frozenset[str]:
    """Bring the domains ``names`` up to the model in the caller's transaction (see the
    module docstring); returns those that still needed it once their tables were locked."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    domains = [d for d in dm.coded_domains().values() if d.name in names]
    for d in domains:
        conn.execute(f"LOCK TABLE {ident('domain_' + d.name)} IN SHARE ROW EXCLUSIVE MODE")
    done = stale_domains(conn) & names  # another session may have done it meanwhile
    for d in domains:
        if d.name not in done:
            continue
        table = ident("domain_" + d.name)
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} (value, label_en, label_zh) VALUES "
                            "(%s, %s, %s) ON CONFLICT (value) DO UPDATE SET label_en = "
                            "EXCLUDED.label_en, label_zh = EXCLUDED.label_zh",
                            [(c.value, c.en, c.zh) for c in d.codes])
        known = [r[0] for r in conn.execute(f"SELECT value FROM {table} ORDER BY value")]
        values = d.values() + [v for v in known if v not in d.values()]
        for table_name, column in _columns(d.name):
            _replace_check(conn, table_name, column, values)
    return done


def unversioned_tables(conn: Any) -> frozenset[str]:
    """The model's tables (present in the database) without the trigger that counts other
    clients' updates, and ``road_segment`` without the one that derives ``pci_grade``
    (one query)."""
    rows = conn.execute(
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND "
        "g.tgname = c.relname || '_version') AND (c.relname <> 'road_segment' OR EXISTS "
        "(SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = %s)) FROM "
        "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
        "'public' AND c.relkind = 'r' AND c.relname = ANY(%s)",
        (PCI_GRADE_TRIGGER, [t.name for t in sc.ALL_TABLES])).fetchall()
    return frozenset(name for name, has in rows if not has)


def add_version_triggers(conn: Any, names: frozenset[str]) -> frozenset[str]:
    """Give the tables ``names`` their version trigger (and ``road_segment`` the one that
    derives ``pci_grade``, its grades derived again) in the caller's transaction (the
    table's lock, the lock timeout and the owner's right as :func:`renew_domains`); returns
    those that still lacked one once locked."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    tables = [t for t in sc.ALL_TABLES if t.name in names]
    for t in tables:
        conn.execute(f"LOCK TABLE {ident(t.name)} IN SHARE ROW EXCLUSIVE MODE")
    done = unversioned_tables(conn) & names  # another session may have done it meanwhile
    if done:
        conn.execute(VERSION_DDL)
    for t in tables:
        if t.name in done:
            conn.execute(f"DROP TRIGGER IF EXISTS {ident(version_trigger_name(t))} ON "
                         f"{ident(t.name)}")
            conn.execute(version_trigger(t))
    if "road_segment" in done:
        for statement in pci_grade_ddl():
            conn.execute(statement)
        conn.execute(f"UPDATE road_segment SET pci_grade = {pci_grade_case_sql()} WHERE "
                     f"pci_grade IS DISTINCT FROM ({pci_grade_case_sql()})")
    return done


def unguarded(conn: Any) -> bool:
    """Whether logins were granted 街道 (``db grant``) by a citymgr from before the guard
    triggers (``postgis/rules.py``): grants exist and a table the rules cover lacks its
    guard. Another 街道's row then is not refused with a message in QGIS or SQL (the edit
    matches nothing, and QGIS reports it saved)."""
    if not conn.execute("SELECT to_regclass('citymgr_role_district')").fetchone()[0]:
        return False
    return bool(conn.execute(
        "SELECT EXISTS (SELECT 1 FROM citymgr_role_district) AND EXISTS (SELECT 1 FROM "
        "unnest(%s::text[]) t(name) WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE "
        "g.tgrelid = to_regclass(quote_ident(t.name)) AND g.tgname = t.name || '_guard'))",
        ([*rules.write_rules()],)).fetchone()[0])


def renew_grants(conn: Any) -> bool:
    """Put in this version's rules and give every granted login its rights again, as a
    ``db grant`` of each grant would, in the caller's transaction (the owner's right; the
    tables locked, at most ``LOCK_TIMEOUT``); False when another session did it meanwhile.
    A login dropped from the server since is left out."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    for table in rules.write_rules():
        conn.execute(f"LOCK TABLE {ident(table)} IN SHARE ROW EXCLUSIVE MODE")
    if not unguarded(conn):
        return False
    ensure_sync_tables(conn)
    for role, writes in conn.execute(
            "SELECT g.role, bool_or(NOT g.read_only) FROM citymgr_role_district g JOIN "
            "pg_roles r ON r.rolname = g.role GROUP BY g.role ORDER BY g.role").fetchall():
        rules.give_rights(conn, role, read_only=not writes)
    rules.install_rules(conn)
    return True
