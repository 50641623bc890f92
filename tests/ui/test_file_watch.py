"""The window's follow of its GeoPackage (``ui/shell/file_watch.py``) never freezes the
window: while a worker reads through the store's own connection (the sync dialog's Compare,
the import wizard's dry run), asking the file's ``data_version`` on the UI thread would wait
for the worker's statement to end; the tick is skipped instead."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from PySide6.QtCore import Qt

from citymgr_desktop.ui.worker import run_task
from tests.ui.driver import press

LONG_READ = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
             "WHERE x < 12000000) SELECT count(*) FROM c")


def test_asking_the_file_does_not_wait_for_a_worker_reading_through_the_store(
        qtbot, window_in, district):
    w = window_in(None, district)
    store, started = w.store, threading.Event()

    def compare(store, progress):  # a long read through the store, as read_snapshot does
        started.set()
        return store.conn.execute(LONG_READ).fetchone()[0]

    task = run_task(w, "Comparing", compare, store, uses=store, show_dialog=False)
    assert started.wait(10)
    time.sleep(0.3)  # the statement under way
    began = time.perf_counter()
    press(qtbot, w, Qt.Key.Key_F5)  # Draw the map again: the file asked at once
    w._watcher.poll()  # and the second's tick
    took = time.perf_counter() - began
    assert task.thread.isRunning(), "the read ended first: make LONG_READ longer"
    assert took < 0.5, f"the window waited {took:.1f} s for the worker's read"
    qtbot.waitUntil(lambda: not task.is_running(), timeout=60_000)


def test_a_task_reaching_the_store_through_a_closure_names_it_and_is_not_waited_for(
        qtbot, window_in, district):
    """A task that reads through the store without having it among its arguments (a save,
    the field calculator, a print reach it through the edit session or the print source)
    holds its ``in_use`` too: ``run_task``'s ``uses``."""
    w = window_in(None, district)
    store, started = w.store, threading.Event()

    def compare(progress):  # the store reached through the closure only
        started.set()
        return store.conn.execute(LONG_READ).fetchone()[0]

    task = run_task(w, "Comparing", compare, uses=store, show_dialog=False)
    assert started.wait(10)
    time.sleep(0.3)
    began = time.perf_counter()
    press(qtbot, w, Qt.Key.Key_F5)
    took = time.perf_counter() - began
    assert task.thread.isRunning(), "the read ended first: make LONG_READ longer"
    assert took < 0.5, f"the window waited {took:.1f} s for the worker's read"
    qtbot.waitUntil(lambda: not task.is_running(), timeout=60_000)


def test_a_store_given_to_a_task_that_does_not_name_it_is_refused(qtbot, window_in, district):
    """The one rule, said once: a task names the store it uses (``uses``), never guessed from
    its arguments; a store among them that it does not name is a mistake caught at once."""
    w = window_in(None, district)
    with pytest.raises(TypeError, match="uses=store"):
        run_task(w, "Comparing", lambda store, progress: None, w.store, uses=None,
                 show_dialog=False)
    with pytest.raises(TypeError):
        run_task(w, "Comparing", lambda progress: None, show_dialog=False)  # uses not said


def test_a_journal_left_beside_the_file_does_not_stop_the_following(qtbot, window_in, district):
    """A program writing with ``journal_mode=PERSIST`` leaves its rollback journal beside the
    file, the header zeroed at its commit: no write is in progress, its commits are shown."""
    w = window_in(None, district)
    outside = sqlite3.connect(district)
    outside.execute("PRAGMA journal_mode=PERSIST")
    outside.execute("CREATE TABLE outside_note (x)")
    outside.commit()
    outside.close()
    assert district.with_name(district.name + "-journal").stat().st_size > 0
    press(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: w.status_bar.currentMessage() ==
                    f"{district.name} was changed by another program: reloaded", timeout=5000)


def test_a_first_question_unanswered_is_no_change_said(qtbot, window_in, district, monkeypatch):
    """The file not answered when the window started following it (mid-change): its first
    answer is where the following starts, not "changed by another program"."""
    from citymgr_desktop.ui.shell.file_watch import follow_file

    w = window_in(None, district)
    store, asked = w.store, []
    real = store.write_state

    def unanswered():
        asked.append(1)
        if len(asked) == 1:
            raise sqlite3.OperationalError("database is locked")
        return real()

    monkeypatch.setattr(store, "write_state", unanswered)
    watcher = follow_file(w, store)
    w.status_bar.clearMessage()
    watcher.poll()
    watcher.stop()
    assert len(asked) == 2
    assert "changed" not in w.status_bar.currentMessage()


def test_closing_the_window_while_it_reads_the_file_again_leaves_no_thread_running(
        qtbot, window_in, district):
    """Another program's commit read again just as the window closes: the read is cancelled
    and waited for (a task's thread running when the window is destroyed aborts the whole
    process: "QThread: Destroyed while thread is still running")."""
    from citymgr_desktop.ui.worker import Task

    w = window_in(None, district)
    outside = sqlite3.connect(district)
    outside.execute("CREATE TABLE outside_note (x)")
    outside.commit()
    outside.close()
    press(qtbot, w, Qt.Key.Key_F5)  # the file asked: every table read again
    assert any(t.thread.isRunning() for t in w.findChildren(Task))
    w.close()
    assert not any(t.thread.isRunning() for t in w.findChildren(Task))
