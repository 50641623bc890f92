"""Base map cost per frame: the canvas's quick frames (1920×1080, no antialiasing) of a
street-scale view (1 % of the district) and of a drag through it, with the base map off and
on (tiles already in the disk cache, drawn the canvas's way: ``wait=False``), plus the
first frame with an empty cache (the assets do not wait: the tiles come later).

The tiles come from a local HTTP server started here (generated 256-pixel PNGs, as in the
tests); the district is the 10k-feature benchmark sample. The target (issue 16): cached
tiles add under 16 ms to a frame. Run: ``python benchmarks/bench_basemap.py [--size 10000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _data import sample_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
W, H = 1920, 1080
PAN_STEP = (40, 20)
FRAMES = 40  # pan frames of each drag
WHOLE = 20  # whole frames of each kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CITYMGR_TILE_CACHE"] = tempfile.mkdtemp(prefix="bench-tiles-")
    from pyproj import Transformer
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["bench"])  # noqa: F841
    from citymgr_desktop.core.basemaps import TileFetcher, make_layer
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import RenderOptions, render_frame
    from citymgr_desktop.render.backdrop import Backdrop
    from citymgr_desktop.render.loader import load_map

    path = sample_file(args.size)
    with Store.open(path, read_only=True) as store:
        data = load_map(store)
    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    view = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    centre = Transformer.from_crs(data.crs, 3857, always_xy=True).transform(cx, cy)
    rows = []
    # the server in a process of its own: its PNG making must not share our interpreter
    server = subprocess.Popen([sys.executable, "-m", "tests.basemap_support", str(centre[0]),
                               str(centre[1])], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    port = int(server.stdout.readline())
    url = f"http://127.0.0.1:{port}/quad/{{z}}/{{x}}/{{y}}.png"
    try:
        fetcher = TileFetcher()
        backdrop = Backdrop([make_layer(url)], fetcher=fetcher, wait=False)

        def frames() -> tuple[tuple[float, float], tuple[float, float]]:
            """Medians (off, on) of whole quick frames and of pan frames, the two kinds
            interleaved frame by frame so that the machine's load hits both alike."""
            opts = {False: RenderOptions(antialias=False, labels=False),
                    True: RenderOptions(antialias=False, labels=False, backdrop=backdrop)}
            whole: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(WHOLE):
                for on in (False, True):
                    whole[on].append(render_frame(data, view, (W, H), opts[on])[1].seconds)
            state = {}
            for on in (False, True):
                image, result = render_frame(data, view, (W, H), opts[on])
                state[on] = (image, result.view.extent, result.view.units_per_pixel)
            steps: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(FRAMES):
                for on in (False, True):
                    image, before, upp = state[on]
                    after = (before[0] + PAN_STEP[0] * upp, before[1] + PAN_STEP[1] * upp,
                             before[2] + PAN_STEP[0] * upp, before[3] + PAN_STEP[1] * upp)
                    image, result = render_frame(data, after, (W, H), RenderOptions(
                        antialias=False, labels=False, previous=(image, before),
                        backdrop=backdrop if on else None))
                    steps[on].append(result.seconds)
                    state[on] = (image, after, upp)
            return ((statistics.median(whole[False]), statistics.median(steps[False])),
                    (statistics.median(whole[True]), statistics.median(steps[True])))

        from citymgr_desktop.core.basemaps.raster import bounds_in

        bounds_in(view, data.crs_wkt, "EPSG:3857")  # GDAL and PROJ loaded, as after a frame
        t0 = time.perf_counter()
        render_frame(data, view, (W, H), RenderOptions(antialias=False, labels=False,
                                                        backdrop=backdrop))
        cold = time.perf_counter() - t0
        pending = backdrop.pending
        # wait=True once over the whole drag: every tile of the benchmark is in the cache
        warm = Backdrop(backdrop.layers, fetcher=fetcher, wait=True)
        big = (view[0] - w, view[1] - h, view[2] + w, view[3] + h)
        render_frame(data, big, (W, H), RenderOptions(antialias=False, labels=False,
                                                       backdrop=warm))
        render_frame(data, view, (W, H), RenderOptions(antialias=False, labels=False,
                                                        backdrop=warm))
        off, on = frames()
        fetcher.close()
    finally:
        server.terminate()
    rows.append(("whole quick frame", off[0], on[0]))
    rows.append(("pan frame (from the previous)", off[1], on[1]))
    print(f"\n{data.path}: {sum(la.count for la in data.layers):,} features, view 1 % of the "
          f"area, {W}x{H}, medians")
    print("| frame | base map off | base map on (cached tiles) | added | target < 16 ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, a, b in rows:
        added = (b - a) * 1000
        print(f"| {name} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {added:+.1f} ms | "
              f"{'met' if added < 16 else 'NOT met'} |")
    print(f"first frame with an empty cache: {cold * 1000:.1f} ms ({pending} tiles left to "
          "the background fetcher; the assets were drawn)")


if __name__ == "__main__":
    main()
