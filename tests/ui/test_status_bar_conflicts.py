"""The status bar's "未解决冲突 N" button (ui/sync/feature.py) sits first among the permanent
widgets, right of the messages; the app starts without Qt's "QStatusBar::insertPermanentWidget:
Index out of range (0)" (it was inserted at an index Qt counts among all the bar's widgets,
warned, and appended at the far right). The real window, and the app as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QPushButton

from tests.core.sync_support import checkout, edit, sync, uuids

ROOT = Path(__file__).resolve().parents[2]
# the offscreen platform's own line (no window manager to tell); xcb and Windows have one
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


def _open_conflict(master: Path, tmp_path: Path) -> None:
    package = tmp_path / "p.gpkg"
    checkout(master, package)
    asset = uuids(package, "litter_bin", limit=1)[0]
    with edit(package) as c:
        c.execute("UPDATE litter_bin SET remarks = 'F' WHERE asset_uuid = ?", (asset,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = 'M' WHERE asset_uuid = ?", (asset,))
    assert sync(master, package).open_conflicts == 1


def test_the_conflicts_button_is_the_first_permanent_widget(qtbot, chinese, window_in,
                                                           small_district, tmp_path, shots):
    _open_conflict(small_district, tmp_path)
    w = window_in(None, small_district)
    bar = w.status_bar
    button = bar.findChild(QPushButton, "openConflicts")
    qtbot.waitUntil(button.isVisible)
    assert button.text() == "未解决冲突 1"
    shown = [x for x in (bar.notice, bar.busy, bar.selection, bar.coords, bar.lonlat, bar.scale,
                         bar.crs) if x.isVisible()]
    assert button.geometry().right() < min(x.geometry().left() for x in shown)
    assert button.geometry().left() >= bar.message.geometry().right()
    shots("status-bar", bar)


def test_the_app_starts_without_qt_warnings(small_district, tmp_path):
    _open_conflict(small_district, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "HOME": str(tmp_path)}
    for lang in ("zh_CN", "en"):
        run = subprocess.run([sys.executable, "-m", "citymgr_desktop.ui.app", str(small_district),
                              "--screenshot", str(tmp_path / f"{lang}.png"), "--size",
                              "1280x800", "--lang", lang], env=env, capture_output=True,
                             text=True, timeout=180, check=False)
        assert run.returncode == 0, run.stderr
        qt = [line for line in run.stderr.splitlines()
              if line.startswith(("WARNING qt:", "CRITICAL qt:", "ERROR qt:"))
              and OFFSCREEN_NOISE not in line]
        assert qt == [], run.stderr
