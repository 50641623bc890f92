"""The canvas and its render thread never race to create a PySide6 type.

PySide6 creates a Qt class's Python type the first time it is needed, also half-way
through a call; when the render thread did that while the UI thread painted, the
process crashed (SIGSEGV) in about half of the fresh starts. Only a fresh process has
types left to create, so the canvas runs in its own interpreter here: shown, given a
map, dragged and wheeled with real events while frames are drawn. Every QtCore/QtGui
type must exist once the canvas is made (so no thread creates one while the render thread
runs), and every enum PySide6 creates is recorded with its thread: none off the UI thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import enum, json, sys, threading, time

created_off_ui = []
ui_thread = threading.get_ident()
_create = enum.EnumType._create_

def _recording_create(cls, class_name, *args, **kwargs):
    if threading.get_ident() != ui_thread:
        created_off_ui.append(class_name)
    return _create(cls, class_name, *args, **kwargs)

enum.EnumType._create_ = _recording_create

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from citymgr_desktop.core.store import Store
from citymgr_desktop.render import load_map
from citymgr_desktop.ui.map.canvas import MapCanvas

app = QApplication([])
with Store.open(sys.argv[1], read_only=True) as store:
    data = load_map(store)
canvas = MapCanvas()  # its render thread runs from here on
from PySide6 import QtCore, QtGui
still_to_create = [n for m in (QtCore, QtGui) for n in dir(m) if n not in vars(m)]
frames = []
canvas.renderFinished.connect(frames.append)
canvas.resize(800, 600)
canvas.show()
canvas.set_data(data)

def settle(limit=30.0):
    end = time.monotonic() + limit
    while not canvas.is_settled() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)

def wheel(x, y, steps):
    pos = QPointF(x, y)
    event = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, event)

for round_ in range(6):  # events while the frames of the previous ones are drawn
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    for step in range(1, 6):
        QTest.mouseMove(canvas, QPoint(400 + 15 * step, 300 - 9 * step))
        app.processEvents()
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(475, 255))
    wheel(300 + 20 * round_, 250, 1 if round_ % 2 else -1)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.005)
settle()
canvas.close_worker()
print(json.dumps({"still_to_create": still_to_create, "created_off_ui": created_off_ui, "frames": len(frames),
                  "settled": canvas.is_settled()}))
"""


def test_render_thread_creates_no_pyside_type(district: Path, tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    res = subprocess.run([sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(district)],
                         capture_output=True, text=True, env=env, timeout=240, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    # all of them exist before the render thread starts: no thread creates one later
    assert report["still_to_create"] == []
    assert report["created_off_ui"] == []
    assert report["frames"] >= 3 and report["settled"]
