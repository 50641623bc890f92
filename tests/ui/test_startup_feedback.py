"""What a person sees while the app starts: the splash with the app's name and "Opening …"
in the interface language, on screen before the main window is even built, gone once the
main window is shown; also after Settings > Language restarts the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QProcess
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.ui import i18n
from tests.ui.driver import LEFT, answer, menu_item

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_app(tmp_path, shots):
    """``citymgr-desktop ARGS`` as its own process (the probe closes it once its map is
    loaded), with its settings, log and screenshots under ``tmp_path``; what it showed."""
    def run(args: list[str], settings: Path | None = None) -> dict:
        out = tmp_path / f"probe-{len(list(tmp_path.glob('probe-*')))}.json"
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
               "XDG_CONFIG_HOME": str(settings or tmp_path / "config"),
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               "QT_QPA_PLATFORM": "offscreen"}
        res = subprocess.run([sys.executable, "-m", "tests.ui.startup_probe", str(out),
                              str(shots.folder), "--", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=240)
        assert res.returncode == 0, res.stderr[-2000:]
        return json.loads(out.read_text(encoding="utf-8"))
    return run


@pytest.mark.parametrize(("lang", "title", "opening"), [
    ("zh_CN", "城市管理资产台账", "正在打开 district"),
    ("en", "City asset inventory", "Opening district"),
])
def test_the_splash_shows_before_the_window_is_built(run_app, district, lang, title, opening):
    seen = run_app([str(district), "--lang", lang])
    assert seen["splash"], f"no splash was shown: {seen}"
    assert seen["main_window_at_splash"] is False, "the splash came after the main window"
    assert seen["first_paint"]["StartupSplash"] < seen["first_paint"]["MainWindow"]
    assert seen["splash"][0] == title
    assert seen["splash"][1].startswith(opening), seen["splash"]
    assert seen["splash_after_map"] is False, "the splash stayed on screen"


def test_opening_a_file_reads_only_what_the_window_shows(run_app, district):
    """The sample opened with the dashboard closed (as at the first start): its map drawn,
    the work-order list filled, and neither the dashboard's charts (matplotlib) nor the
    field calculator's and import's libraries (pandas, pyogrio) read (issue 18: a second
    and more of a busy PC's start-up); each is read when its feature is first used."""
    seen = run_app([str(district), "--lang", "en"])
    assert seen["map_still"] and seen["answering"], seen
    assert seen["libraries"] == [], seen["libraries"]


def test_the_language_restart_shows_the_splash_in_the_new_language(
        qtbot, run_app, main_window, district, isolated_settings, monkeypatch):
    """Settings > Language > 简体中文, Restart now: the restarted app's first pixels are the
    splash, in Chinese. (The restart is a new process: its command is run here.)"""
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(QProcess, "startDetached",
                        lambda program, args: started.append((program, list(args))) or True)
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        assert main_window.open_file(district)
    with answer(qtbot, QMessageBox.StandardButton.Yes, kind=QMessageBox):
        menu_item(qtbot, main_window, "settings", "Language")
        language_menu = next(a.menu() for a in main_window.menu("settings").actions()
                             if a.menu() is not None and "Language" in a.text())
        qtbot.waitUntil(language_menu.isVisible, timeout=5000)
        action = next(a for a in language_menu.actions() if a.text() == "简体中文")
        qtbot.mouseClick(language_menu, LEFT,
                         pos=language_menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    program, args = started[0]
    assert program == sys.executable and args[:2] == ["-m", "citymgr_desktop.ui.app"]
    # the new process reads the language chosen here: the same settings, under the app's name
    from PySide6.QtCore import QSettings

    chosen = QSettings().value(i18n.SETTINGS_KEY)
    config = isolated_settings.parent / "restart-config"
    QSettings(str(config / "citymgr" / "citymgr-desktop.conf"),
              QSettings.Format.IniFormat).setValue(i18n.SETTINGS_KEY, chosen)
    seen = run_app(args[2:], settings=config)
    assert seen["splash"][:2] == ["城市管理资产台账", "正在打开 district.gpkg…"]
    assert seen["main_window_at_splash"] is False

