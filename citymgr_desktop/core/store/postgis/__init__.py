"""The PostGIS backend of the store: a project held in PostgreSQL + PostGIS, behind the same
interface as the GeoPackage store (docs/postgis.md).

Only the naming helpers load with the package: every command asks ``is_database_target``
of its FILE, and a GeoPackage command should not pay for the backend (its writer, the
publisher and the QGIS project); the other names load on first use (PEP 562).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.lazy import names_on_first_use
from citymgr_desktop.core.store.targets import display_name, is_database_target

if TYPE_CHECKING:
    from citymgr_desktop.core.store.postgis.edit import EditOutcome, edit_where
    from citymgr_desktop.core.store.postgis.publish import PublishResult, publish, snapshot
    from citymgr_desktop.core.store.postgis.store import PostgisStore
    from citymgr_desktop.core.store.postgis.write import SaveConflict, SaveOutcome

_MODULE_OF = {"EditOutcome": "edit", "edit_where": "edit", "PublishResult": "publish",
              "publish": "publish", "snapshot": "publish", "PostgisStore": "store",
              "SaveConflict": "write", "SaveOutcome": "write"}

__all__ = ["EditOutcome", "PostgisStore", "PublishResult", "SaveConflict", "SaveOutcome",
           "display_name", "edit_where", "is_database_target", "publish", "snapshot"]


__getattr__ = names_on_first_use(__name__, _MODULE_OF)


class _Face(types.ModuleType):
    """This package. Python sets each submodule it imports as an attribute of its package:
    the module ``publish`` would then hide the function ``publish`` the face hands on (which
    the eager imports used to bind after it). A name of the face keeps meaning the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _MODULE_OF and isinstance(value, types.ModuleType):
            return  # the module stays in sys.modules; the name resolves through __getattr__
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Face
