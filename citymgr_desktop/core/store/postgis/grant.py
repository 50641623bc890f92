"""Who may change what in a project database: ``citymgr db grant URL --role R --district D
[--read-only]``. Every role granted may read the whole district; a role with a 街道 may
insert, change and delete only what belongs to its 街道, enforced by PostgreSQL's row-level
security (the database refuses, not only the app):

- an asset: its own ``district``;
- a maintenance record, a work order's link to an asset: the 街道 of that asset;
- a work order and its events: every asset of the order in the role's 街道 (an order that
  spans two 街道 is the bureau's, changed by the database's owner); an order without assets
  by its own ``district`` (the 街道 it was reported in; none: the bureau's);
- an attachment: the 街道 of what it is attached to (an asset, a record or an order).

Grants are rows of ``citymgr_role_district`` (role, district, read_only); the policies call
the ``citymgr_may_write_*`` functions below, which read them, so a role may hold several 街道.

An UPDATE or DELETE of a row the role may read but not change is an error, not a statement
that matches nothing (which QGIS reports as saved): the UPDATE and DELETE policies let every
readable row through (``USING (true)``; WITH CHECK still keeps a changed row in the role's
街道), and a BEFORE UPDATE OR DELETE trigger of each table raises ``insufficient_privilege``
naming the row's 街道 and the role's. Rules of a database granted by an older citymgr are
renewed by any ``db grant``.
"""

from __future__ import annotations

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.field_sync import SYNC_TABLES, ensure_sync_tables
from citymgr_desktop.core.store.postgis.store import PostgisStore

GRANTS_DDL = ("CREATE TABLE IF NOT EXISTS citymgr_role_district (role name NOT NULL, "
              "district text NOT NULL, read_only boolean NOT NULL DEFAULT false, "
              "PRIMARY KEY (role, district))")
# tables a district engineer writes besides the assets, with the SQL (over the row's own
# columns, prefixed by ``{r}``: nothing in a policy, ``OLD.`` in a trigger) that says whether
# the current role may write that row
_MAY_WRITE = "citymgr_may_write({r}district)"
_ROW_RULES = {
    "maintenance_record": "citymgr_may_write(citymgr_asset_district({r}asset_class, "
                          "{r}asset_uuid))",
    "work_order": "citymgr_order_writable({r}work_order_uuid, {r}district)",
    "work_order_asset": "citymgr_may_write(citymgr_asset_district({r}asset_class, "
                        "{r}asset_uuid))",
    "work_order_event": "citymgr_order_writable({r}work_order_uuid, (SELECT w.district FROM "
                        "work_order w WHERE w.work_order_uuid = {o}work_order_uuid))",
    "attachment": "citymgr_attachment_writable({r}owner_kind, {r}owner_uuid)",
}
_GRANTED = ("(SELECT string_agg(g.district, '、' ORDER BY g.district) FROM "
            "citymgr_role_district g WHERE g.role = current_user AND NOT g.read_only)")


def _rules() -> dict[str, str]:
    """Every table's rule (unformatted), the assets' first."""
    return {**{t.name: _MAY_WRITE for t in sc.ASSET_TABLES}, **_ROW_RULES}


def _guard(table: str, rule: str) -> list[str]:
    """The trigger that refuses, with a message, an UPDATE or DELETE of a row of ``table``
    the role may read but not change (a role without grants, the owner, is not checked)."""
    asset = table in {t.name for t in sc.ASSET_TABLES}
    if asset:
        text = ("'资产 % 属于%，当前登录 % 只能修改%的资产 / asset % belongs to %; the login % "
                "may change only the assets of %', OLD.obj_code, OLD.district, current_user, "
                f"{_GRANTED}, OLD.obj_code, OLD.district, current_user, {_GRANTED}")
    else:
        text = ("'%（%）属于其他街道的资产或工单，当前登录 % 只能修改%的 / this % row (%) belongs "
                "to another sub-district''s asset or work order; the login % may change only "
                f"those of %', TG_TABLE_NAME, OLD.{ident(sc.table(table).key or 'asset_uuid')}, "
                f"current_user, {_GRANTED}, TG_TABLE_NAME, "
                f"OLD.{ident(sc.table(table).key or 'asset_uuid')}, current_user, {_GRANTED}")
    function = ident(f"citymgr_guard_{table}")
    name = ident(f"{table}_guard")
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF EXISTS (SELECT 1 FROM citymgr_role_district g WHERE g.role = current_user) AND "
        f"NOT COALESCE({rule.format(r='OLD.', o='OLD.')}, false) THEN RAISE EXCEPTION "
        f"{text} USING ERRCODE = 'insufficient_privilege'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {ident(table)}",
        f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {ident(table)} FOR EACH ROW "
        f"EXECUTE FUNCTION {function}()"]


