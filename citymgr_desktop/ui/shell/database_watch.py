"""Other sessions' commits to the open database, heard within a second: a thread of its own
waits on ``PostgisStore.changed_tables`` (LISTEN/NOTIFY on its own connection) and the
window is told which tables changed (it reloads those layers in a worker, panels refresh).
A lost connection is said in the status bar and opened again with backoff; once back the
window reads everything again (what was committed meanwhile was not heard).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.core.store.postgis import PostgisStore
    from citymgr_desktop.ui.shell.window import Window

log = logging.getLogger(__name__)
WAIT_SECONDS = 0.5  # how long one wait lasts: the thread sees a stop request this soon


RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # waits between reconnects (the last repeats)


class DatabaseWatcher(QObject):
    """Listens on a connection opened by ``open_listener()`` (in its thread) until
    :meth:`stop`; ``tablesChanged(set)`` arrives on the UI thread. A connection lost (the
    server restarted, an administrator ended the sessions, the network dropped) is said by
    ``interrupted(exc)`` and opened again with backoff; ``resumed()`` then says the commits
    made meanwhile were not heard (the window reads everything again)."""

    tablesChanged = Signal(object)
    interrupted = Signal(object)  # the exception that ended the listening
    resumed = Signal()

    def __init__(self, open_listener: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_listener = open_listener
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="citymgr-db-watch",
                                        daemon=True)

    def start(self) -> DatabaseWatcher:
        self._thread.start()
        return self

    def connect_to(self, on_tables: Callable[[set[str]], None],
                   on_interrupted: Callable[[BaseException], None],
                   on_resumed: Callable[[], None]) -> DatabaseWatcher:
        queued = Qt.ConnectionType.QueuedConnection
        self.tablesChanged.connect(on_tables, queued)
        self.interrupted.connect(on_interrupted, queued)
        self.resumed.connect(on_resumed, queued)
        return self

    def stop(self) -> None:
        """Ask the thread to end (it does within ``WAIT_SECONDS``) and wait for it briefly."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * WAIT_SECONDS + 1)

    def _listen(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._listen_once(resumed=failures > 0)
            except Exception as exc:  # CitymgrError, or the connection went away under us
                if self._stopping.is_set():
                    return
                if failures == 0:
                    log.warning("listening for the database's changes stopped: %s", exc)
                    self.interrupted.emit(exc)
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                self._stopping.wait(wait)
            else:
                return

    def _listen_once(self, *, resumed: bool) -> None:
        """One listening connection until :meth:`stop` (returns) or its loss (raises)."""
        listener = self._open_listener()
        try:
            listener.changed_tables(0)  # the first call starts listening
            if resumed:
                log.info("listening for the database's changes again")
                self.resumed.emit()
            while not self._stopping.is_set():
                tables = listener.changed_tables(WAIT_SECONDS)
                if tables and not self._stopping.is_set():
                    self.tablesChanged.emit(set(tables))
        finally:
            try:
                listener.close()
            except Exception:  # already gone
                log.debug("closing the listener failed", exc_info=True)


def read_all_again(w: Window) -> None:
    """Every table of the project read again (the map, the table, the lists): others'
    commits not heard one table at a time (a connection back, another window's save)."""
    w.notify_data_changed({t.name for t in sc.ALL_TABLES if t.key})


def watch_database(w: Window, store: PostgisStore) -> DatabaseWatcher:
    """Start listening to ``store``'s database for the window ``w``: the layers another
    session committed to are read again (``notify_data_changed``). While the listening
    connection is lost the status bar says so (it reconnects by itself); once back,
    everything is read again, as the commits made meanwhile were not heard. Stop it when
    the store is closed."""

    def committed(tables: set[str]) -> None:
        if w.store is store:
            w.notify_data_changed(tables)

    def interrupted(exc: BaseException) -> None:
        if w.store is store:
            reason = i18n.render(exc) if isinstance(exc, CitymgrError) else str(exc).strip()
            w.status_bar.set_notice(
                i18n.tr("Live updates interrupted, reconnecting…"),
                i18n.tr("Others' changes are not shown until the connection is back: %1")
                .replace("%1", reason))

    def resumed() -> None:
        if w.store is store:
            w.status_bar.set_notice(None)
            with contextlib.suppress(CitymgrError):  # said again by the next read
                store.reconnect()
            read_all_again(w)

    return DatabaseWatcher(store.reader, w).connect_to(committed, interrupted, resumed).start()
