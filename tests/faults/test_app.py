"""The app under faults, through its real door (``citymgr-desktop FILE --screenshot OUT``):
a damaged file gives one error line, a picture of what the window shows and the error's exit
code; a question the app asks (restore unsaved edits) never holds a screenshot run, and a
file open in another window is no error for it (a screenshot only views)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.faults.corpus import bit_flipped, foreign
from tests.faults.support import digest, environment

pytestmark = pytest.mark.e2e
pytest.importorskip("PySide6.QtWidgets")

PNG = b"\x89PNG\r\n\x1a\n"
KILLED_EDITOR = """
import os, signal, sys
from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.store import Store
store = Store.open(sys.argv[1])
EditSession(store, user="killed").set_value("litter_bin", sys.argv[2], "remarks", "unsaved")
os.kill(os.getpid(), signal.SIGKILL)
"""


# the real app (ui/app.main) with a key press of a user: Ctrl+Q as soon as the map loads
CTRL_Q_WHILE_LOADING = """
import os
import sys
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from citymgr_desktop.ui import app

def press():
    windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    if not windows or windows[0]._load_task is None:
        QTimer.singleShot(20, press)
        return
    QTimer.singleShot(50, lambda: quit_now(windows[0]))  # the loader under way


def quit_now(window):
    print("Ctrl+Q while the map loads:", window._load_task is not None, flush=True)
    # the load's progress is in the status bar: no modal dialog holds the keys
    print("a modal dialog:", QApplication.activeModalWidget(), flush=True)
    QTest.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    QTimer.singleShot(60_000, lambda: (print("the window did not close", flush=True),
                                       os._exit(7)))  # a test failure, not a hang

QTimer.singleShot(0, press)  # runs once the app's event loop runs
sys.exit(app.main(sys.argv[1:]))
"""


def screenshot(path, out, tmp_path) -> subprocess.CompletedProcess:
    env = environment()
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # the app's settings stay here
    return subprocess.run([sys.executable, "-m", "citymgr_desktop.ui.app", str(path),
                           "--screenshot", str(out), "--size", "900x600"],
                          capture_output=True, text=True, env=env, timeout=150)


def errors(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if "error" in line.lower()]


@pytest.mark.parametrize("damage", [bit_flipped, foreign])
def test_a_damaged_file_gives_one_line_a_picture_and_an_exit_code(damage, project, tmp_path):
    shutil.copyfile(project.master, tmp_path / "d.gpkg")
    damage(tmp_path / "d.gpkg")
    before = (tmp_path / "d.gpkg").read_bytes()
    out = tmp_path / "shot.png"
    proc = screenshot(tmp_path / "d.gpkg", out, tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    if damage is bit_flipped:
        assert proc.returncode == 3, proc.stderr
        assert len(errors(proc)) == 1, proc.stderr
        assert errors(proc)[0].startswith("citymgr-desktop: error: ")
        assert "damaged" in errors(proc)[0]
    else:  # someone else's GeoPackage opens and shows its layer
        assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(PNG)
    assert (tmp_path / "d.gpkg").read_bytes() == before


def test_a_question_at_open_does_not_hold_a_screenshot(project, tmp_path):
    """Unsaved edits of a killed session: the app asks whether to restore them. Nobody
    answers a screenshot run: the question is dismissed (nothing restored) and it finishes."""
    killed = subprocess.run([sys.executable, "-c", KILLED_EDITOR, str(project.master),
                             project.asset], env=environment(), capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    before = project.master.read_bytes()
    out = tmp_path / "shot.png"
    proc = screenshot(project.master, out, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(PNG)
    assert project.master.read_bytes() == before
    kept = [p.name for p in project.folder.iterdir() if ".citymgr-journal" in p.name]
    assert kept, "the unsaved edits must be kept (restorable, or set aside as .discarded)"


def test_a_file_open_in_another_window_is_no_error_for_a_screenshot(project, tmp_path):
    """Another window holds the file's journal slot (taken when it opened the file): the
    screenshot views it read-only, says so on one line and exits 0 (exit 3 is a bad or locked
    file: this one is neither)."""
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.core.store import Store

    out = tmp_path / "shot.png"
    with Store.open(project.master) as store:
        other_window = EditSession(store, user="first")
        try:
            proc = screenshot(project.master, out, tmp_path)
        finally:
            other_window.close()
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(PNG)
    assert errors(proc) == [], proc.stderr
    assert f"citymgr-desktop: {project.master.name} is open in another citymgr window" \
        in proc.stderr


def test_the_app_opening_a_file_writes_nothing(project, tmp_path):
    """The app opens a renamed copy (its embedded QGIS project names the old file), draws it
    and closes: every byte of the file is as it was, and nothing is left beside it."""
    renamed = tmp_path / "renamed-copy.gpkg"
    shutil.copyfile(project.master, renamed)
    before = digest(renamed)
    out = tmp_path / "shot.png"
    proc = screenshot(renamed, out, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(PNG)
    assert digest(renamed) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == \
        ["renamed-copy.gpkg", "shot.png"]


@pytest.fixture(scope="module")
def large_district(tmp_path_factory):
    """100k assets: the map takes seconds to load, so anything can happen meanwhile."""
    from citymgr_desktop.core import sample

    path = tmp_path_factory.mktemp("large") / "large.gpkg"
    sample.generate(path, features=100_000, seed=3)
    return path


def test_an_error_while_the_map_loads_gives_the_exit_code_not_an_abort(large_district,
                                                                      tmp_path):
    """The file opens but editing is refused (its recovery journal is damaged): the error
    comes while the large map still loads. The screenshot run stops the loader and exits with
    the error's code (3), one error line; not Qt's abort ("QThread: Destroyed while thread is
    still running", exit -6)."""
    from citymgr_desktop.core.editing.journal import journal_path

    path = tmp_path / "large.gpkg"
    shutil.copyfile(large_district, path)
    journal_path(path).write_text("garbage\ngarbage\ngarbage\n", encoding="utf-8")
    before = digest(path)
    out = tmp_path / "shot.png"
    proc = screenshot(path, out, tmp_path)
    assert "QThread" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, proc.stderr
    assert errors(proc) == [f"citymgr-desktop: error: {journal_path(path)}: the recovery "
                            "journal is damaged at line 1"], proc.stderr
    assert out.read_bytes().startswith(PNG)
    assert digest(path) == before


def test_ctrl_q_while_the_map_loads_quits_cleanly(large_district, tmp_path):
    """Ctrl+Q right after opening a large file: the app cancels the map's loader, waits for
    it and exits 0 (not Qt's abort on a thread still running)."""
    path = tmp_path / "large.gpkg"
    shutil.copyfile(large_district, path)
    env = environment()
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    proc = subprocess.run([sys.executable, "-c", CTRL_Q_WHILE_LOADING, str(path)],
                          capture_output=True, text=True, env=env, timeout=150)
    assert "Ctrl+Q while the map loads: True" in proc.stdout, proc.stderr
    assert "a modal dialog: None" in proc.stdout, proc.stdout
    assert "QThread" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
