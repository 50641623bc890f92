"""The PostGIS backend of the store: a project held in PostgreSQL + PostGIS, behind the same
interface as the GeoPackage store (docs/postgis.md)."""

from citymgr_desktop.core.store.postgis.connection import display_name, is_database_target
from citymgr_desktop.core.store.postgis.edit import EditOutcome, edit_where
from citymgr_desktop.core.store.postgis.publish import PublishResult, publish, snapshot
from citymgr_desktop.core.store.postgis.store import PostgisStore
from citymgr_desktop.core.store.postgis.write import SaveConflict, SaveOutcome

__all__ = ["EditOutcome", "PostgisStore", "PublishResult", "SaveConflict", "SaveOutcome", "display_name",
           "edit_where", "is_database_target", "publish", "snapshot"]
