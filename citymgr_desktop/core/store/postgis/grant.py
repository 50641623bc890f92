"""Who may change what in a project database: ``citymgr db grant URL --role R --district D
[--read-only]``. Every role granted may read the whole district; a role with a 街道 may
insert, change and delete only the assets of its 街道, enforced by PostgreSQL's row-level
security (the database refuses, not only the app).

Grants are rows of ``citymgr_role_district`` (role, district, read_only); one policy per
asset table reads them, so a role may hold several 街道.
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
_OWN = ("district IN (SELECT g.district FROM citymgr_role_district g "
        "WHERE g.role = current_user AND NOT g.read_only)")
# tables a district engineer writes besides the assets (records, orders, photos)
_SHARED_WRITES = ("maintenance_record", "work_order", "work_order_asset", "work_order_event",
                  "attachment")


def _policies(conn: object, table: str) -> None:
    name = ident(table)
    conn.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")  # type: ignore[attr-defined]
    for policy, sql in (
            ("citymgr_read", f"CREATE POLICY citymgr_read ON {name} FOR SELECT USING (true)"),
            ("citymgr_insert", f"CREATE POLICY citymgr_insert ON {name} FOR INSERT "
                               f"WITH CHECK ({_OWN})"),
            ("citymgr_update", f"CREATE POLICY citymgr_update ON {name} FOR UPDATE "
                               f"USING ({_OWN}) WITH CHECK ({_OWN})"),
            ("citymgr_delete", f"CREATE POLICY citymgr_delete ON {name} FOR DELETE "
                               f"USING ({_OWN})")):
        conn.execute(f"DROP POLICY IF EXISTS {policy} ON {name}")  # type: ignore[attr-defined]
        conn.execute(sql)  # type: ignore[attr-defined]


def grant(target: str, role: str, district: str, *, read_only: bool = False) -> None:
    """Let ``role`` read the project and (unless ``read_only``) change the assets of
    ``district``; run as the database's owner. The role must exist (``createuser``)."""
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
                tables = [t.name for t in sc.ASSET_TABLES] + list(_SHARED_WRITES) + \
                    list(SYNC_TABLES)
                conn.execute(f"GRANT INSERT, UPDATE, DELETE ON "
                             f"{', '.join(map(ident, tables))} TO {who}")
                conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}")
            for table in sc.ASSET_TABLES:
                _policies(conn, table.name)
