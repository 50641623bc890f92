"""Start the real app (``citymgr_desktop.ui.app.main``) in this process and write what a
person would have seen, and when, to a JSON file: the first paint of each kind of top-level
window (seconds since the process started), the splash's texts and whether a main window
existed when it was first painted, and whether the splash was still up once the map was
loaded; when the map's first frame was painted (``map_frame``), when its still
(antialiased) frame was on screen (``map_still``), and when the window answered input with
its work-order list filled (``answering``: the first tick of a 20 ms timer, late by less
than 50 ms, once the list has its rows), and which of the libraries that only some features
need were read by then (``libraries``); it closes the main window once all is seen. Used by
``tests/ui/test_startup_feedback.py`` and ``benchmarks/bench_startup.py`` (any tree: the
probe needs nothing of the app but ``main``)::

    python -m tests.ui.startup_probe OUT.json [SHOT_FOLDER|-] -- [app arguments]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere since the probe ran)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


_T0 = time.perf_counter()
# read when a feature that needs them is first used, not to open a file (issue 18): the
# dashboard's charts, the field calculator's and import's tables, import's GDAL reader
LATER_LIBRARIES = ("matplotlib", "pandas", "pyogrio")


def main(argv: list[str]) -> int:
    out, shots = Path(argv[0]), (None if argv[1] == "-" else Path(argv[1]))
    app_args = argv[argv.index("--") + 1:]
    start_age = process_age()
    t0 = time.perf_counter() - start_age  # perf_counter() at the process start

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QTableWidget, QWidget

    from citymgr_desktop.ui import app as entry

    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    result: dict = {"first_paint": {}, "splash": None, "main_window_at_splash": None,
                    "splash_after_map": None, "map_loaded": None, "before_main": start_age,
                    "map_frame": None, "map_still": None, "answering": None}
    state: dict = {"window": None, "frame_ready": False, "tick": None, "finishing": False}

    def main_window() -> QWidget | None:
        return next((w for w in QApplication.topLevelWidgets()
                     if type(w).__name__ == "MainWindow"), None)

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) \
                    and obj.isWindow():
                kind = type(obj).__name__
                if kind not in result["first_paint"]:
                    result["first_paint"][kind] = time.perf_counter() - t0
                    if kind == "StartupSplash":
                        result["main_window_at_splash"] = main_window() is not None
                        result["splash"] = [obj.title, obj.status, obj.detail]
                        if shots:
                            QTimer.singleShot(0, lambda o=obj: o.grab().save(
                                str(shots / "splash.png")))
            elif event.type() == QEvent.Type.Paint and state["frame_ready"] \
                    and result["map_frame"] is None and state["window"] is not None \
                    and obj is state["window"].canvas:
                result["map_frame"] = time.perf_counter() - t0
            return False

    spy = FirstPaint()
    qapp.installEventFilter(spy)

    def watch() -> None:
        now = time.perf_counter()
        late, state["tick"] = (now - state["tick"] - 0.020 if state["tick"] else 1.0), now
        w = main_window()
        if w is not None and w.isVisible() and state["window"] is None:
            state["window"] = w
            w.canvas.renderFinished.connect(lambda _s: state.update(frame_ready=True))
            w.mapLoaded.connect(lambda _d: loaded())
        if w is None or state["window"] is None:
            return
        if result["map_still"] is None and w.canvas.data is not None and w.canvas.is_settled():
            result["map_still"] = now - t0
        table = w.findChild(QTableWidget, "workOrderTable")
        if result["answering"] is None and table is not None and table.rowCount() > 0 \
                and late < 0.050:
            result["answering"] = now - t0
        if state["finishing"] and result["map_still"] is not None \
                and result["answering"] is not None:
            state["finishing"] = False
            QTimer.singleShot(0, finish)

    def loaded() -> None:
        result["map_loaded"] = time.perf_counter() - t0
        QTimer.singleShot(300, lambda: state.update(finishing=True))
        QTimer.singleShot(30_000, finish)  # a list that never fills: end anyway

    def finish() -> None:
        if state["window"] is None or not state["window"].isVisible():
            return
        result["libraries"] = [m for m in LATER_LIBRARIES if m in sys.modules]
        result["splash_after_map"] = any(type(w).__name__ == "StartupSplash" and w.isVisible()
                                         for w in QApplication.topLevelWidgets())
        if shots:
            state["window"].grab().save(str(shots / "window.png"))
        state["window"].close()

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(20)
    rc = entry.main(app_args)
    result["exit_code"] = rc
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
