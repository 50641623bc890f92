"""The store: the one door to the data of a project file (open, check, read, write, create).

ui/, cli/, export/ and render/ reach the data only through these names (checked by
``tests/core/test_architecture.py``): a second backend stands behind the same interface.
"""

from citymgr_desktop.core.store.check import Problem, validate_file
from citymgr_desktop.core.store.create import create_project
from citymgr_desktop.core.store.geopackage import LayerInfo, Store
from citymgr_desktop.core.store.protocol import ProjectStore, open_store
from citymgr_desktop.core.store.selection import AssetSelection, asset_table, select_assets

__all__ = ["AssetSelection", "LayerInfo", "Problem", "ProjectStore", "Store", "asset_table",
           "create_project", "open_store", "select_assets", "validate_file"]
