"""The attribute table's row query in a worker thread: the rows that match the filter (plus
the unsaved edits), in the asked order, asked of a read-only store of its own (the UI keeps
using the open one), interruptible when the user types a new filter or clicks another column
before it finished."""

from __future__ import annotations

import threading
from collections.abc import Collection

from PySide6.QtCore import QThread, Signal

from citymgr_desktop.core.expression import Expression
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store, select_assets
from citymgr_desktop.ui import i18n

# Every query stays referenced here until its thread has finished: a QThread destroyed while
# running aborts the process, and a cancelled query may outlive the model that started it.
_LIVE: set[FidQuery] = set()


def is_live(query: FidQuery) -> bool:
    """True until the query's thread has finished (its Qt object may be gone afterwards)."""
    return query in _LIVE


def cancel_and_wait(queries, ms: int = 5000) -> None:
    """Cancel these queries and wait for their threads (before their model goes)."""
    for query in list(queries):
        if query in _LIVE:
            query.cancel()
            query.wait(ms)


def cancel_all(ms: int = 5000) -> None:
    """Cancel every query still running and wait for its thread (before the app quits)."""
    cancel_and_wait(list(_LIVE), ms)


class FidQuery(QThread):
    done = Signal(object, object, int)  # this query, AssetSelection, rows in the layer
    error = Signal(object, str)  # this query, message

    def __init__(self, store: Store, layer: str, expression: Expression | None, *,
                 pending: list[Delta], include_retired: bool, among: Collection[str] | None,
                 order_by: str, descending: bool) -> None:
        super().__init__(None)  # owned by _LIVE until finished, never by a model that may die
        self.store, self.layer, self.expression = store, layer, expression
        self.pending, self.include_retired, self.among = pending, include_retired, among
        self.order_by, self.descending = order_by, descending
        self._reader: Store | None = None
        self._lock = threading.Lock()
        self._cancelled = False
        _LIVE.add(self)
        self.finished.connect(self._forget)

    def _forget(self) -> None:
        _LIVE.discard(self)
        self.deleteLater()

    def cancel(self) -> None:
        """Stop the query at SQLite's next step; nothing is reported afterwards."""
        with self._lock:
            self._cancelled = True
            if self._reader is not None:
                self._reader.interrupt()

    def run(self) -> None:
        try:
            reader = self.store.reader()
        except Exception as exc:  # reported as one line, never a crash of the worker
            self.error.emit(self, i18n.render(exc))
            return
        with self._lock:
            if self._cancelled:
                reader.close()
                return
            self._reader = reader
        try:
            selection = select_assets(
                reader, self.layer, self.expression, pending=self.pending,
                include_retired=self.include_retired, among=self.among,
                order_by=self.order_by, descending=self.descending, with_uuids=False)
            total = reader.row_count(self.layer)
        except Exception as exc:  # reported as one line, never a crash of the worker
            if not self._cancelled:
                self.error.emit(self, i18n.render(exc))
            return
        finally:
            with self._lock:
                self._reader = None
            reader.close()
        if not self._cancelled:
            self.done.emit(self, selection, int(total))
