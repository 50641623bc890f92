"""The open GeoPackage followed for what other programs commit to it: another citymgr window
that holds the file (this window views only: the other took the file's journal slot first,
``core/editing/recovery.claim_journal``), or, in the window that edits it, the command line
(``citymgr edit``, ``sync``, ``sync-undo``, ``sync-resolve``), QGIS or a script. Four times a
second a timer asks the file's ``PRAGMA data_version`` (``Store.write_state``), which changes
with the commits of other connections only (this window's saves, syncs and undos all go
through the store's own connection), in a rollback journal or a WAL file alike. Others'
commits read everything again as ``database_watch`` does for a database (``read_all_again``:
the map, the legend, the table and the lists refresh; the view, the selection and this
window's unsaved edits stay, and their save merges with the file as it is then,
``core/editing/saving``), and the status bar says so: once per burst, when the file has been
still for ``QUIET_S`` (a program committing several times in a row is read once, after its
last commit), or ``LATEST_S`` after the first commit not shown (a long writer is shown as it
goes); F5 asks and reads at once. A viewing
window is offered, once the other window has closed the file, to edit it here: the file
opened again in this window at the same view with the same selection.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QPushButton

from citymgr_desktop.core.editing import held_elsewhere
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell.database_watch import read_all_again

if TYPE_CHECKING:
    from pathlib import Path

    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.shell.window import Window

log = logging.getLogger(__name__)
POLL_MS = 250  # how often the file is asked whether another connection committed
QUIET_S = 0.75  # others' commits are read once the file has been still this long...
LATEST_S = 5.0  # ...or at the latest this long after the first one not yet read
MAX_SKIPS = 30_000 // POLL_MS  # ticks in a row a write in progress (a journal) skips: 30 s
_HEADER = 28  # bytes of a rollback journal's header SQLite zeroes at a commit (PERSIST)


class FileWatcher(QObject):
    """Polls ``store``'s file for the window ``w`` until :meth:`stop` (the file closed).
    ``viewing``: another window holds the file (its saves said as such; editing here is
    offered once it closed the file)."""

    def __init__(self, w: Window, store: Store, viewing: bool = False) -> None:
        super().__init__(w)  # type: ignore[arg-type]  # the window is a QMainWindow
        self._w, self._store, self._viewing = w, store, viewing
        self._version = self._data_version()  # the version the window shows
        self._seen: int | None = None  # a later version, not read yet (a burst under way)
        self._first = self._still = 0.0  # when the first unread commit / the last was seen
        self._skips = 0  # ticks skipped in a row for a write in progress
        self._edit_here: QPushButton | None = None  # offered once the other window closed
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._edit_here is not None:
            self._w.status_bar.removeWidget(self._edit_here)
            self._edit_here.deleteLater()
            self._edit_here = None
        self.deleteLater()  # a window opens many files in its life

    def _data_version(self) -> int | None:
        """The file's ``data_version``; None when a worker uses the store's connection now
        (the question would wait for its statement, the window frozen: ``Store.in_use``) or
        the file is mid-change or gone: asked again at the next tick."""
        if not self._store.in_use.acquire(blocking=False):
            return None
        try:
            return self._store.write_state()[0]
        except Exception:
            log.debug("data_version of %s not read", self._store.path, exc_info=True)
            return None
        finally:
            self._store.in_use.release()

    def poll(self, at_once: bool = False) -> None:
        """Ask the file now (each tick; ``at_once``: the user asked, F5, and a change is read
        without waiting for the file to be still). Not while this window writes (a save or a
        sync in a worker holds the store's connection: the question would wait for it; its
        commit is not another's anyway; nor while a worker reads through it,
        ``Store.in_use``), nor while another program is in the middle of a write (the
        question would wait for its lock, the window frozen meanwhile; not more than
        ``MAX_SKIPS`` ticks in a row: a journal SQLite left behind does not stop the
        following): the next tick asks."""
        if self._w.store is not self._store:
            self.stop()
            return
        if self._store.writing:
            return
        now = time.monotonic()
        if _being_written(self._store.path) and self._skips < MAX_SKIPS:
            self._skips += 1
            self._still = now  # a burst's next commit under way: not still
            return
        self._skips = 0
        version = self._data_version()
        if version is not None and self._version is None:  # the first answer: nothing said
            self._version = version
        elif version is not None and version != self._version:
            if self._seen is None:
                self._first = now
            if version != self._seen:
                self._seen, self._still = version, now
            if at_once or now - self._still >= QUIET_S or now - self._first >= LATEST_S:
                self._read_again(version)
        if self._viewing and self._edit_here is None and not held_elsewhere(self._store):
            self._offer(self._store.path.name)

    def _read_again(self, version: int) -> None:
        """Others' commits up to ``version`` read: every table again, said in the status
        bar."""
        self._version, self._seen = version, None
        read_all_again(self._w)
        said = i18n.tr("%1 was changed in another window or program: reloaded") \
            if self._viewing else i18n.tr("%1 was changed by another program: reloaded")
        self._w.status(said.replace("%1", self._store.path.name), 8000)
        log.info("%s: others' commits read again (data_version %s)", self._store.path, version)

    def _offer(self, name: str) -> None:
        """The other window closed the file: a button in the status bar edits it here (a
        button, not a notice: a label as long as this sentence would widen the window)."""
        said = i18n.tr("%1 is no longer open in another window: it can be edited in this "
                       "one").replace("%1", name)
        self._edit_here = QPushButton(i18n.tr("Edit in this window"), self._w.status_bar)
        self._edit_here.setObjectName("editHereButton")
        self._edit_here.setToolTip(said)
        self._edit_here.clicked.connect(self._take_over)
        self._w.status_bar.addWidget(self._edit_here)
        self._edit_here.show()
        self._w.status(said, 15000)

    def _take_over(self) -> None:
        """Open the file again in this window (it claims the journal slot; another window
        quicker to take it is said as at any open), the view, the selection and the map tool
        kept."""
        w, store = self._w, self._store
        if w.store is not store:
            return
        extent, chosen, tool = w.canvas.extent(), w.selection.all(), w.canvas.tool
        current = w.selection.current_layer
        opened: list[object] = []  # the store this open made (none: it failed)

        def loaded(_data: object) -> None:  # once: the next map loaded, whichever file's
            w.mapLoaded.disconnect(loaded)
            if not opened or w.store is not opened[0]:  # its load failed, another file opened
                return
            w.selection.replace_all(chosen)
            if current is not None:
                w.selection.set_current_layer(current)
            w.canvas.set_tool(tool)

        w.mapLoaded.connect(loaded)
        w.status_bar.clearMessage()  # the offer, taken
        if w.open_file(store.path, extent=extent):
            opened.append(w.store)
        else:
            w.mapLoaded.disconnect(loaded)

def _being_written(path: Path) -> bool:
    """Whether a connection is in the middle of a write to ``path``: SQLite's rollback
    journal beside it has a header (its first 28 bytes; the magic itself is only written once
    the journal is synced). At the commit the journal is deleted, emptied, or its header
    zeroed (``journal_mode=PERSIST``: the file stays). A file in WAL mode has none: its
    writers do not block a reader."""
    try:
        with path.with_name(path.name + "-journal").open("rb") as fh:
            return any(fh.read(_HEADER))
    except OSError:
        return False

def follow_file(w: Window, store: Store, viewing: bool = False) -> FileWatcher:
    """Follow ``store``'s file for the window ``w``; ``viewing``: w views it while another
    window holds it. Stop it when the store is closed."""
    return FileWatcher(w, store, viewing)
