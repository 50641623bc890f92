"""Undo (and redo) of a whole sync or resolution run: backup, the journal replayed in one
transaction (``sync_journal.undo_run`` / ``redo_run``), and the integrity check."""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.apply import integrity_check
from citymgr_desktop.core.sync.journal import redo_run, undo_run
from citymgr_desktop.core.sync.schema import DATA_TABLES


def undo_sync(store: Store, ident: str, *, user: str = "", backup: bool = True,
              full_check: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Undo the run called ``ident`` (sync id or run uuid) in one transaction."""
    store.require_asset_project()
    if not store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_run'").fetchone():
        raise NotFoundError("{path} has no syncs", path=store.path)
    backup_path = None
    with store.session():
        run = reg.find_run(store.conn, ident)
        if backup:
            backup_path = reg.backup_dir(store.path) / \
                f"{now_iso()[:19].replace(':', '')}-undo-{run.sync_uuid[:8]}.gpkg"
            if reg.is_wal(store.conn, "main"):
                reg.backup_wal(store.path, backup_path)
            else:
                reg.copy_file(store.path, backup_path)
        try:
            rows = undo_run(store, run, user, progress)
            check = integrity_check(store.conn, str(store.path),
                                    sorted({t.name for t in DATA_TABLES}), full_check)
        except BaseException:
            if backup_path is not None:
                reg.discard(backup_path)
            raise
    reg.prune_backups(store.path)
    return {"sync_id": run.sync_id, "sync_uuid": run.sync_uuid, "kind": run.kind,
            "rows_restored": rows, "backup": str(backup_path) if backup_path else None,
            "integrity_check": check}


def redo_sync(store: Store, ident: str, *, progress: Progress | None = None) -> dict[str, Any]:
    """Apply an undone run again (the app's Redo), in one transaction."""
    store.require_asset_project()
    with store.session():
        run = reg.find_run(store.conn, ident)
        rows = redo_run(store, run, progress)
        check = integrity_check(store.conn, str(store.path),
                                sorted({t.name for t in DATA_TABLES}))
    return {"sync_id": run.sync_id, "sync_uuid": run.sync_uuid, "kind": run.kind,
            "rows_restored": rows, "integrity_check": check}
