"""The cost of giving a sync's new assets their 街道/单元网格 from their nearest neighbours.

A whole-file field package of a sample district of D features, N bins added in it with no
街道 or grid (as a package without a 街道 default brings them), synced back into fresh copies
of the master, with and without the fill step, alternating in one process; prints the fill
step's own time (CPU), the whole sync's, and how many values it filled. Not a test: run it by
hand, ``python benchmarks/bench_sync_added_location.py --district 20000 --new 2000 --repeat 5``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import shapely
from _data import sample_file

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.gpkg.geometry import encode
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import create_package, phases, sync_package


def add_bins(package: Path, extent: tuple[float, float, float, float], n: int) -> None:
    """N bins spread over the extent, without 街道 or grid, written as a crew would."""
    x0, y0, x1, y1 = extent
    rng = np.random.default_rng(n)
    conn = gpkg.connect(str(package))
    with conn:
        conn.executemany(
            "INSERT INTO litter_bin (geom, asset_uuid, name, bin_type, condition) "
            "VALUES (?, ?, ?, 'kitchen', 1)",
            [(encode(shapely.Point(x0 + rng.random() * (x1 - x0),
                                   y0 + rng.random() * (y1 - y0)), 4547),
              str(uuid.uuid4()), f"新增{i}") for i in range(n)])
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--district", type=int, default=20_000)
    ap.add_argument("--new", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    real_fill = phases.fill_plan_location
    fill_cpu: list[float] = []

    def timed_fill(*a, **kw):
        t0 = time.process_time()
        out = real_fill(*a, **kw)
        fill_cpu.append(time.process_time() - t0)
        return out

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        master = src / "district.gpkg"
        shutil.copyfile(sample_file(args.district), master)
        with Store.open(master) as store:
            extent, _ = store.asset_extent(["litter_bin"])
            create_package(store, src / "pkg.gpkg", surveyor="孙七")
        add_bins(src / "pkg.gpkg", extent, args.new)
        runs: dict[str, list[float]] = {"with fill": [], "without": []}
        filled = 0
        for i in range(args.repeat):
            for name, fill in (("with fill", timed_fill), ("without", lambda *a, **kw: {})):
                run = Path(tmp) / f"run{i}-{name[:4]}"
                shutil.copytree(src, run)
                phases.fill_plan_location = fill
                with Store.open(run / "district.gpkg") as store:
                    t0 = time.process_time()
                    report = sync_package(store, run / "pkg.gpkg", backup=False)
                    runs[name].append(time.process_time() - t0)
                if name == "with fill":
                    filled = sum(report.filled.values())
                shutil.rmtree(run)
        phases.fill_plan_location = real_fill
    with_fill, without = (statistics.median(runs[k]) for k in ("with fill", "without"))
    print(f"{'district':>9} {'new bins':>9} {'fill CPU s':>11} {'sync CPU s':>11} "
          f"{'without s':>10} {'ratio':>6} {'values filled':>14}")
    print(f"{args.district:>9,} {args.new:>9,} {statistics.median(fill_cpu):>11.3f} "
          f"{with_fill:>11.2f} {without:>10.2f} {with_fill / without:>6.2f} {filled:>14,}")


if __name__ == "__main__":
    main()
