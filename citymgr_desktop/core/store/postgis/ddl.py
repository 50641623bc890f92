"""The PostGIS schema, derived from the same model as the GeoPackage's: the same tables and
fields, a ``version`` per row for optimistic concurrency, domains as lookup tables
(``domain_<name>``: value, English and Chinese label) plus CHECK constraints, geometry
columns with their SRID and a GiST index, QGIS's ``layer_styles`` with our QML and
``citymgr_meta``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.qgis import styles as qgis_styles
from citymgr_desktop.core.store.postgis.connection import ident
from citymgr_desktop.core.store.postgis.triggers import trigger_ddl

VERSION_COLUMN = "version"

_TYPES = {
    sc.FieldType.TEXT: "text",
    sc.FieldType.INTEGER: "bigint",
    sc.FieldType.REAL: "double precision",
    sc.FieldType.DATE: "date",
    sc.FieldType.DATETIME: "text",  # our ISO stamps (…Z) kept exactly as in the GeoPackage
    sc.FieldType.BOOLEAN: "boolean",
    sc.FieldType.BLOB: "bytea",
}

_GEOMETRY_TYPES = {"POINT": "Point", "LINESTRING": "LineString",
                   "MULTIPOLYGON": "MultiPolygon"}


def literal(value: Any) -> str:
    """A SQL literal of a domain value from the model (numbers and plain text only)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def coded_check(column: str, values: Iterable[Any]) -> str:
    """The CHECK of a coded domain's column: one of ``values`` or NULL (also what
    ``postgis/upgrade.py`` puts on a database made before the domain gained codes)."""
    col = ident(column)
    return f"CHECK ({col} IS NULL OR {col} IN ({', '.join(literal(v) for v in values)}))"


def _check(f: sc.Field) -> str | None:
    domain = f.get_domain()
    col = ident(f.name)
    if isinstance(domain, dm.CodedDomain):
        return coded_check(f.name, domain.values())
    if isinstance(domain, dm.RangeDomain):
        lo = ">=" if domain.min_inclusive else ">"
        hi = "<=" if domain.max_inclusive else "<"
        return (f"CHECK ({col} IS NULL OR ({col} {lo} {literal(domain.minimum)} AND "
                f"{col} {hi} {literal(domain.maximum)}))")
    if f.max_length and f.type is sc.FieldType.TEXT:
        return f"CHECK (char_length({col}) <= {f.max_length})"
    return None


def table_ddl(table: sc.Table, srid: int) -> list[str]:
    """CREATE TABLE and its indexes for one model table."""
    cols = ['"fid" bigserial PRIMARY KEY']
    if table.is_asset:
        gtype = _GEOMETRY_TYPES[table.geometry_type or ""]
        cols.append(f"{ident(sc.GEOMETRY_COLUMN)} geometry({gtype}, {srid})")
    for f in table.fields:
        parts = [ident(f.name), _TYPES[f.type]]
        if f.required or f.name == table.key:
            parts.append("NOT NULL")
        if f.unique or f.name == table.key:
            parts.append("UNIQUE")
        check = _check(f)
        if check:
            parts.append(check)
        cols.append(" ".join(parts))
    cols.append(f"{ident(VERSION_COLUMN)} integer NOT NULL DEFAULT 1")
    name = ident(table.name)
    out = [f"CREATE TABLE {name} ({', '.join(cols)})"]
    if table.is_asset:
        out.append(f"CREATE INDEX {ident(table.name + '_geom_gist')} ON {name} "
                   f"USING gist ({ident(sc.GEOMETRY_COLUMN)})")
        out.append(f"CREATE INDEX {ident(table.name + '_district')} ON {name} (district)")
    for fname in ("asset_uuid", "work_order_uuid", "owner_uuid"):
        if fname in table.field_names() and fname != table.key:
            out.append(f"CREATE INDEX {ident(table.name + '_' + fname)} ON {name} "
                       f"({ident(fname)})")
    return out


def domain_ddl() -> list[str]:
    """One lookup table per coded domain, with the labels the app shows."""
    out = []
    for domain in dm.ALL_DOMAINS.values():
        if not isinstance(domain, dm.CodedDomain):
            continue
        vtype = "bigint" if all(isinstance(v, int) for v in domain.values()) else "text"
        name = ident("domain_" + domain.name)
        out.append(f"CREATE TABLE {name} (value {vtype} PRIMARY KEY, label_en text NOT NULL, "
                   "label_zh text NOT NULL)")
        rows = ", ".join(f"({literal(c.value)}, {literal(c.en)}, {literal(c.zh)})"
                         for c in domain.codes)
        out.append(f"INSERT INTO {name} VALUES {rows}")
    return out


LAYER_STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS public.layer_styles (id serial PRIMARY KEY, "
    "f_table_catalog varchar, f_table_schema varchar, f_table_name varchar, "
    "f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, "
    "useasdefault boolean, description text, owner varchar(63) DEFAULT CURRENT_USER, "
    "ui xml, update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)"
)


def style_rows(dbname: str) -> list[tuple[Any, ...]]:
    """Rows of ``layer_styles`` (as QGIS's PostgreSQL provider writes them) for our tables.

    ``type`` stays NULL: QGIS matches a style by ``type = <geometry type of the layer URI>
    OR type IS NULL``, and a URI written by hand or by another tool often names no type.
    A table without geometry has a NULL geometry column, as QGIS looks it up."""
    out = []
    for table in sc.ALL_TABLES:
        geom = sc.GEOMETRY_COLUMN if table.is_asset else None
        out.append((dbname, "public", table.name, geom, qgis_styles.STYLE_NAME,
                    qgis_styles.qml(table), "", True, f"citymgr-desktop: {table.zh} {table.en}",
                    None))
    return out


NOTIFY_CHANNEL = "citymgr_changes"
NOTIFY_DDL = (
    "CREATE FUNCTION citymgr_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"PERFORM pg_notify('{NOTIFY_CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
)


def notify_ddl(table: sc.Table) -> str:
    """One notification per committed statement that changed ``table`` (its name): other
    sessions LISTEN and re-read; a statement-level trigger, so a publish of a million rows
    sends one, not a million."""
    return (f"CREATE TRIGGER {ident(table.name + '_notify')} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {ident(table.name)} FOR EACH STATEMENT EXECUTE FUNCTION citymgr_notify()")


def create_schema(conn: Any, srid: int, district_code: str, dbname: str) -> None:
    """Create every table of the model in ``conn``'s database (caller holds the
    transaction); ``citymgr_meta`` records the schema version and district code."""
    conn.execute("CREATE TABLE citymgr_meta (key text PRIMARY KEY, value text)")
    for statement in domain_ddl():
        conn.execute(statement)
    conn.execute(NOTIFY_DDL)
    for table in sc.ALL_TABLES:
        for statement in table_ddl(table, srid):
            conn.execute(statement)
        if table.key:
            conn.execute(notify_ddl(table))
    for statement in trigger_ddl():
        conn.execute(statement)
    conn.execute(LAYER_STYLES_DDL)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description, "
            "type) VALUES (%s, %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), NULLIF(%s, '')::xml, "
            "%s, %s, %s)", style_rows(dbname))
        cur.executemany("INSERT INTO citymgr_meta VALUES (%s, %s)", [
            ("schema_version", str(sc.SCHEMA_VERSION)), ("schema_hash", sc.schema_hash()),
            ("district_code", district_code), ("srid", str(srid))])
