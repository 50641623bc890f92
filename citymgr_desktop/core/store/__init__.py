"""The store: the one door to the data of a project file (open, check, read, write, create).

ui/, cli/, export/ and render/ reach the data only through these names (checked by
``tests/core/test_architecture.py``): a second backend stands behind the same interface.
"""

from typing import TYPE_CHECKING

from citymgr_desktop.core.lazy import names_on_first_use
from citymgr_desktop.core.store.common import LayerInfo
from citymgr_desktop.core.store.geopackage import Store
from citymgr_desktop.core.store.protocol import ProjectStore, open_store

if TYPE_CHECKING:
    from citymgr_desktop.core.store.check import Problem, validate_file
    from citymgr_desktop.core.store.create import create_project
    from citymgr_desktop.core.store.selection import (
        AssetSelection,
        asset_table,
        select_assets,
    )

# loaded on first use (PEP 562): the file check, the writer of new files and the selection
# by expression (the expression language) are not needed to open a file and read it (a
# ``citymgr render`` pays for none of them)
_MODULE_OF = {"Problem": "check", "validate_file": "check", "create_project": "create",
              "AssetSelection": "selection", "asset_table": "selection",
              "select_assets": "selection"}

__all__ = ["AssetSelection", "LayerInfo", "Problem", "ProjectStore", "Store", "asset_table",
           "create_project", "open_store", "select_assets", "validate_file"]


__getattr__ = names_on_first_use(__name__, _MODULE_OF)
