"""Where a whole ``citymgr render`` process spends its time, phase by phase, and whether
PySide6 lets Python threads run while QPainter draws.

Each run is a fresh process of the unchanged command (``--child``: this file wraps the
command's phase functions and prints a mark after each): the process's CPU (all threads),
the wall time, and the main thread's own time on a CPU, waiting for a CPU (the machine's
load) and blocked (waiting for another thread, the GIL or a lock) from
``/proc/self/task/PID/schedstat``. Medians of ``--runs`` runs. On a busy machine read the
CPU and the main thread's "on CPU + blocked" (what the wall would be on two free cores).

``--gil`` also times one long ``QPainter.drawPath`` and one ``strokePath`` call in a thread
while the main thread counts in a Python loop: if PySide6 let go of the GIL during the call
the loop would run for about as long as the call.

    python benchmarks/bench_render_phases.py [--features 10000] [--runs 5] [--gil]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = [  # (the mark that ends the phase, the phase's name)
    ("before _app", "the command line's, NumPy's, Shapely's and the store's modules"),
    ("_app", "shiboken, PySide6's QtGui and the application"),
    ("render-imports", "the renderer's and the PNG writer's modules"),
    ("load_map", "reading the layers (two threads)"),
    ("ensure_cjk_font", "the font database (fontconfig) and the Chinese family"),
    ("render_image", "drawing: features, label placement and haloed images"),
    ("write_png", "the PNG (two threads deflating)"),
]


def _child(argv: list[str]) -> None:
    """Run ``citymgr render`` with marks; print them as JSON on stderr's last line."""
    marks: list[tuple[str, float, float, float, float]] = []

    def mark(name: str) -> None:
        with open(f"/proc/self/task/{os.getpid()}/schedstat") as f:
            run, wait, _ = (int(x) for x in f.read().split())
        marks.append((name, time.process_time(), time.perf_counter(), run / 1e9, wait / 1e9))

    mark("start")
    from citymgr_desktop.cli import main
    from citymgr_desktop.cli.commands import _common
    from citymgr_desktop.cli.commands import render as command

    def wrap(owner: object, attr: str, name: str) -> None:
        inner = getattr(owner, attr)

        def marked(*args: object, **kwargs: object) -> object:
            mark("before " + name)
            out = inner(*args, **kwargs)
            mark(name)
            return out
        setattr(owner, attr, marked)

    app = command._app

    def app_then_imports() -> object:
        mark("before _app")
        out = app()
        mark("_app")
        import citymgr_desktop.export.png as png
        import citymgr_desktop.export.verify  # noqa: F401
        import citymgr_desktop.render as render
        mark("render-imports")
        for attr in ("load_map", "ensure_cjk_font", "render_image"):
            wrap(render, attr, attr)
        wrap(png, "write_png", "write_png")
        return out
    command._app = app_then_imports
    ended = _common.end_at_once

    def end() -> None:
        mark("end")
        print(json.dumps(marks), file=sys.stderr)
        ended()
    command.end_at_once = end
    sys.argv = ["citymgr", *argv]
    raise SystemExit(main())


def phases(marks: list) -> dict[str, tuple[float, float, float, float]]:
    """{phase: (process CPU, wall, main on CPU, main blocked)} in ms, from a run's marks."""
    at = {m[0]: m for m in marks}
    out, last = {}, marks[0]
    for key, _name in [*PHASES, ("end", "")]:
        m = at[key]
        before = at.get("before " + key, last) if not key.startswith("before") else last
        wall = m[2] - before[2]
        run, queued = m[3] - before[3], m[4] - before[4]
        out[key] = ((m[1] - before[1]) * 1e3, wall * 1e3, run * 1e3,
                    (wall - run - queued) * 1e3)
        last = m
    return out


def gil_check() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import threading

    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841
    path = QPainterPath()
    for i in range(60_000):
        path.moveTo(QPointF(i * 4.7 % 1900, i * 2.3 % 1000))
        path.lineTo(QPointF(i * 4.7 % 1900 + 40.3, i * 2.3 % 1000 + 17.1))
    image = QImage(1920, 1080, QImage.Format.Format_ARGB32_Premultiplied)

    def loop_rate() -> float:
        n, end = 0, time.perf_counter() + 0.2
        while time.perf_counter() < end:
            n += 1
        return n / 0.2

    rate = loop_rate()
    for kind in ("drawPath", "strokePath"):
        def draw(kind: str = kind) -> None:
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(QColor("red"), 3.0)
            if kind == "drawPath":
                painter.setPen(pen)
                painter.drawPath(path)
            else:
                painter.strokePath(path, pen)
            painter.end()
        thread = threading.Thread(target=draw)
        count, t0 = 0, time.perf_counter()
        thread.start()
        while thread.is_alive():
            count += 1
            time.perf_counter()  # the same work per turn as loop_rate's
        call = time.perf_counter() - t0
        print(f"one QPainter.{kind} call in a thread: {call * 1e3:.0f} ms; a Python loop in "
              f"the main thread ran {count / rate * 1e3:.0f} ms of it")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])  # (the child imports no more than the command would)
    import argparse
    import statistics
    import subprocess
    import tempfile
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--gil", action="store_true")
    args = ap.parse_args()
    from _data import sample_file  # benchmarks/_data.py: made once under bench-data/

    district = sample_file(args.features)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    runs, totals = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", "render", str(district), "--out",
                 f"{tmp}/map.png", "--size", "1920x1080", "--overwrite"],
                env=env, cwd=tmp, capture_output=True, text=True, check=True)
            usage = os.times()
            runs.append(phases(json.loads(proc.stderr.strip().splitlines()[-1])))
            totals.append((time.perf_counter() - t0, usage.children_user + usage.children_system))
    cpu_all = [b[1] - a[1] for a, b in zip([(0, 0), *totals], totals, strict=False)]
    print(f"`citymgr render` of the {args.features:,}-feature district, 1920x1080, "
          f"medians of {args.runs} runs, load average {os.getloadavg()[0]:.2f}")
    print("| phase | process CPU ms | wall ms | main thread on CPU ms | main thread blocked ms |")
    print("|---|---|---|---|---|")
    for key, name in [*PHASES, ("end", "the rest (argument checks, exit)")]:
        cols = [statistics.median(r[key][i] for r in runs) for i in range(4)]
        print(f"| {name} | " + " | ".join(f"{c:.0f}" for c in cols) + " |")
    print(f"| whole process (Python's start and `site` before the first mark included) | "
          f"{statistics.median(cpu_all) * 1e3:.0f} | "
          f"{statistics.median(t[0] for t in totals) * 1e3:.0f} | | |")
    if args.gil:
        gil_check()


if __name__ == "__main__":
    main()
