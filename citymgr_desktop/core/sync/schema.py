"""What sync compares, and whether two files still share the same schema.

The synced tables are the asset layers, ``maintenance_record`` and ``attachment``; rows are
keyed by their uuid column, never by fid. A schema *signature* lists each synced table's
columns with a type family (``TEXT(36)`` and ``TEXT`` are both text: a tool that rewrites a
layer may drop a width, which is not drift); a package whose signature differs from the one
recorded at check-out is refused with the differences named. Older project files get the
sync bookkeeping tables added on first use; a package or base copy made before a later
schema version gets that version's columns (``model/versions.py``) when it is synced, and
those columns are not drift.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import SchemaError
from citymgr_desktop.core.messages import Joined, Message, joined, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.versions import added_columns

DATA_TABLES: tuple[sc.Table, ...] = (*sc.ASSET_TABLES, sc.MAINTENANCE_RECORD, sc.ATTACHMENT)
DATA_TABLES_BY_NAME = {t.name: t for t in DATA_TABLES}
# Kept by the app, not edited: a difference in them alone is not a change to merge.
BOOKKEEPING = frozenset({"updated_at", "updated_by"})
DERIVED = frozenset({"pci_grade"})  # recomputed from pci by the store

Signature = dict[str, list[list[str]]]

_INDEXES = (
    ('"idx_sync_journal_run"', '"sync_journal" ("sync_uuid", "seq")'),
    ('"idx_sync_conflict_run"', '"sync_conflict" ("sync_uuid")'),
    ('"idx_sync_conflict_state"', '"sync_conflict" ("state")'),
    ('"idx_sync_run_package"', '"sync_run" ("package_uuid")'),
)


def compared_columns(table: sc.Table) -> list[str]:
    """Columns whose values the merge compares (geometry first; no key, fid or bookkeeping)."""
    cols = [sc.GEOMETRY_COLUMN] if table.is_asset else []
    return cols + [f.name for f in table.fields
                   if f.name != table.key and f.name not in BOOKKEEPING | DERIVED]


def ensure_tables(conn: sqlite3.Connection) -> bool:
    """Create the sync tables (and their indexes) a file made before them lacks; True if any.

    The caller holds a write transaction.
    """
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    created = False
    for table in sc.SYNC_TABLES:
        if table.name not in have:
            gpkg.create_table(conn, table, None)
            created = True
    for name, target in _INDEXES:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
    return created


def has_tables(conn: sqlite3.Connection, schema: str = "main") -> bool:
    names = {r[0] for r in conn.execute(
        f"SELECT name FROM {gpkg.quote_ident(schema)}.sqlite_master WHERE type='table'")}
    return all(t.name in names for t in sc.SYNC_TABLES)


def type_family(declared: str) -> str:
    """The kind of values a declared column type holds, ignoring widths and synonyms."""
    d = (declared or "").strip().upper()
    base = d.split("(")[0].strip()
    if base in ("TEXT", "VARCHAR", "CHAR", "CLOB", "NVARCHAR", "CHARACTER"):
        return "text"
    if base in ("INTEGER", "INT", "BIGINT", "MEDIUMINT", "SMALLINT", "TINYINT", "BOOLEAN"):
        return "integer"
    if base in ("REAL", "FLOAT", "DOUBLE", "NUMERIC"):
        return "real"
    if base in ("DATE", "DATETIME", "BLOB"):
        return base.lower()
    if base in ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                "MULTIPOLYGON", "GEOMETRY", "GEOMETRYCOLLECTION"):
        return "geometry:" + base.lower()
    return base.lower() or "none"


def signature(conn: sqlite3.Connection, schema: str = "main") -> Signature:
    """Columns (name, type family) of every synced table in the attached database ``schema``."""
    out: Signature = {}
    s = gpkg.quote_ident(schema)
    for table in DATA_TABLES:
        rows = conn.execute(f"PRAGMA {s}.table_info({gpkg.quote_ident(table.name)})").fetchall()
        out[table.name] = sorted([r[1], type_family(r[2])] for r in rows if r[1] != "fid")
    return out


def signature_hash(sig: Signature) -> str:
    return hashlib.sha256(json.dumps(sig, sort_keys=True).encode()).hexdigest()[:16]


# Type changes a rewrite by another tool makes without changing what the values mean: the
# values are then compared by meaning (``sync_values.same_value``), not reported as drift.
_COMPATIBLE = ({"integer", "real"}, {"date", "datetime"}, {"date", "text"}, {"datetime", "text"})


def compatible(expected: str, actual: str) -> bool:
    return expected == actual or any({expected, actual} <= g for g in _COMPATIBLE)


def rewritten(expected: Signature, actual: Signature) -> dict[str, dict[str, str]]:
    """Columns whose type family differs compatibly: table -> column -> the model's family."""
    out: dict[str, dict[str, str]] = {}
    for table, cols in actual.items():
        exp = {c[0]: c[1] for c in expected.get(table, [])}
        for name, family in cols:
            if name in exp and exp[name] != family and compatible(exp[name], family):
                out.setdefault(table, {})[name] = exp[name]
    return out


