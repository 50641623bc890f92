"""PostGIS store benchmark (issue 14), on a throwaway PostgreSQL 15 + PostGIS 3 cluster
(``tests/pg/cluster.py``) and the sample district of ``--features`` assets:

- publish of the file: ours (``citymgr publish``'s core) vs ``ogr2ogr -f PostgreSQL`` of the
  same tables (GDAL's COPY path; no uuid upsert, no versions, no styles);
- save of one edit: ``PostgisStore.save`` (versioned UPDATE) vs the floor, a bare UPDATE
  through psycopg; and a save that finds the row changed meanwhile (lock + field merge);
- 20 concurrent editors (threads, one connection each), saves per second, vs bare UPDATEs;
- the renderer's bulk read of the four asset layers: from PostGIS vs from the GeoPackage.

Run: ``python benchmarks/bench_postgis.py [--features 20000] [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
from _data import sample_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.postgis import PostgisStore, publish
from tests.pg.cluster import start_cluster

LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")


def med(values: list[float]) -> float:
    return statistics.median(values)


def bench_publish(cluster, path: Path) -> tuple[float, float]:
    url = cluster.create_database("bench_publish")
    t0 = time.perf_counter()
    publish(path, url)
    ours = time.perf_counter() - t0
    cluster.create_database("bench_ogr", postgis=True)
    env = {**os.environ, "PG_USE_COPY": "YES"}
    t0 = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL",
                    f"PG:host=127.0.0.1 port={cluster.port} dbname=bench_ogr "
                    f"user={cluster.superuser}", str(path), *LAYERS, "maintenance_record",
                    "work_order", "work_order_event", "attachment"],
                   check=True, env=env, capture_output=True)
    return ours, time.perf_counter() - t0


def bench_save(url: str, repeat: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with PostgisStore.open(url) as db, psycopg.connect(url, autocommit=True) as bare:
        uuids = [r[0] for r in bare.execute("SELECT asset_uuid FROM litter_bin LIMIT 500")]
        times, floor, merged = [], [], []
        for i in range(repeat):
            u = uuids[i]
            row = db.get_row("litter_bin", u)
            d = Delta("litter_bin", u, {"remarks": row["remarks"]}, {"remarks": f"b{i}"})
            t0 = time.perf_counter()
            db.save([d], {("litter_bin", u): row["version"]}, "bench")
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare.execute("UPDATE litter_bin SET remarks = %s WHERE asset_uuid = %s",
                         (f"f{i}", uuids[-1 - i]))
            floor.append(time.perf_counter() - t0)
            stale = Delta("litter_bin", u, {"name": row["name"]}, {"name": f"n{i}"})
            t0 = time.perf_counter()
            db.save([stale], {("litter_bin", u): row["version"]}, "bench")  # version is old
            merged.append(time.perf_counter() - t0)
        out["save"], out["floor"], out["merge"] = med(times), med(floor), med(merged)
    return out


def bench_editors(url: str, editors: int = 20, saves: int = 20) -> tuple[float, float]:
    with psycopg.connect(url) as conn:
        uuids = [r[0] for r in conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 100")]

    def ours(k: int) -> None:
        rng = np.random.default_rng(k)
        with PostgisStore.open(url) as db:
            for i in range(saves):
                u = uuids[int(rng.integers(len(uuids)))]
                row = db.get_row("litter_bin", u)
                db.save([Delta("litter_bin", u, {"remarks": row["remarks"]},
                               {"remarks": f"e{k}-{i}"})], {("litter_bin", u): row["version"]})

    def floor(k: int) -> None:
        rng = np.random.default_rng(k)
        with psycopg.connect(url, autocommit=True) as conn:
            for i in range(saves):
                u = uuids[int(rng.integers(len(uuids)))]
                conn.execute("UPDATE litter_bin SET remarks = %s WHERE asset_uuid = %s",
                             (f"f{k}-{i}", u))

    rates = []
    for work in (ours, floor):
        threads = [threading.Thread(target=work, args=(k,)) for k in range(editors)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rates.append(editors * saves / (time.perf_counter() - t0))
    return rates[0], rates[1]


def bench_read(url: str, path: Path) -> tuple[float, float]:
    cols = ["asset_uuid", "condition", "name"]
    with PostgisStore.open(url) as db:
        t0 = time.perf_counter()
        for layer in LAYERS:
            db.read_arrow(layer, cols, include_retired=False)
        pg = time.perf_counter() - t0
    with Store.open(path, read_only=True) as gp:
        t0 = time.perf_counter()
        for layer in LAYERS:
            gp.read_arrow(layer, cols, include_retired=False)
        file = time.perf_counter() - t0
    return pg, file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    path = sample_file(args.features)
    cluster = start_cluster()
    try:
        ours, ogr = bench_publish(cluster, path)
        url = cluster.url("bench_publish")
        save = bench_save(url, args.repeat)
        ours_rate, floor_rate = bench_editors(url)
        pg_read, file_read = bench_read(url, path)
    finally:
        cluster.stop()
    print(f"\nPostGIS store, {args.features:,} features, medians of {args.repeat}")
    print(f"{'measure':<46}{'ours':>12}{'reference':>12}{'ratio':>8}")
    rows = [
        ("publish the file (s) vs ogr2ogr -f PostgreSQL", ours, ogr),
        ("save of one edit (ms) vs bare UPDATE", save["save"] * 1e3, save["floor"] * 1e3),
        ("save of a stale edit, merged (ms) vs bare", save["merge"] * 1e3, save["floor"] * 1e3),
        ("20 editors, saves/s vs bare UPDATEs/s", ours_rate, floor_rate),
        ("bulk read of 4 layers (s), PostGIS vs GeoPackage", pg_read, file_read),
    ]
    for name, a, b in rows:
        print(f"{name:<46}{a:>12.2f}{b:>12.2f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
