"""The attribute table's row query in a worker thread: ordered fids of the rows that match the
filter, on a read-only connection of its own (the UI keeps using the store's), interruptible
when the user types a new filter or clicks another column before it finished."""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import QThread, Signal

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.expression import Expression, filter_fids

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


class FidQuery(QThread):
    done = Signal(object, object, int)  # this query, fids (np.ndarray), rows in the layer
    error = Signal(object, str)  # this query, message

    def __init__(self, path: str, layer: str, expression: Expression | None, extra_where: str,
                 order_by: str, descending: bool) -> None:
        super().__init__(None)  # owned by _LIVE until finished, never by a model that may die
        self.path, self.layer, self.expression = path, layer, expression
        self.extra_where, self.order_by, self.descending = extra_where, order_by, descending
        self._conn: sqlite3.Connection | None = None
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
            if self._conn is not None:
                self._conn.interrupt()

    def run(self) -> None:
        try:
            conn = gpkg.connect(self.path, read_only=True)
        except sqlite3.Error as exc:
            self.error.emit(self, str(exc))
            return
        with self._lock:
            if self._cancelled:
                conn.close()
                return
            self._conn = conn
        try:
            fids = filter_fids(conn, self.layer, self.expression, extra_where=self.extra_where,
                               order_by=self.order_by, descending=self.descending)
            total = conn.execute(f"SELECT count(*) FROM {gpkg.quote_ident(self.layer)}"
                                 ).fetchone()[0]
        except sqlite3.OperationalError as exc:
            if not self._cancelled:
                self.error.emit(self, f"{self.layer}: {exc}")
            return
        except Exception as exc:  # reported as one line, never a crash of the worker
            if not self._cancelled:
                self.error.emit(self, str(exc))
            return
        finally:
            with self._lock:
                self._conn = None
            conn.close()
        if not self._cancelled:
            self.done.emit(self, fids, int(total))

