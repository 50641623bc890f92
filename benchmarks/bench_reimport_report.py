"""Re-import CPU time (process_time) of N bins: the same source a second time (all unchanged,
every update matched by source_id; the report counts what each update leaves empty). Usage:
``python benchmarks/bench_reimport_report.py N FOLDER`` (the source is made in FOLDER once);
prints CPU s, wall s and the left-empty counts."""
import sys
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

n = int(sys.argv[1])
folder = Path(sys.argv[2])
folder.mkdir(exist_ok=True)
src = folder / "bins.shp"
if not src.exists():
    rng = np.random.default_rng(n)
    lon = 114.25 + rng.random(n) * 0.1
    lat = 30.50 + rng.random(n) * 0.1
    gpd.GeoDataFrame({"编号": [f"X{i}" for i in range(n)], "名称": [f"设施{i}" for i in range(n)],
                      "分类": ["可回收物"] * n}, geometry=shapely.points(lon, lat),
                     crs="EPSG:4326").to_file(src, encoding="GBK", engine="pyogrio")
p = folder / "p.gpkg"
p.unlink(missing_ok=True)
project.create_project(p, "EPSG:4547", "420106")
mapping = suggest_mapping(describe_layer(src), "litter_bin")
data = read_source(src)
with Store.open(p) as store:
    importer.run_import(store, src, mapping, data=data)
    t0, w0 = time.process_time(), time.perf_counter()
    again = importer.run_import(store, src, mapping, data=read_source(src))
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
assert again.report.unchanged == n
print(f"{cpu:.3f} {wall:.3f} {dict(again.report.empty)}")
