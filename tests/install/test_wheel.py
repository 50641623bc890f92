"""The package as a user installs it: a wheel built from this checkout, installed (not
editable) into a fresh virtual environment, run from a folder outside the checkout.

Slow (a venv and every dependency: about a minute with pip's wheel cache), so it runs only
when ``CITYMGR_WHEEL_TEST=1`` (``.ci/run`` does, once, with ``-m wheel``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(os.environ.get("CITYMGR_WHEEL_TEST") != "1",
                       reason="set CITYMGR_WHEEL_TEST=1 to build and install the wheel"),
]

MENU_SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import citymgr_desktop
from citymgr_desktop.ui.app import create_application, setup_language
app = create_application(["citymgr-desktop"])
lang = setup_language("zh_CN")
from citymgr_desktop.ui.shell.main_window import MainWindow
window = MainWindow()
print(citymgr_desktop.__file__)
print("|".join(a.text() for a in window.menuBar().actions()))
window.close()
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout, check=False)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin folder, a working folder outside the checkout, environment)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"  # a clean copy: no build/ or egg-info of the editable install
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "bench-data", "tests", "sample_data"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(base / "home")  # QSettings and the log folder of this run only
    env["XDG_CONFIG_HOME"] = str(base / "home" / ".config")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"),
          str(src)], base, env)
    wheel = next((base / "dist").glob("citymgr_desktop-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "citymgr_desktop/resources/i18n/zh_CN/printing.json" in names
    assert "citymgr_desktop/resources/i18n/zh_CN/main.json" in names
    assert "citymgr_desktop/resources/guide/zh_CN.md" in names
    assert "citymgr_desktop/resources/guide/en.md" in names
    _run([sys.executable, "-m", "venv", str(base / "venv")], base, env)
    bin_dir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], base, env)
    work = base / "work"
    work.mkdir()
    return bin_dir, work, env


def test_print_map_from_the_wheel_is_chinese(installed):
    bin_dir, work, env = installed
    _run([str(bin_dir / "citymgr"), "sample", "--out", "d.gpkg", "--features", "300"], work, env)
    _run([str(bin_dir / "citymgr"), "print-map", "d.gpkg", "--out", "map.pdf", "--paper", "A4",
          "--lang", "zh_CN"], work, env)
    text = _run(["pdftotext", "map.pdf", "-"], work, env)
    assert "图例" in text and "比例尺" in text, text[:500]


def test_the_app_from_the_wheel_starts_in_chinese(installed):
    bin_dir, work, env = installed
    out = _run([str(bin_dir / "python"), "-c", MENU_SCRIPT], work, env).splitlines()
    assert str(bin_dir.parent) in out[0], out  # the installed package, not the checkout
    menus = out[1].split("|")
    assert any("文件" in m for m in menus), menus
    assert all(not m.replace("&", "").isascii() for m in menus), menus


GUIDE_SCRIPT = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from citymgr_desktop.ui.app import create_application, setup_language
app = create_application(["citymgr-desktop"])
setup_language(sys.argv[1])
from citymgr_desktop.ui.shell.guide_dialog import GuideDialog
from citymgr_desktop.ui.shell.main_window import MainWindow
window = MainWindow()
window.show()
window.activateWindow()
QTest.qWaitForWindowActive(window, 5000)
help_items = [a.objectName() for a in window.menu("help").actions() if a.objectName()]
QTest.keyClick(window, Qt.Key.Key_F1)
QTest.qWait(200)
dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, GuideDialog))
print("|".join(help_items))
print(dialog.browser.source().toLocalFile())
print(dialog.browser.toPlainText().splitlines()[0])
dialog.close()
window.close()
"""


@pytest.mark.parametrize(("lang", "heading"), [("zh_CN", "citymgr-desktop 用户指南"),
                                               ("en", "citymgr-desktop User Guide")])
def test_f1_in_the_wheel_shows_the_user_guide_it_carries(installed, lang, heading):
    """Help > User Guide (F1) in an installed wheel: the user's guide of the interface's
    language, from inside the installed package."""
    bin_dir, work, env = installed
    out = _run([str(bin_dir / "python"), "-c", GUIDE_SCRIPT, lang], work, env).splitlines()
    assert out[0].split("|") == ["action_user_guide", "action_shortcuts", "action_log_folder",
                                 "action_about"], out
    assert str(bin_dir.parent) in out[1] and out[1].endswith(f"resources/guide/{lang}.md"), out
    assert out[2] == heading, out


def test_the_wheel_brings_the_postgresql_driver(installed):
    """``pip install`` of the package alone gives a working PostGIS path: psycopg imports in
    the venv, and a database command gets past the import to the network (refused by a port
    nothing listens on: the one-line error of a database that cannot be reached)."""
    bin_dir, work, env = installed
    _run([str(bin_dir / "python"), "-c", "import psycopg; print(psycopg.pq.version())"],
         work, env)
    res = subprocess.run([str(bin_dir / "citymgr"), "info",
                          "postgresql://citymgr@127.0.0.1:1/city", "--lang", "en"], cwd=work,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 11, res.stdout + res.stderr
    assert "cannot connect to the database" in res.stderr and "Traceback" not in res.stderr
    assert "psycopg" not in res.stderr, res.stderr