def _functions() -> list[str]:
    """The SQL functions the policies call (``CREATE OR REPLACE``: a later grant, or a
    later version of citymgr, puts in the current rules)."""
    districts = " UNION ALL ".join(
        f"SELECT district FROM {ident(t.name)} WHERE cls = '{t.name}' AND asset_uuid = uuid"
        for t in sc.ASSET_TABLES)
    return [
        "CREATE OR REPLACE FUNCTION citymgr_may_write(d text) RETURNS boolean LANGUAGE sql "
        "STABLE AS $$ SELECT EXISTS (SELECT 1 FROM citymgr_role_district g WHERE g.role = "
        "current_user AND NOT g.read_only AND g.district = d) $$",
        "CREATE OR REPLACE FUNCTION citymgr_asset_district(cls text, uuid text) RETURNS text "
        f"LANGUAGE sql STABLE AS $$ {districts} LIMIT 1 $$",
        "CREATE OR REPLACE FUNCTION citymgr_order_writable(wid text, own_district text) "
        "RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT CASE WHEN EXISTS (SELECT 1 FROM "
        "work_order_asset l WHERE l.work_order_uuid = wid) THEN NOT EXISTS (SELECT 1 FROM "
        "work_order_asset l WHERE l.work_order_uuid = wid AND NOT citymgr_may_write("
        "citymgr_asset_district(l.asset_class, l.asset_uuid))) ELSE "
        "citymgr_may_write(own_district) END $$",
        "CREATE OR REPLACE FUNCTION citymgr_attachment_writable(kind text, owner text) "
        "RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT CASE kind "
        "WHEN 'work_order' THEN citymgr_order_writable(owner, (SELECT w.district FROM "
        "work_order w WHERE w.work_order_uuid = owner)) "
        "WHEN 'maintenance_record' THEN citymgr_may_write((SELECT citymgr_asset_district("
        "r.asset_class, r.asset_uuid) FROM maintenance_record r WHERE r.record_uuid = owner)) "
        "ELSE citymgr_may_write(citymgr_asset_district(kind, owner)) END $$",
    ]


def _policies(conn: object, table: str, rule: str) -> None:
    name = ident(table)
    conn.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")  # type: ignore[attr-defined]
    for policy, sql in (
            ("citymgr_read", f"CREATE POLICY citymgr_read ON {name} FOR SELECT USING (true)"),
            ("citymgr_insert", f"CREATE POLICY citymgr_insert ON {name} FOR INSERT "
                               f"WITH CHECK ({rule})"),
            ("citymgr_update", f"CREATE POLICY citymgr_update ON {name} FOR UPDATE "
                               f"USING (true) WITH CHECK ({rule})"),  # refused: _guard
            ("citymgr_delete", f"CREATE POLICY citymgr_delete ON {name} FOR DELETE "
                               "USING (true)")):
        conn.execute(f"DROP POLICY IF EXISTS {policy} ON {name}")  # type: ignore[attr-defined]
        conn.execute(sql)  # type: ignore[attr-defined]


def grant(target: str, role: str, district: str, *, read_only: bool = False) -> None:
    """Let ``role`` read the project and (unless ``read_only``) change what belongs to
    ``district`` (see the module docstring); run as the database's owner. The role must
    exist (``createuser``)."""
    with PostgisStore.open(target) as db:
        db.require_asset_project()
        with db.session() as conn:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                            (role,)).fetchone() is None:
                raise NotFoundError("{target}: no database role {role!r} (create it first, "
                                    "e.g. createuser --pwprompt {role})",
                                    target=db.path, role=role)
            conn.execute(GRANTS_DDL)
            ensure_sync_tables(conn)  # field packages and syncs are every engineer's
            conn.execute("INSERT INTO citymgr_role_district VALUES (%s, %s, %s) ON CONFLICT "
                         "(role, district) DO UPDATE SET read_only = EXCLUDED.read_only",
                         (role, district, read_only))
            who = ident(role)
            conn.execute(f"GRANT USAGE ON SCHEMA public TO {who}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}")
            if not read_only:
                tables = [t.name for t in sc.ASSET_TABLES] + list(_ROW_RULES) + \
                    list(SYNC_TABLES)
                conn.execute(f"GRANT INSERT, UPDATE, DELETE ON "
                             f"{', '.join(map(ident, tables))} TO {who}")
                conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}")
            for statement in _functions():
                conn.execute(statement)
            for name, rule in _rules().items():
                _policies(conn, name, rule.format(r="", o=f"{name}."))
                for statement in _guard(name, rule):
                    conn.execute(statement)
