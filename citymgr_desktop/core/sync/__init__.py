"""Field packages out (check-out) and back in (check-in): the three-way merge, its journal
and undo (docs/sync.md).
"""

from typing import TYPE_CHECKING

from citymgr_desktop.core.lazy import names_on_first_use

if TYPE_CHECKING:
    from citymgr_desktop.core.sync.checkout import PackageResult, create_package
    from citymgr_desktop.core.sync.report import SyncReport
    from citymgr_desktop.core.sync.resolve import Resolution, list_conflicts, resolve_conflicts
    from citymgr_desktop.core.sync.run import check_package_ahead, open_for_sync, sync_package
    from citymgr_desktop.core.sync.undo import redo_sync, undo_sync

# loaded on first use (PEP 562): a check-in does not pay for the check-out's package writer
# (the QGIS forms, styles and project), nor a check-out for the merge
_MODULE_OF = {"PackageResult": "checkout", "create_package": "checkout",
              "SyncReport": "report", "Resolution": "resolve", "list_conflicts": "resolve",
              "resolve_conflicts": "resolve", "check_package_ahead": "run",
              "open_for_sync": "run", "sync_package": "run", "redo_sync": "undo",
              "undo_sync": "undo"}

__all__ = ["PackageResult", "Resolution", "SyncReport", "check_package_ahead", "create_package",
           "list_conflicts", "open_for_sync", "redo_sync", "resolve_conflicts", "sync_package",
           "undo_sync"]


__getattr__ = names_on_first_use(__name__, _MODULE_OF)
