"""Other sessions' commits to the open database, heard within a second: a thread of its own
waits on ``PostgisStore.changed_tables`` (LISTEN/NOTIFY on its own connection) and the
window is told which tables changed (it reloads those layers in a worker, panels refresh).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.core.store.protocol import ProjectStore
    from citymgr_desktop.ui.shell.window import Window

log = logging.getLogger(__name__)
WAIT_SECONDS = 0.5  # how long one wait lasts: the thread sees a stop request this soon


class DatabaseWatcher(QObject):
    """Listens on a connection opened by ``open_listener()`` (in its thread) until
    :meth:`stop`; ``tablesChanged(set)`` arrives on the UI thread."""

    tablesChanged = Signal(object)
    lost = Signal(object)  # the CitymgrError that ended the listening

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
                   on_lost: Callable[[BaseException], None]) -> DatabaseWatcher:
        self.tablesChanged.connect(on_tables, Qt.ConnectionType.QueuedConnection)
        self.lost.connect(on_lost, Qt.ConnectionType.QueuedConnection)
        return self

    def stop(self) -> None:
        """Ask the thread to end (it does within ``WAIT_SECONDS``) and wait for it briefly."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * WAIT_SECONDS + 1)

    def _listen(self) -> None:
        listener = None
        try:
            listener = self._open_listener()
            listener.changed_tables(0)  # the first call starts listening
            while not self._stopping.is_set():
                tables = listener.changed_tables(WAIT_SECONDS)
                if tables and not self._stopping.is_set():
                    self.tablesChanged.emit(set(tables))
        except CitymgrError as exc:
            if not self._stopping.is_set():
                self.lost.emit(exc)
        except Exception as exc:  # the listener's connection went away under us
            if not self._stopping.is_set():
                log.warning("listening for the database's changes stopped: %s", exc)
        finally:
            if listener is not None:
                try:
                    listener.close()
                except Exception:  # already gone
                    log.debug("closing the listener failed", exc_info=True)


def watch_database(w: Window, store: ProjectStore) -> DatabaseWatcher:
    """Start listening to ``store``'s database for the window ``w``: the layers another
    session committed to are read again (``notify_data_changed``); a lost listener is said
    in the status bar. Stop it when the store is closed."""

    def committed(tables: set[str]) -> None:
        if w.store is store:
            w.notify_data_changed(tables)

    def lost(exc: BaseException) -> None:
        w.status(i18n.tr("Others' changes are no longer shown as they are saved: %1")
                 .replace("%1", i18n.render(exc)), 15000)

    return DatabaseWatcher(store.reader, w).connect_to(committed, lost).start()