def add_later_columns(conn: sqlite3.Connection, schema: str = "main") -> list[str]:
    """Append the columns of later schema versions that a copy attached as ``schema`` lacks
    (a package or base checked out before them); returns ``table.column`` of each added."""
    s = gpkg.quote_ident(schema)
    added = []
    for table_name, names in added_columns().items():
        t = gpkg.quote_ident(table_name)
        have = {r[1] for r in conn.execute(f"PRAGMA {s}.table_info({t})")}
        for name in (n for n in names if have and n not in have):
            f = sc.table(table_name).field(name)
            kind = f"TEXT({f.max_length})" if f.type is sc.FieldType.TEXT and f.max_length \
                else f.type.value
            conn.execute(f"ALTER TABLE {s}.{t} ADD COLUMN {gpkg.quote_ident(name)} {kind}")
            added.append(f"{table_name}.{name}")
    return added


def lacks_later_columns(conn: sqlite3.Connection, schema: str) -> bool:
    """True if the attached copy was made before a later schema version's columns."""
    s = gpkg.quote_ident(schema)
    for table_name, names in added_columns().items():
        have = {r[1] for r in conn.execute(f"PRAGMA {s}.table_info({gpkg.quote_ident(table_name)})")}
        if have and not set(names) <= have:
            return True
    return False


_LATER = {(t, c) for t, cols in added_columns().items() for c in cols}


def drift(expected: Signature, actual: Signature) -> list[Message]:
    """What differs between two signatures, one readable line per difference (compatible
    type changes of a rewritten layer are not drift, nor columns of a later schema version
    that one side does not have yet)."""
    out: list[Message] = []
    for table in sorted(set(expected) | set(actual)):
        exp = {c[0]: c[1] for c in expected.get(table, [])}
        act = {c[0]: c[1] for c in actual.get(table, [])}
        if exp and not act:
            out.append(msg("{table}: table is missing", table=table))
            continue
        if act and not exp:
            out.append(msg("{table}: unexpected table", table=table))
            continue
        for col in sorted(set(exp) - set(act) - {c for t, c in _LATER if t == table}):
            out.append(msg("{table}.{column}: column is missing", table=table, column=col))
        for col in sorted(set(act) - set(exp) - {c for t, c in _LATER if t == table}):
            out.append(msg("{table}.{column}: column was added ({type})", table=table, column=col,
                           type=act[col]))
        for col in sorted(set(exp) & set(act)):
            if not compatible(exp[col], act[col]):
                out.append(msg("{table}.{column}: type changed from {old} to {new}", table=table,
                               column=col, old=exp[col], new=act[col]))
    return out


def check_drift(expected: Signature, actual: Signature, what: Message) -> None:
    """Raise SchemaError naming the differences when ``actual`` is not ``expected``."""
    diffs = drift(expected, actual)
    if diffs:
        shown: Message | Joined = joined(diffs[:6], "; ", "；")
        if len(diffs) > 6:
            shown = msg("{differences}; and {more} more", differences=shown, more=len(diffs) - 6)
        raise SchemaError("schema drift: {what} ({shown}); nothing was merged. Check out a new "
                          "field package from the current master and copy the edits over",
                          what=what, shown=shown)


def key_is_unique(conn: sqlite3.Connection, schema: str, table: sc.Table) -> bool:
    """True if ``schema.table`` has a UNIQUE index on its key alone (a rewritten layer may not)."""
    s, t = gpkg.quote_ident(schema), gpkg.quote_ident(table.name)
    for row in conn.execute(f"PRAGMA {s}.index_list({t})"):
        name, unique = row[1], row[2]
        if not unique:
            continue
        cols = [r[2] for r in conn.execute(f"PRAGMA {s}.index_info({gpkg.quote_ident(name)})")]
        if cols == [table.key]:
            return True
    return False
