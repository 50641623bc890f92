"""Run long core work off the UI thread, with a progress dialog and a Cancel button.

A core function takes ``progress: Progress``; :func:`run_task` runs it in a ``QThread``,
shows a ``QProgressDialog`` fed by the Progress callback (through a queued signal), maps
Cancel to ``Progress.cancel()`` and reports the result or the error back on the UI thread.
A task without the dialog (``show_dialog=False``) sends its progress as ``Task.progressed``
on the UI thread, for a display of the caller's own: the map's load shows it in the status
bar (``ui/map/load_progress.py``), so that the window stays free while a big file is read.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from citymgr_desktop.core.errors import CancelledError, CitymgrError, DatabaseError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.qt_threads import create_qt_types


class TaskWorker(QObject):
    """Runs ``fn(*args, progress=..., **kwargs)`` in a worker thread, holding ``lock`` (the
    ``in_use`` of the store it uses, if any) meanwhile."""

    progressed = Signal(int, int, object)  # done, total, message (a core Message or text)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict,
                 lock: Any = None) -> None:
        super().__init__()
        self.progress = Progress(lambda d, t, m: self.progressed.emit(d, t, m))
        self._fn, self._args, self._kwargs, self._lock = fn, args, kwargs, lock

    @Slot()
    def run(self) -> None:
        try:
            with self._lock or contextlib.nullcontext():
                result = self._fn(*self._args, progress=self.progress, **self._kwargs)
        except BaseException as exc:  # reported to the UI thread, never swallowed
            if not isinstance(exc, CitymgrError):
                exc.__dict__.setdefault("_citymgr_traceback", traceback.format_exc())
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.finished.emit()


_RLOCK = type(threading.RLock())


def in_use_lock(uses: Any, values: tuple[Any, ...]) -> Any:
    """The lock a task holds while it runs: the ``in_use`` of ``uses``, the store whose own
    connection it reads or writes (a GeoPackage's: the UI thread's file watch skips a tick
    meanwhile rather than wait for its statement); None for a task that uses none (or a
    database's, which has no such lock). A store among the task's ``values`` that ``uses``
    does not name is a mistake of the caller, refused at once."""
    for value in values:
        if isinstance(getattr(value, "in_use", None), _RLOCK) and value is not uses:
            raise TypeError(f"a task given the store {value!r} must name it: uses=store")
    lock = getattr(uses, "in_use", None)
    return lock if isinstance(lock, _RLOCK) else None


class Task(QObject):
    """A running task: owns the thread, the worker and the progress dialog.

    ``done``/``error`` are sent once the thread has ended, never before: a receiver may close
    (and so delete) the widget that owns the task, and Qt aborts the whole process when a
    ``QThread`` is destroyed while its thread still runs.
    """

    done = Signal(object)  # result
    error = Signal(object)  # exception (CancelledError when cancelled)
    progressed = Signal(int, int, object)  # done, total, message: on the UI thread

    def __init__(self, parent: QWidget | None, title: str, fn: Callable[..., Any],
                 args: tuple = (), kwargs: dict | None = None, show_dialog: bool = True,
                 uses: Any = None) -> None:
        super().__init__(parent)
        create_qt_types()  # a task may draw (export/): no PySide6 type created off this thread
        kwargs = kwargs or {}
        lock = in_use_lock(uses, (*args, *kwargs.values()))
        self.thread = QThread(self)
        self.worker = TaskWorker(fn, args, kwargs, lock)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # direct: the thread ends even when the UI thread's event loop no longer runs (the
        # app quitting while it works: see stop_all)
        self.worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self._outcome: tuple[bool, Any] | None = None
        self._answered = True  # until started; then until done/error has been sent
        self.worker.succeeded.connect(self._keep_result)
        self.worker.failed.connect(self._keep_error)
        self.thread.finished.connect(self._report)
        self.worker.progressed.connect(self._on_progress)  # queued: this object's thread
        self.dialog: QProgressDialog | None = None
        if show_dialog:
            dlg = QProgressDialog(title, self.tr("Cancel"), 0, 0, parent)
            dlg.setWindowTitle(title)
            dlg.setWindowModality(Qt.WindowModality.WindowModal)
            dlg.setMinimumDuration(400)
            dlg.setAutoClose(False)
            dlg.setAutoReset(False)
            dlg.canceled.connect(self.cancel)
            self.thread.finished.connect(dlg.close)
            self.dialog = dlg

    @Slot(object)
    def _keep_result(self, result: object) -> None:
        self._outcome = (True, result)

    @Slot(object)
    def _keep_error(self, exc: object) -> None:
        self._outcome = (False, exc)

    @Slot()
    def _report(self) -> None:
        self.thread.wait()  # "finished" comes just before the thread is marked ended
        _RUNNING.discard(self)
        outcome, self._outcome = self._outcome, None
        self._answered = True
        if outcome is None:
            return
        ok, value = outcome
        (self.done if ok else self.error).emit(value)

    @Slot(int, int, object)
    def _on_progress(self, done: int, total: int, message: object) -> None:
        self.progressed.emit(done, total, message)
        if self.dialog is None:
            return
        self.dialog.setMaximum(max(total, 0))
        self.dialog.setValue(min(done, total) if total else 0)
        if message:
            self.dialog.setLabelText(i18n.render(message))

    def start(self) -> Task:
        self._answered = False
        _RUNNING.add(self)
        self.thread.start()
        return self

    def cancel(self) -> None:
        self.worker.progress.cancel()

    def wait(self, ms: int = 60_000) -> bool:
        """Wait up to ``ms`` for the thread to end. Its event loop is told to quit here too
        (the worker's ``finished → quit`` does it when the run ends; a thread whose run had
        not started ends after it)."""
        self.thread.quit()  # the worker's run goes on to its end; the loop after it does not
        return self.thread.wait(ms)

    def is_running(self) -> bool:
        """True from the start until ``done``/``error`` has been sent (the thread ends just
        before that: a caller that saw it ended would not find the answer yet)."""
        return not self._answered or self.thread.isRunning()


_RUNNING: set[Task] = set()  # started, until their answer was sent


def stop_all(ms: int = 30_000) -> None:
    """Cancel every running task and wait for its thread: call before the app quits (the
    window and its tasks go then, and Qt aborts the whole process when a ``QThread`` is
    destroyed while its thread still runs)."""
    for task in list(_RUNNING):
        _RUNNING.discard(task)
        try:
            task.cancel()
            task.wait(ms)
        except RuntimeError:  # its Qt object is already gone, and its thread with it
            pass


ErrorSink = Callable[[str, BaseException], None]
_sink: ErrorSink | None = None


def report_errors_to(sink: ErrorSink | None) -> None:
    """Send errors to ``sink(title, exc)`` instead of a modal message box (a run nobody
    watches, such as ``citymgr-desktop --screenshot``, must never wait for a click)."""
    global _sink
    _sink = sink


def show_error(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """Show an error as a person reads it: the one-line message, the detail on request."""
    if isinstance(exc, CancelledError):
        return
    if _sink is not None:
        _sink(title, exc)
        return
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(error_text(exc))
    detail = getattr(exc, "_citymgr_traceback", None)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def database_guarded(parent: QWidget | None, title: str,
                     slot: Callable[..., Any]) -> Callable[..., Any]:
    """``slot`` for a menu action or a key: a database connection lost while it reads is
    the one-line message (the next read connects again), not an uncaught traceback."""
    def run(*args: Any) -> Any:
        try:
            return slot(*args)
        except DatabaseError as exc:
            show_error(parent, title, exc)
            return None
    return run


def error_text(exc: BaseException) -> str:
    """One line for a person: our error in the interface language; anything else is a bug,
    said as "Unexpected error: …" (the traceback goes to the detail)."""
    if isinstance(exc, CitymgrError):
        return i18n.render(exc)
    return i18n.tr("Unexpected error: %1").replace("%1", str(exc) or type(exc).__name__)


def run_task(parent: QWidget | None, title: str, fn: Callable[..., Any], *args: Any,
             uses: Any, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None,
             show_dialog: bool = True, **kwargs: Any) -> Task:
    """Start ``fn`` in a worker thread; ``on_done(result)`` / ``on_error(exc)`` run on the UI
    thread. Errors default to a message box (nothing for a cancel). ``uses`` (always said):
    the store whose own connection ``fn`` reads or writes, given as an argument or reached
    through a closure (an edit session's, a print source's), else None (a task reading
    through ``store.reader`` uses a connection of its own); its ``in_use`` is held while the
    task runs (``in_use_lock``)."""
    task = Task(parent, title, fn, args, kwargs, show_dialog, uses)
    if on_done is not None:
        task.done.connect(on_done)
    task.error.connect(on_error or (lambda exc: show_error(parent, title, exc)))
    return task.start()
