"""The canvas's 1 % quick frame drawn from scratch (issue 18: "under 16 ms"), as CPU per frame.

A quick frame is what the canvas's render thread draws while the view moves
(``RenderOptions(antialias=False, labels=False, quick=True)``, no ``previous`` image: after
a jump or a zoom nothing can be reused). For each size (``bench-data/district-N.gpkg``,
shared with the other benchmarks) one process loads the map once and draws the central
1 %-of-the-area view (10 % × 10 % of the data extent) at 1920×1080 many times; each frame is
timed with the process's CPU clock (``time.process_time``: what the frame costs, whatever
else the machine runs, *all* threads included: Qt converts and blends big images in its own
thread pool, e.g. an 8-bit indexed image drawn over the frame, which the drawing thread's
clock ``time.thread_time``, printed beside it, does not see) and the wall clock, and the
medians are printed, for the whole frame, for each layer drawn alone and for a frame with
no layer (the image and its background), drawn in turn frame by frame; the last row adds
the layers up (each counted less one image and background) to set beside the whole frame.
With ``--before DIR`` the same measurement runs with the renderer of another checkout (e.g. ``git -C /work/main archive main | tar -x -C DIR``), the
two processes alternating ``--runs`` times, and the ratios ours/before are printed.

    python benchmarks/bench_quick_frame.py [--sizes 100000 1000000] [--frames 31] [--runs 3]
                                           [--before /tmp/before-quick]

``--worker PATH [--whole-only]`` (internal; run_all.py's "1 % quick frame" row) prints one
process's result as JSON, its last line ``{"seconds": median CPU per whole frame,
"peak_mb": ...}``.

``--gil`` asks whether the frame's NumPy work could run beside Qt's drawing in a second
thread (PySide6 holds the GIL in every QPainter call). For the first size it draws the view
with Qt's drawing calls made no-ops (what is left: gathers, device coordinates, the roads'
line pixels and max filter, the fragments, the parks' paths) alone, then in a worker thread
while the main thread turns a loop that lets go of the GIL at every turn (``time.sleep(0)``):
the turns, at the loop's rate alone, are the worker's time without the GIL (an upper bound,
and only with a free core: run it under ``chrt -f 10``). Then the roads' preparation in a
worker beside the parks drawn for real on the main thread, each one's wall alone and side
by side (what overlapping them in one frame would do):

    chrt -f 10 python benchmarks/bench_quick_frame.py --sizes 1000000 --gil
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
W, H = 1920, 1080
PARTS = ("all", "road_segment", "green_space", "litter_bin", "bridge")


def central_view(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The 10 % × 10 % window (1 % of the area) around the middle of ``extent``."""
    minx, miny, maxx, maxy = extent
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    return (cx - w, cy - h, cx + w, cy + h)


