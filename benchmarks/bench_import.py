"""Import speed: read, plan (dry run), apply and re-import N bins and N roads from Shapefiles.

Generates its own sources (GBK Shapefiles in WGS 84 with Chinese attributes) and an empty
project in EPSG:4547, then prints a table. Not a test: run it by hand,
``python benchmarks/bench_import.py 1000 10000 50000``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import describe_layer, read_source
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store import create as project

WORDS = ["好", "较好", "一般", "差", "危险", "", "未知", "差不多"]


def make_sources(folder: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(n)
    lon = 114.25 + rng.random(n) * 0.1
    lat = 30.50 + rng.random(n) * 0.1
    attrs = {"编号": [f"X{i}" for i in range(n)], "名称": [f"设施{i}" for i in range(n)],
             "状况": [WORDS[i % len(WORDS)] for i in range(n)]}
    bins = gpd.GeoDataFrame({**attrs, "分类": ["可回收物"] * n},
                            geometry=shapely.points(lon, lat), crs="EPSG:4326")
    lines = shapely.linestrings(np.stack([np.stack([lon, lat], 1),
                                          np.stack([lon + 0.001, lat], 1)], 1))
    roads = gpd.GeoDataFrame({**attrs, "道路等级": ["支路"] * n}, geometry=lines,
                             crs="EPSG:4326")
    b, r = folder / "bins.shp", folder / "roads.shp"
    bins.to_file(b, encoding="GBK", engine="pyogrio")
    roads.to_file(r, encoding="GBK", engine="pyogrio")
    return b, r


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(n: int) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = make_sources(folder, n)
        path = project.create_project(folder / "p.gpkg", "EPSG:4547", "420106")
        for source, table in zip(sources, ("litter_bin", "road_segment"), strict=True):
            mapping = suggest_mapping(describe_layer(source), table)
            data, t_read = timed(lambda s=source: read_source(s))
            with Store.open(path) as store:
                _, t_dry = timed(lambda s=source, m=mapping, d=data: importer.run_import(
                    store, s, m, data=d, dry_run=True))
                res, t_apply = timed(lambda s=source, m=mapping, d=data: importer.run_import(
                    store, s, m, data=d))
                again, t_again = timed(lambda s=source, m=mapping, d=data: importer.run_import(
                    store, s, m, data=d))
            assert res.report.inserted == n and again.report.unchanged == n
            rows.append((table, n, t_read, t_dry, t_apply, t_again))
    return rows


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000]
    print(f"{'class':<14}{'features':>10}{'read s':>9}{'dry run s':>11}{'import s':>10}"
          f"{'re-import s':>13}{'feat/s':>9}")
    for n in sizes:
        for table, count, t_read, t_dry, t_apply, t_again in run(n):
            print(f"{table:<14}{count:>10,}{t_read:>9.2f}{t_dry:>11.2f}{t_apply:>10.2f}"
                  f"{t_again:>13.2f}{count / (t_read + t_apply):>9,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
