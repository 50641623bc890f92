"""A sync or a conflict resolution as one step on the app's undo stack (``CommandStack``).

The run itself already happened (in a worker, one transaction), so the first ``do`` only
records it; ``undo`` undoes the whole run from its journal and ``redo`` applies it again.
Both are idempotent: a run undone from the sync history in the meantime is not undone twice.
"""

from __future__ import annotations

from collections.abc import Callable

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

    def tables(self) -> set[str]:
        return set(self._tables)

    def _state(self) -> str | None:
        run = reg.run_by_uuid(self.store.conn, self.sync_uuid)
        return None if run is None else run.state

    def do(self) -> None:
        if not self._recorded:  # the run was just applied
            self._recorded = True
            return
        if self._state() == "undone":
            redo_sync(self.store, self.sync_uuid)
        self._changed()

    def undo(self) -> None:
        if self._state() == "applied":
            # The journal is the record of the run; the copy taken before the sync stays.
            undo_sync(self.store, self.sync_uuid, user=self.user, backup=False)
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.tables())
