"""The cost of filling imported assets' 街道/单元网格 from their nearest neighbours.

Imports N new bins (no 街道 or grid in the source) into a copy of a sample district of D
features, as a dry run (plan only: the fill is part of the plan), with and without the fill
step, alternating in one process; prints the fill step's own time (CPU) and the whole dry
run's, and how many assets it filled. Not a test: run it by hand,
``python benchmarks/bench_import_location.py --district 20000 --new 20000 --repeat 5``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from _data import sample_file

from citymgr_desktop.core.importing import location, suggest_mapping
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing.sources import describe_layer
from citymgr_desktop.core.store import Store


def make_source(folder: Path, district: Path, n: int) -> Path:
    """N points spread over the district's bins' extent, ids only."""
    with Store.open(district, read_only=True) as store:
        (x0, y0, x1, y1), _ = store.asset_extent(["litter_bin"])
    rng = np.random.default_rng(n)
    points = shapely.points(x0 + rng.random(n) * (x1 - x0), y0 + rng.random(n) * (y1 - y0))
    path = folder / "new_bins.gpkg"
    gpd.GeoDataFrame({"编号": [f"N{i}" for i in range(n)]}, geometry=points,
                     crs="EPSG:4547").to_file(path, layer="bins")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--district", type=int, default=20_000)
    ap.add_argument("--new", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    real_fill = location.fill_location
    fill_cpu: list[float] = []

    def timed_fill(*a, **kw):
        t0 = time.process_time()
        real_fill(*a, **kw)
        fill_cpu.append(time.process_time() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        district = folder / "district.gpkg"
        shutil.copyfile(sample_file(args.district), district)
        source = make_source(folder, district, args.new)
        mapping = suggest_mapping(describe_layer(source), "litter_bin")
        runs: dict[str, list[float]] = {"with fill": [], "without": []}
        filled = 0
        with Store.open(district) as store:
            for _ in range(args.repeat):
                for name, fill in (("with fill", timed_fill),
                                   ("without", lambda *a, **kw: None)):
                    importer.fill_location = fill
                    t0 = time.process_time()
                    result = importer.run_import(store, source, mapping, dry_run=True)
                    runs[name].append(time.process_time() - t0)
                    if name == "with fill":
                        filled = sum(result.report.filled.values())
        importer.fill_location = real_fill
    with_fill, without = (statistics.median(runs[k]) for k in ("with fill", "without"))
    print(f"{'district':>9} {'new bins':>9} {'fill CPU s':>11} {'dry run CPU s':>14} "
          f"{'without s':>10} {'ratio':>6} {'values filled':>14}")
    print(f"{args.district:>9,} {args.new:>9,} {statistics.median(fill_cpu):>11.3f} "
          f"{with_fill:>14.2f} {without:>10.2f} {with_fill / without:>6.2f} {filled:>14,}")


if __name__ == "__main__":
    main()