def measure(path: str, frames: int, parts: tuple[str, ...] = PARTS) -> dict:
    """Medians of ``frames`` quick frames of the central view, whole (``"all"``), layer by
    layer (``parts``) and with no layer (``"none"``: the image and its background). The
    parts are drawn in turn, frame by frame, so that every row sees the same moments of
    the machine (timed one part after the other, a busy spell lands on one row: whole
    frames then differ from the sum of their layers by more than either's cost)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import resource

    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["bench"])
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import RenderOptions, render_frame
    from citymgr_desktop.render.loader import load_map

    with Store.open(path, read_only=True) as store:
        data = load_map(store)
    view = central_view(data.extent())
    out: dict = {"features": sum(layer.count for layer in data.layers)}
    names = parts + (("none",) if len(parts) > 1 else ())
    options = {part: RenderOptions(antialias=False, labels=False, quick=True,
                                   layers=None if part == "all" else [] if part == "none"
                                   else [part]) for part in names}
    times: dict[str, dict[str, list[float]]] = {
        part: {"cpu": [], "thread": [], "wall": []} for part in names}
    drawn = {}
    for part in names:  # first touch of that part of the arrays
        drawn[part] = sum(render_frame(data, view, (W, H), options[part])[1].drawn.values())
    for _ in range(frames):
        for part in names:
            c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
            render_frame(data, view, (W, H), options[part])
            times[part]["cpu"].append(time.process_time() - c0)
            times[part]["thread"].append(time.thread_time() - t0)
            times[part]["wall"].append(time.perf_counter() - w0)
    for part in names:
        out[part] = {key: statistics.median(values) for key, values in times[part].items()}
        out[part]["drawn"] = drawn[part]
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del app
    return out


class _NoDrawing:
    """A painter whose drawing calls do nothing (everything else goes to ``painter``)."""

    def __init__(self, painter) -> None:
        self._painter = painter

    def __getattr__(self, name: str):
        if name.startswith("draw") or name == "fillRect":
            return lambda *args, **kwargs: None
        return getattr(self._painter, name)


def gil_share(path: str, frames: int) -> None:
    """Print the ``--gil`` tables (see the module's docstring)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import threading

    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QGuiApplication, QPainter

    app = QGuiApplication.instance() or QGuiApplication(["bench"])  # noqa: F841
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import RenderOptions, render_frame
    from citymgr_desktop.render.loader import load_map
    from citymgr_desktop.render.renderer import draw_map, new_image

    with Store.open(path, read_only=True) as store:
        data = load_map(store)
    view = central_view(data.extent())

    def options(part: str) -> RenderOptions:
        return RenderOptions(antialias=False, labels=False, quick=True,
                             layers=None if part == "all" else [part])

    def prepare(part: str) -> None:  # the frame without Qt's pixel work
        image = new_image(W, H, 96.0)
        painter = QPainter(image)
        try:
            draw_map(_NoDrawing(painter), data, view, QRectF(0, 0, W, H), options(part))
        finally:
            painter.end()

    def draw(part: str) -> None:
        render_frame(data, view, (W, H), options(part))

    def wall(work, n: int = frames) -> float:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            work()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    def turns_per_second() -> float:
        n, end = 0, time.perf_counter() + 0.3
        while time.perf_counter() < end:
            n += 1
            time.sleep(0)
        return n / 0.3

    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{os.getloadavg()[0]:.2f}, {sum(layer.count for layer in data.layers):,} features, switch interval "
          f"{sys.getswitchinterval() * 1e3:g} ms; medians of {frames} frames\n")
    print("| layers | preparation alone | in a worker | of it without the GIL (at most) |\n"
          "|---|---|---|---|")
    for part in PARTS:
        alone = wall(lambda part=part: prepare(part))
        rate = turns_per_second()
        worker = threading.Thread(target=lambda part=part: [prepare(part) for _ in range(frames)])
        turns, t0 = 0, time.perf_counter()
        worker.start()
        while worker.is_alive():
            turns += 1
            time.sleep(0)
        beside = (time.perf_counter() - t0) / frames
        free = turns / rate / frames
        print(f"| {part} | {alone * 1e3:.1f} ms | {beside * 1e3:.1f} ms | {free * 1e3:.1f} ms "
              f"({free / alone:.0%}) |")
    print("\n| side by side | alone | beside the other |\n|---|---|---|")
    prep_alone, draw_alone = wall(lambda: prepare("road_segment")), wall(
        lambda: draw("green_space"))
    stop = threading.Event()
    prep_times: list[float] = []

    def prepare_roads() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            prepare("road_segment")
            prep_times.append(time.perf_counter() - t0)
    worker = threading.Thread(target=prepare_roads)
    worker.start()
    draw_beside = wall(lambda: draw("green_space"))
    stop.set()
    worker.join()
    print(f"| the roads' preparation, worker thread | {prep_alone * 1e3:.1f} ms | "
          f"{statistics.median(prep_times) * 1e3:.1f} ms |")
    print(f"| the parks drawn, main thread | {draw_alone * 1e3:.1f} ms | "
          f"{draw_beside * 1e3:.1f} ms |")


def run_process(path: Path, frames: int, checkout: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, __file__, "--worker", str(path), "--frames",
                           str(frames)], env=env, check=True, stdout=subprocess.PIPE,
                          text=True, cwd="/tmp")
    return json.loads(proc.stdout.strip().splitlines()[-2])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--frames", type=int, default=31, help="frames per layer and process")
    p.add_argument("--runs", type=int, default=3, help="processes per side (alternating)")
    p.add_argument("--before", type=Path, help="a checkout to compare with (e.g. main)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--whole-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--gil", action="store_true",
                   help="how much of the frame's NumPy work runs without the GIL")
    args = p.parse_args()
    if args.gil:
        sys.path.insert(0, str(HERE))
        from _data import sample_file
        gil_share(str(sample_file(args.sizes[0])), args.frames)
        return
    if args.worker:
        result = measure(args.worker, args.frames, ("all",) if args.whole_only else PARTS)
        print(json.dumps(result))
        print(json.dumps({"seconds": result["all"]["cpu"], "peak_mb": result["peak_mb"]}))
        return
    sys.path.insert(0, str(HERE))
    from _data import sample_file

    sides = {"ours": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    load0 = os.getloadavg()
    rows = []
    for n in args.sizes:
        path = sample_file(n)
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, checkout in sides.items():
                runs[name].append(run_process(path, args.frames, checkout))
        rows.append((n, runs))
    load1 = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {load0[0]:.2f} before and {load1[0]:.2f} after; 1920×1080, medians "
          f"of {args.frames} frames per process, {args.runs} alternating processes a side\n")
    head = ["features", "layers drawn", "drawn", "ours CPU", "(drawing thread)", "ours wall"]
    if args.before:
        head += ["before CPU", "(drawing thread)", "before wall", "CPU ours/before"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    layers = [part for part in PARTS if part != "all"]
    for n, runs in rows:
        for part in (*PARTS, "none", "sum"):
            def med(name: str, key: str, part: str = part, runs: dict = runs) -> float:
                if part == "sum":  # the layers drawn alone, their images counted once
                    return sum(med(name, key, p) for p in layers) - (len(layers) - 1) * med(
                        name, key, "none")
                return statistics.median(r[part][key] for r in runs[name])
            label = {"none": "none (the image, its background)",
                     "sum": "the layers' sum (less 3 images)"}.get(part, part)
            count = "" if part == "sum" else str(runs["ours"][0][part]["drawn"])
            cells = [f"{n:,}", label, count]
            for name in sides:
                cells += [f"{med(name, key) * 1000:.1f} ms" for key in ("cpu", "thread", "wall")]
            if args.before:
                cells += [f"{med('ours', 'cpu') / med('before', 'cpu'):.2f}"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
