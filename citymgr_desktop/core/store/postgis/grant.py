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
the ``citymgr_may_write_*`` functions (``postgis/rules.py``), which read them, so a role may hold several 街道.

An UPDATE or DELETE of a row the role may read but not change is an error, not a statement
that matches nothing (which QGIS reports as saved): the UPDATE and DELETE policies let every
readable row through (``USING (true)``; WITH CHECK still keeps a changed row in the role's
街道), and a BEFORE UPDATE OR DELETE trigger of each table raises ``insufficient_privilege``
naming the row's 街道 and the role's. Rules of a database granted by an older citymgr are
renewed by any ``db grant``, and by the owner's next open for writing
(``postgis/upgrade.py``).
"""

from __future__ import annotations

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.store.postgis.field_sync import ensure_sync_tables
from citymgr_desktop.core.store.postgis.rules import GRANTS_DDL, give_rights, install_rules
from citymgr_desktop.core.store.postgis.store import PostgisStore


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
            give_rights(conn, role, read_only)
            install_rules(conn)
