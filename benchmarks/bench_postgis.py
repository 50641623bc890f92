"""PostGIS store benchmark (issue 14), on a throwaway PostgreSQL 15 + PostGIS 3 cluster
(``tests/pg/cluster.py``) and the sample district of ``--features`` assets:

- publish of the file: ours (``citymgr publish``'s core) vs ``ogr2ogr -f PostgreSQL`` of the
  same tables (GDAL's COPY path; no uuid upsert, no versions, no styles);
- save of one edit: ``PostgisStore.save`` (versioned UPDATE) vs the floor, a bare UPDATE
  through psycopg; and a save that finds the row changed meanwhile (lock + field merge);
- 20 concurrent editors (threads, one connection each), saves per second, vs bare UPDATEs;
- the renderer's bulk read of the four asset layers: from PostGIS vs from the GeoPackage;
- the first full frame of the district from the database, whole processes in turn (A B A B):
  ``citymgr render URL`` vs QGIS 3.22 drawing the same PostGIS tables through the project
  ``publish`` stored in the database (``benchmarks/_qgis_render.py``, PyQGIS under
  /usr/bin/python3), 1920x1080.

Run: ``python benchmarks/bench_postgis.py [--features 20000] [--repeat 30] [--frames 3]``
(``--features 1000000`` is the issue's size: about half an hour on 2 shared cores). The
machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
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
HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = "/usr/bin/python3"  # QGIS 3.22's Python (PyQGIS)


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


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return elapsed


def bench_frame(url: str, frames: int, work: Path) -> tuple[float, float]:
    """Whole processes, ours and QGIS's in turn: open the database, draw every asset at the
    full extent to a 1920x1080 PNG."""
    root = str(HERE.parent)
    ours_env = {**os.environ, "PYTHONPATH": root, "QT_QPA_PLATFORM": "offscreen"}
    ours = [sys.executable, "-c", "import sys; from citymgr_desktop.cli import main; "
            "sys.exit(main(sys.argv[1:]))", "render", url, "--out", str(work / "ours.png"),
            "--size", "1920x1080", "--overwrite"]
    qgis_env = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    qgis_env.update(QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8", XDG_RUNTIME_DIR=str(work),
                    QGIS_CUSTOM_CONFIG_PATH=str(work))
    qgis = [SYSTEM_PYTHON, str(HERE / "_qgis_render.py"), url, str(work / "qgis.png"),
            "1920", "1080"]
    _timed(ours, ours_env)  # a warm-up of each: the tables in the server's cache
    _timed(qgis, qgis_env)
    times: dict[str, list[float]] = {"ours": [], "qgis": []}
    for _ in range(frames):
        times["ours"].append(_timed(ours, ours_env))
        times["qgis"].append(_timed(qgis, qgis_env))
    return med(times["ours"]), med(times["qgis"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--frames", type=int, default=3, help="whole-process frames of each side")
    args = ap.parse_args()
    path = sample_file(args.features)
    load_before = os.getloadavg()
    cluster = start_cluster()
    try:
        ours, ogr = bench_publish(cluster, path)
        print(f"publish: ours {ours:.1f} s, ogr2ogr {ogr:.1f} s", flush=True)
        url = cluster.url("bench_publish")
        with tempfile.TemporaryDirectory() as tmp:
            frame, qgis_frame = bench_frame(url, args.frames, Path(tmp))
        print(f"first frame: ours {frame:.1f} s, QGIS {qgis_frame:.1f} s", flush=True)
        save = bench_save(url, args.repeat)
        ours_rate, floor_rate = bench_editors(url)
        pg_read, file_read = bench_read(url, path)
    finally:
        cluster.stop()
    load_after = os.getloadavg()
    print(f"\nPostGIS store, {args.features:,} features, medians of {args.repeat} "
          f"({args.frames} frames each side); load average before "
          f"{' '.join(f'{v:.2f}' for v in load_before)}, after "
          f"{' '.join(f'{v:.2f}' for v in load_after)}, {os.cpu_count()} cores")
    print(f"{'measure':<46}{'ours':>12}{'reference':>12}{'ratio':>8}")
    rows = [
        ("publish the file (s) vs ogr2ogr -f PostgreSQL", ours, ogr),
        ("save of one edit (ms) vs bare UPDATE", save["save"] * 1e3, save["floor"] * 1e3),
        ("save of a stale edit, merged (ms) vs bare", save["merge"] * 1e3, save["floor"] * 1e3),
        ("20 editors, saves/s vs bare UPDATEs/s", ours_rate, floor_rate),
        ("bulk read of 4 layers (s), PostGIS vs GeoPackage", pg_read, file_read),
        ("first full frame, citymgr render URL vs QGIS (s)", frame, qgis_frame),
    ]
    for name, a, b in rows:
        print(f"{name:<46}{a:>12.2f}{b:>12.2f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
