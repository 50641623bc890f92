"""The app's first zoomed-in view: the real main window (offscreen) opens a district at a 1 %
view (10 % x 10 % of the extent, at its centre) and we time, from ``open_file``, the first
frame of that view on screen, the whole map loaded (``mapLoaded``) and the still frame.

Ours opens the file with the view (``open_file(path, extent=)``: the box is read and drawn
first, the rest after); a checkout without that (``--before``) opens the file and zooms to
the box once the map is loaded, which is what it could do. Each run is a fresh process
(A B A B ...), medians are printed with the load average. Run:
``python benchmarks/bench_first_view.py [--size 1000000] [--runs 3] [--before /tmp/before]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _data import sample_file

ROOT = Path(__file__).resolve().parent.parent


def measure(path: str) -> dict:
    """In the child: open ``path`` in a MainWindow at the central 1 % view."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import tempfile

    from PySide6.QtCore import QCoreApplication, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench"])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    QCoreApplication.setOrganizationName("citymgr-bench")
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.shell.main_window import MainWindow

    with Store.open(path, read_only=True) as store:
        boxes = [i.extent for i in store.layers() if i.geometry_type and i.extent]
    minx, miny = min(b[0] for b in boxes), min(b[1] for b in boxes)
    maxx, maxy = max(b[2] for b in boxes), max(b[3] for b in boxes)
    cx, cy, hw, hh = (minx + maxx) / 2, (miny + maxy) / 2, (maxx - minx) / 20, (maxy - miny) / 20
    box = (cx - hw, cy - hh, cx + hw, cy + hh)
    w = MainWindow(install_features=False)
    w.resize(1440, 900)
    w.show()
    app.processEvents()
    out: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()

    def frame(seconds: float) -> None:
        if "first_frame" not in out:
            out["first_frame"], out["frame_draw"] = time.perf_counter() - t0, seconds
            out["first_frame_cpu"] = time.process_time() - c0
            out["loaded_at_first_frame"] = w.map_data is not None

    def loaded(_data) -> None:
        out["loaded"] = time.perf_counter() - t0
        out["loaded_cpu"] = time.process_time() - c0

    def settled() -> None:
        if "loaded" in out and w.canvas.is_settled():
            out["still"] = time.perf_counter() - t0
            app.quit()
        else:
            QTimer.singleShot(5, settled)

    w.canvas.renderFinished.connect(frame)
    w.mapLoaded.connect(loaded)
    try:
        w.open_file(path, extent=box)
    except TypeError:  # a checkout without a first view: zoom once the map is loaded
        w.mapLoaded.connect(lambda _d: w.canvas.zoom_to_bbox(*box))
        w.open_file(path)
    QTimer.singleShot(5, settled)
    QTimer.singleShot(600_000, app.quit)
    app.exec()
    out["drawn"] = sum(w.map_data.layer(n).count for n in w.map_data.names()) \
        if w.map_data else 0
    w.close()
    return out


def child(checkout: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(path)],
                          capture_output=True, text=True, env=env, cwd="/tmp", timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed ({checkout}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--before", help="another checkout to compare with (e.g. main's)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    path = sample_file(args.size)
    sides = [("ours", ROOT)] + ([("before", Path(args.before))] if args.before else [])
    load0 = os.getloadavg()[0]
    runs: dict[str, list[dict]] = {name: [] for name, _ in sides}
    for _ in range(args.runs):
        for name, checkout in sides:
            runs[name].append(child(checkout, path))
    load1 = os.getloadavg()[0]
    print(f"First 1 % view in the main window, {args.size:,} features, medians of {args.runs}; "
          f"load average {load0:.2f} before, {load1:.2f} after")
    print()
    print("| side | first frame of the view (CPU) | its drawing | whole map loaded (CPU) "
          "| still frame |")
    print("| --- | ---: | ---: | ---: | ---: |")
    med = {}
    for name, _ in sides:
        rs = runs[name]
        med[name] = {k: statistics.median(r[k] for r in rs)
                     for k in ("first_frame", "first_frame_cpu", "frame_draw", "loaded",
                               "loaded_cpu", "still")}
        m = med[name]
        print(f"| {name} | {m['first_frame'] * 1000:.0f} ms ({m['first_frame_cpu']:.2f} s) "
              f"| {m['frame_draw'] * 1000:.1f} ms | {m['loaded']:.2f} s ({m['loaded_cpu']:.2f} s) "
              f"| {m['still']:.2f} s |")
    if "before" in med:
        print()
        o, b = med["ours"], med["before"]
        print(f"ours/before: first frame {o['first_frame'] / b['first_frame']:.2f} (CPU "
              f"{o['first_frame_cpu'] / b['first_frame_cpu']:.2f}), whole map loaded "
              f"{o['loaded'] / b['loaded']:.2f} (CPU {o['loaded_cpu'] / b['loaded_cpu']:.2f})")


if __name__ == "__main__":
    main()
