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
