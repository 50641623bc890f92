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
(:func:`missing_code`, ``postgis/write.py``).

The same open, with the same locks and timeout, gives a database made before it the trigger
that counts other clients' updates in ``version`` (:func:`unversioned_tables`,
``postgis/triggers.py``); until its owner opens it, ``citymgr validate`` warns that an edit
in QGIS or SQL can be written over.
"""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.connection import ident
from citymgr_desktop.core.store.postgis.ddl import coded_check, literal
from citymgr_desktop.core.store.postgis.triggers import (
    VERSION_DDL,
    version_trigger,
    version_trigger_name,
)

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
    clients' updates (one query)."""
    rows = conn.execute(
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND "
        "g.tgname = c.relname || %s) FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
        "c.relname = ANY(%s)", (version_trigger_name(sc.ALL_TABLES[0])[len(sc.ALL_TABLES[0].name):],
                                 [t.name for t in sc.ALL_TABLES])).fetchall()
    return frozenset(name for name, has in rows if not has)


def add_version_triggers(conn: Any, names: frozenset[str]) -> frozenset[str]:
    """Give the tables ``names`` their version trigger in the caller's transaction (the
    table's lock, the lock timeout and the owner's right as :func:`renew_domains`); returns
    those that still lacked it once locked."""
    conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    tables = [t for t in sc.ALL_TABLES if t.name in names]
    for t in tables:
        conn.execute(f"LOCK TABLE {ident(t.name)} IN SHARE ROW EXCLUSIVE MODE")
    done = unversioned_tables(conn) & names  # another session may have done it meanwhile
    if done:
        conn.execute(VERSION_DDL)
    for t in tables:
        if t.name in done:
            conn.execute(version_trigger(t))
    return done


def missing_code(table: sc.Table, row: dict[str, Any], constraint: str | None
                 ) -> tuple[str, Any] | None:
    """(field, value) when the CHECK ``constraint`` that refused ``row`` is a coded column's
    (``<table>_<column>_check``, PostgreSQL's name, kept by :func:`renew_domains`) and the
    model has the value: the database's list is older (this login could not renew it)."""
    for f in table.fields:
        domain = f.get_domain()
        value = row.get(f.name)
        if constraint == f"{table.name}_{f.name}_check" and \
                isinstance(domain, dm.CodedDomain) and value in domain.values():
            return f.name, value
    return None
