"""The rules of ``citymgr db grant`` (``postgis/grant.py``) as SQL: which rows a login
granted 街道 may write (``_rules``: the policies' WITH CHECK, the guard triggers' test and
the app's question before an edit, :func:`write_rule`), the functions they call, and the
statements that put them into a database (:func:`install_rules`, :func:`give_rights`), run
by a grant and by the owner's open of a database granted by an older citymgr
(``postgis/upgrade.py``).
"""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.field_sync import SYNC_TABLES

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
    name = ident(guard_name(table))
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


def _policies(conn: Any, table: str, rule: str) -> None:
    name = ident(table)
    conn.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
    for policy, sql in (
            ("citymgr_read", f"CREATE POLICY citymgr_read ON {name} FOR SELECT USING (true)"),
            ("citymgr_insert", f"CREATE POLICY citymgr_insert ON {name} FOR INSERT "
                               f"WITH CHECK ({rule})"),
            ("citymgr_update", f"CREATE POLICY citymgr_update ON {name} FOR UPDATE "
                               f"USING (true) WITH CHECK ({rule})"),  # refused: _guard
            ("citymgr_delete", f"CREATE POLICY citymgr_delete ON {name} FOR DELETE "
                               "USING (true)")):
        conn.execute(f"DROP POLICY IF EXISTS {policy} ON {name}")
        conn.execute(sql)


def write_rules() -> dict[str, str]:
    """The tables the rules cover (the assets' first), each with its rule (unformatted)."""
    return _rules()


def write_rule(table: str) -> str:
    """The SQL, over a row of ``table`` (an asset layer or one of ``_ROW_RULES``) in a query
    ``FROM table``, that is true when the current login may change it: the policies' own
    rule, so the app refuses at the action what the database would refuse at the save."""
    return _rules()[table].format(r="", o=f"{table}.")


def guard_name(table: str) -> str:
    return f"{table}_guard"


def install_rules(conn: Any) -> None:
    """This version's functions, policies and guard triggers on every table, in the
    caller's transaction (the tables' owner's right; ``CREATE OR REPLACE``, ``DROP … IF
    EXISTS``: rules of an older citymgr are replaced)."""
    for statement in _functions():
        conn.execute(statement)
    for name, rule in _rules().items():
        _policies(conn, name, rule.format(r="", o=f"{name}."))
        for statement in _guard(name, rule):
            conn.execute(statement)


def give_rights(conn: Any, role: str, read_only: bool) -> None:
    """The table rights of a granted ``role``: reading everything, and (unless
    ``read_only``) writing the tables the rules guard and the field-sync tables."""
    who = ident(role)
    conn.execute(f"GRANT USAGE ON SCHEMA public TO {who}")
    conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {who}")
    if not read_only:
        tables = [*_rules(), *SYNC_TABLES]
        conn.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(map(ident, tables))} "
                     f"TO {who}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}")
