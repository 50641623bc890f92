"""The window follows its GeoPackage once per burst of another program's commits, on every
kind of file (``ui/shell/file_watch.py``). A program that commits several times in a row (a
script, QGIS saving layer by layer, ``citymgr`` run in a loop) reloads the map and the
tables once, after its last commit, and the change is shown about a second after it; a file
another program switched to WAL mode (as QGIS and QField may) is followed the same way. The
real window, the real other process on the same file; reloads counted as a user sees them
(each one is the window's ``dataChanged``: every panel reads again, the status bar says it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from tests.core.sync_support import uuids
from tests.faults.support import environment
from tests.ui.driver import press, settle
from tests.ui.scenarios.test_outside_writes import citymgr
from tests.ui.scenarios.test_two_windows_file import condition_drawn

pytestmark = pytest.mark.slow
WAIT = 30_000
SHOWN = 3000  # the change said within this long of the writer's end (the watch: ~1 s)

BURST = textwrap.dedent("""
    import sys, time
    from citymgr_desktop.core import gpkg
    path, gap, condition, *bins = sys.argv[1:]
    conn = gpkg.connect(path)  # the GeoPackage's functions, as QGIS has them
    for uuid in bins:  # one commit each, as QGIS commits one layer's edits after another
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE litter_bin SET condition = ? WHERE asset_uuid = ?",
                     (int(condition), uuid))
        conn.execute("COMMIT")
        time.sleep(float(gap))
    conn.close()
""")


def commit_each(path: Path, condition: int, bins: list[str], gap: float) -> subprocess.Popen:
    """Another process setting each bin's condition in a commit of its own, ``gap`` seconds
    apart (started; the caller waits for it)."""
    return subprocess.Popen([sys.executable, "-c", BURST, str(path), str(gap), str(condition),
                             *bins], env=environment())


class Reloads:
    """The window's reloads for others' commits, as the user sees them: each one refreshes
    every panel (``dataChanged``) and says so in the status bar."""

    def __init__(self, w) -> None:
        self.w, self.count, self.said = w, 0, []
        w.dataChanged.connect(self._reloaded)

    def _reloaded(self, _tables) -> None:
        self.count += 1
        QTimer.singleShot(0, lambda: self.said.append(self.w.status_bar.currentMessage()))


def wait_for(qtbot, proc: subprocess.Popen) -> float:
    """Wait (the window's events running) for ``proc`` to end; when it ended."""
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=WAIT)
    assert proc.returncode == 0
    return time.monotonic()


def test_a_burst_of_commits_reloads_the_window_once(qtbot, window_in, district, shots):
    w = window_in(None, district)
    bins = uuids(district, "litter_bin", "condition = 1", limit=6)
    reloads = Reloads(w)
    ended = wait_for(qtbot, commit_each(district, 5, bins, gap=0.4))  # over ~2.4 s
    qtbot.waitUntil(lambda: reloads.count >= 1, timeout=SHOWN)
    shown = time.monotonic() - ended
    qtbot.waitUntil(lambda: all(condition_drawn(w, u) == 5 for u in bins), timeout=WAIT)
    qtbot.wait(2500)  # a second reload would come within this
    assert reloads.count == 1, f"{reloads.count} reloads for one burst"
    assert reloads.said == [f"{district.name} was changed by another program: reloaded"]
    assert shown < SHOWN / 1000
    settle(qtbot, w)
    shots("after-a-burst", w)


def test_a_long_writer_still_shows_progress(qtbot, window_in, district):
    """A program that goes on committing for long is shown as it goes (not only once it
    stops): a reload at the latest every few seconds."""
    w = window_in(None, district)
    bins = uuids(district, "litter_bin", "condition = 1", limit=24)
    reloads = Reloads(w)
    proc = commit_each(district, 5, bins, gap=0.5)  # ~12 s of commits
    qtbot.waitUntil(lambda: reloads.count >= 1, timeout=WAIT)
    assert proc.poll() is None, "the writer ended first: give it more commits"
    wait_for(qtbot, proc)
    qtbot.waitUntil(lambda: all(condition_drawn(w, u) == 5 for u in bins), timeout=WAIT)
    assert 2 <= reloads.count < len(bins) // 2


def wal(path: Path) -> None:
    """Another program switches the file to WAL mode (QGIS may, QField does)."""
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "assert c.execute('PRAGMA journal_mode=WAL').fetchone()[0] == 'wal'; c.close()")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=environment())


def test_a_file_switched_to_wal_is_followed(qtbot, window_in, district, shots):
    w = window_in(None, district)
    first, *burst = uuids(district, "litter_bin", "condition = 1", limit=5)
    reloads = Reloads(w)
    wal(district)
    citymgr("edit", district, "--layer", "litter_bin", "--where", f"asset_uuid = '{first}'",
            "--set", "condition=5", "--user", "terminal")
    ended = time.monotonic()
    qtbot.waitUntil(lambda: condition_drawn(w, first) == 5, timeout=WAIT)
    assert time.monotonic() - ended < SHOWN / 1000 + 5  # said soon; drawn once read
    assert reloads.said == [f"{district.name} was changed by another program: reloaded"]
    settle(qtbot, w)
    shots("after-edit-in-wal", w)

    # a burst in WAL mode: one reload
    reloads.count = 0
    wait_for(qtbot, commit_each(district, 4, burst, gap=0.4))
    qtbot.waitUntil(lambda: all(condition_drawn(w, u) == 4 for u in burst), timeout=WAIT)
    qtbot.wait(2500)
    assert reloads.count == 1


HOLD = textwrap.dedent("""
    import sys, time
    from citymgr_desktop.core import gpkg
    path, *bins = sys.argv[1:]
    conn = gpkg.connect(path)
    conn.execute("BEGIN IMMEDIATE")
    print("writing", flush=True)
    sys.stdin.read()  # until closed: a write transaction held open, as an editing QGIS
    for uuid in bins:  # its save: one layer's commit after another
        conn.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (uuid,))
        conn.execute("COMMIT")
        time.sleep(0.4)
        conn.execute("BEGIN IMMEDIATE")
    conn.execute("COMMIT")
    conn.close()
""")


def test_a_wal_file_opened_as_such_is_followed_and_its_writer_never_waited_for(
        qtbot, window_in, district):
    """A file already in WAL mode when the window opens it; another program holds a write
    open on it (as QGIS while its layers are edited): asking the file does not wait for it,
    and its save, several commits, is shown once."""
    wal(district)
    w = window_in(None, district)
    bins = uuids(district, "litter_bin", "condition = 1", limit=4)
    reloads = Reloads(w)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(district), *bins],
                            env=environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "writing\n"
        started = time.monotonic()
        press(qtbot, w, Qt.Key.Key_F5)  # asks the file at once
        qtbot.wait(1500)  # the ticks meanwhile
        assert time.monotonic() - started < 2.5
        assert reloads.count == 0 and condition_drawn(w, bins[0]) == 1
    finally:
        proc.stdin.close()  # the writer commits
        ended = wait_for(qtbot, proc)
    qtbot.waitUntil(lambda: reloads.count == 1, timeout=SHOWN)
    assert time.monotonic() - ended < SHOWN / 1000
    qtbot.waitUntil(lambda: all(condition_drawn(w, u) == 5 for u in bins), timeout=WAIT)
    qtbot.wait(2500)
    assert reloads.count == 1
