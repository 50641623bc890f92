"""A sync or a conflict resolution as one step on the app's undo stack (``CommandStack``).

The run itself already happened (in a worker, one transaction), so the first ``do`` only
records it; ``undo`` undoes the whole run from its journal and ``redo`` applies it again.
A run undone (or applied again) from the sync history in the meantime is not undone (or
redone) twice: the step only moves. When the file changed under the step so that it can no
longer be taken (the run is gone, or its package was synced again as a new run, e.g. with
``citymgr sync-undo`` then ``citymgr sync``), it raises :class:`StaleStepError`: the stack
drops it and the user reads what happened and how to undo the run that is in the file now.
The step never undoes that new run itself: the window did not apply it, and its changes
may differ from the ones the step names.

``on_change`` is called with the tables after each undo and redo; it is the window's
``notify_data_changed`` (the window outlives the step), never a dialog's method.
"""

from __future__ import annotations

from collections.abc import Callable

from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.errors import StaleStepError
from citymgr_desktop.core.messages import Text
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.undo import redo_sync, undo_sync


class SyncRunCommand:
    """Undo/redo of one applied run (kind ``sync`` or ``resolve``)."""

    def __init__(self, store: Store, sync_uuid: str, label: Text, tables: set[str],
                 user: str = "", on_change: Callable[[set[str]], None] | None = None) -> None:
        self.store, self.sync_uuid, self.user = store, sync_uuid, user
        self.label = label
        self._tables = set(tables)
        self.on_change = on_change
        self._recorded = False
        run = reg.run_by_uuid(store.conn, sync_uuid)
        self.sync_id = run.sync_id if run is not None else sync_uuid

    def tables(self) -> set[str]:
        return set(self._tables)

    def _run(self, redo: bool) -> reg.RunRecord:
        """The run as the file has it now; stale when it is gone or another run of the same
        package is applied in its place."""
        run = reg.run_by_uuid(self.store.conn, self.sync_uuid)
        if run is None:
            raise StaleStepError(
                "sync {sync_id} is no longer in this file (it was replaced or restored from a "
                "copy): nothing was changed, and the step is taken off Edit ▸ Undo/Redo. "
                "Field sync ▸ History shows the syncs the file has", sync_id=self.sync_id)
        again = reg.applied_run_with_id(self.store.conn, run.sync_id) \
            if run.state == "undone" and run.kind == "sync" else None
        if again is None or again.sync_uuid == run.sync_uuid:
            return run
        args = {"sync_id": run.sync_id, "when": format_local(again.applied_at),
                "who": again.applied_by or "?", "file": str(self.store.path)}
        if redo:
            raise StaleStepError(
                "sync {sync_id} was synced again outside this window (run applied {when} by "
                "{who}): it is in the file already, so nothing was changed and the step is "
                "taken off Edit ▸ Undo/Redo. To undo that run: Field sync ▸ History, or "
                "citymgr sync-undo {file} {sync_id}", **args)
        raise StaleStepError(
            "sync {sync_id} was undone outside this window and synced again since (run "
            "applied {when} by {who}); that run is not this window's step, so nothing was "
            "changed and the step is taken off Edit ▸ Undo/Redo. To undo the sync now in the "
            "file: Field sync ▸ History, or citymgr sync-undo {file} {sync_id}", **args)

    def do(self) -> None:
        if not self._recorded:  # the run was just applied
            self._recorded = True
            return
        if self._run(redo=True).state == "undone":
            redo_sync(self.store, self.sync_uuid)
        self._changed()

    def undo(self) -> None:
        if self._run(redo=False).state == "applied":
            # The journal is the record of the run; the copy taken before the sync stays.
            undo_sync(self.store, self.sync_uuid, user=self.user, backup=False)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.tables())
