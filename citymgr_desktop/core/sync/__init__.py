"""Field packages out (check-out) and back in (check-in): the three-way merge, its journal
and undo (docs/sync.md).
"""

from citymgr_desktop.core.sync.checkout import PackageResult, create_package
from citymgr_desktop.core.sync.report import SyncReport
from citymgr_desktop.core.sync.resolve import Resolution, list_conflicts, resolve_conflicts
from citymgr_desktop.core.sync.run import check_package_ahead, open_for_sync, sync_package
from citymgr_desktop.core.sync.undo import redo_sync, undo_sync

__all__ = ["PackageResult", "Resolution", "SyncReport", "check_package_ahead", "create_package",
           "list_conflicts", "open_for_sync", "redo_sync", "resolve_conflicts", "sync_package",
           "undo_sync"]
