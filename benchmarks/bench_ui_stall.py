"""UI responsiveness: the longest stall of the UI thread (the longest gap between two ticks of
a 5 ms timer on it) in the real main window on a 200,000-asset file, while it

- selects every row of a filtered attribute table (~15,000 bins, Ctrl+A in the table),
- makes one bulk edit of those 15,000 bins (as Edit > Set field on selected does), and
- saves the 15,000 edits (Ctrl+S).

Not a test: it prints a table (docs/benchmarks.md). Run offscreen:
``QT_QPA_PLATFORM=offscreen python benchmarks/bench_ui_stall.py [--features 200000]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _data import sample_file
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

FILTER = "condition >= 4"


class StallMeter:
    """The longest gap between ticks of a 5 ms timer on the UI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.worst = 0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, round((now - self.last) * 1000))
        self.last = now

    def __enter__(self) -> StallMeter:
        self.worst = 0
        self.last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tick()
        self.timer.stop()


def wait(until: Callable[[], bool], timeout_s: float = 120.0) -> float:
    start = time.perf_counter()
    while not until():
        QCoreApplication.processEvents()
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError("the window did not finish in time")
        time.sleep(0.002)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--features", type=int, default=200_000)
    args = parser.parse_args()
    master = sample_file(args.features)
    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="citymgr-stall-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    QCoreApplication.setOrganizationName("citymgr-bench")
    QSettings().setValue("user/name", "bench")
    work = tmp / "district.gpkg"
    shutil.copyfile(master, work)
    from citymgr_desktop.core.editing import commands as ec
    from citymgr_desktop.ui.shell.main_window import MainWindow

    w = MainWindow()
    w.resize(1400, 900)
    w.show()
    loaded: list[object] = []
    w.mapLoaded.connect(loaded.append)
    t_open = time.perf_counter()
    w.open_file(work)
    wait(lambda: bool(loaded) and w.canvas.is_settled())
    t_open = time.perf_counter() - t_open
    editing = w.installed_features["editing"]
    editing.show_table("litter_bin")
    table = editing.table
    table.filter.setText(FILTER)
    table.apply_filter()
    wait(lambda: table.model is not None and table.model._query is None)
    rows = table.model.rowCount()
    rows_out: list[tuple[str, float, int]] = []
    table.view.setFocus()
    with StallMeter() as meter:
        t0 = time.perf_counter()
        QTest.keyClick(table.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: w.selection.count("litter_bin") == rows and w.canvas.is_settled())
    rows_out.append((f"select all {rows:,} filtered rows (Ctrl+A)",
                     time.perf_counter() - t0, meter.worst))
    print(*rows_out[-1], flush=True)
    chosen = w.selection.selected("litter_bin")
    drawn = w.canvas.data
    with StallMeter() as meter:
        t0 = time.perf_counter()
        editing._build_and_push("bulk edit", len(chosen), lambda: ec.bulk_set(
            w.edit_session, "litter_bin", chosen, {"remarks": "bench stall"}))
        wait(lambda: w.edit_session.dirty and w.canvas.data is not drawn
             and w.canvas.is_settled())
    rows_out.append((f"bulk edit of {len(chosen):,} bins", time.perf_counter() - t0,
                     meter.worst))
    print(*rows_out[-1], flush=True)
    w.activateWindow()
    wait(w.isActiveWindow, 10)
    drawn = w.canvas.data
    with StallMeter() as meter:
        t0 = time.perf_counter()
        QTest.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        # saved, the layer read again from the file and drawn
        wait(lambda: not w.edit_session.dirty and w.canvas.data is not drawn
             and w.canvas.is_settled())
    rows_out.append((f"save {len(chosen):,} edits (Ctrl+S)", time.perf_counter() - t0,
                     meter.worst))
    w.close()
    print(f"{args.features:,}-feature file, opened and drawn in {t_open:.1f} s")
    print(f"{'step':<42} {'total s':>8} {'longest UI stall ms':>20}")
    for name, total, worst in rows_out:
        print(f"{name:<42} {total:8.2f} {worst:20d}")
    shutil.rmtree(tmp, ignore_errors=True)
    del app


if __name__ == "__main__":
    main()
