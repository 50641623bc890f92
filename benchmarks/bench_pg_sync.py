"""Field packages on a database (issue 14) against the same on the file, in one run, on a
throwaway PostgreSQL 15 + PostGIS 3 cluster (``tests/pg/cluster.py``) and the sample
district of ``--features`` assets published into it:

- check-out of the whole project: from the database (snapshot + the file check-out + the
  base and versions stored) vs from the file;
- check-in of the same ``--changes`` field edits (remarks of bins, condition of roads; an
  office editor changed ``--office`` of the same rows meanwhile, half of them the same
  field): ``citymgr sync URL PKG``'s core vs ``citymgr sync FILE PKG``'s (``--no-backup``:
  the database keeps no backup copy either); the floor is a bare psycopg ``executemany``
  of the same UPDATEs in one transaction.

Run: ``python benchmarks/bench_pg_sync.py [--features 20000] [--changes 2000]``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from _data import sample_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store, open_store
from citymgr_desktop.core.store.postgis import PostgisStore, publish
from citymgr_desktop.core.sync import create_package, sync_package
from citymgr_desktop.core.sync.database import sync_into_database
from citymgr_desktop.core.sync.database_checkout import create_database_package
from tests.pg.cluster import start_cluster


def field_edits(pkg: Path, bins: list[str], roads: list[str]) -> None:
    """What the surveyor did (the same in both packages, by uuid)."""
    conn = gpkg.connect(str(pkg))
    with conn:
        conn.executemany("UPDATE litter_bin SET remarks = ? WHERE asset_uuid = ?",
                         [(f"现场 {i}", u) for i, u in enumerate(bins)])
        conn.executemany("UPDATE road_segment SET condition = 5 WHERE asset_uuid = ?",
                         [(u,) for u in roads])
    conn.close()


def office_edits(target: str, bins: list[str]) -> None:
    """Another user meanwhile: half of the rows the same field, half another field."""
    half = len(bins) // 2
    with open_store(target) as store:
        rows = store.get_rows("litter_bin", bins, ["remarks", "name"])
        deltas = [Delta("litter_bin", u, {"remarks": rows[u]["remarks"]}, {"remarks": "办公室"})
                  for u in bins[:half]]
        deltas += [Delta("litter_bin", u, {"name": rows[u]["name"]}, {"name": "办公室改名"})
                   for u in bins[half:]]
        store.apply(deltas, "王五")


def pick(path: Path, n: int) -> tuple[list[str], list[str]]:
    conn = sqlite3.connect(path)
    try:
        bins = [r[0] for r in conn.execute("SELECT asset_uuid FROM litter_bin WHERE retired_at "
                                           "IS NULL ORDER BY fid LIMIT ?", (n // 2,))]
        roads = [r[0] for r in conn.execute("SELECT asset_uuid FROM road_segment WHERE "
                                            "retired_at IS NULL ORDER BY fid LIMIT ?",
                                            (n - len(bins),))]
        return bins, roads
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=int, default=20000)
    ap.add_argument("--changes", type=int, default=2000)
    ap.add_argument("--office", type=int, default=400)
    args = ap.parse_args()
    source = sample_file(args.features)
    cluster = start_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pg-sync-"))
    try:
        master = tmp / "master.gpkg"
        shutil.copyfile(source, master)
        url = cluster.create_database("bench_sync")
        publish(master, url)
        rows: list[tuple[str, float, float]] = []

        t0 = time.perf_counter()
        with PostgisStore.open(url) as db:
            create_database_package(db, tmp / "db-pkg.gpkg")
        db_out = time.perf_counter() - t0
        t0 = time.perf_counter()
        with Store.open(master) as store:
            create_package(store, tmp / "file-pkg.gpkg")
        rows.append(("check-out of the whole project, s — database vs file", db_out,
                     time.perf_counter() - t0))

        bins, roads = pick(master, args.changes)
        for pkg in (tmp / "db-pkg.gpkg", tmp / "file-pkg.gpkg"):
            field_edits(pkg, bins, roads)
        for target in (url, str(master)):
            office_edits(target, bins[: args.office])

        t0 = time.perf_counter()
        with PostgisStore.open(url) as db:
            report = sync_into_database(db, tmp / "db-pkg.gpkg", user="bench")
        db_in = time.perf_counter() - t0
        t0 = time.perf_counter()
        with Store.open(master) as store:
            file_report = sync_package(store, tmp / "file-pkg.gpkg", user="bench", backup=False)
        file_in = time.perf_counter() - t0
        assert report.open_conflicts == file_report.open_conflicts, \
            (report.open_conflicts, file_report.open_conflicts)
        rows.append((f"check-in of {args.changes} edits ({report.open_conflicts} conflicts), s "
                     "— database vs file", db_in, file_in))

        floor_url = cluster.create_database("bench_floor")
        publish(master, floor_url)
        t0 = time.perf_counter()
        with psycopg.connect(floor_url) as conn, conn.cursor() as cur:
            cur.executemany("UPDATE litter_bin SET remarks = %s, version = version + 1 "
                            "WHERE asset_uuid = %s", [(f"床 {i}", u) for i, u in enumerate(bins)])
            cur.executemany("UPDATE road_segment SET condition = 5, version = version + 1 "
                            "WHERE asset_uuid = %s", [(u,) for u in roads])
        rows.append((f"check-in of {args.changes} edits, s — database vs a bare executemany "
                     "of the UPDATEs", db_in, time.perf_counter() - t0))

        print(f"\n{args.features:,} assets, {args.changes:,} field edits, {args.office} office "
              f"edits meanwhile")
        print(f"| {'measure':<78} | {'ours':>8} | {'reference':>9} | {'ratio':>6} |")
        print(f"| {'-' * 78} | {'-' * 8}: | {'-' * 9}: | {'-' * 6}: |")
        for name, ours, ref in rows:
            print(f"| {name:<78} | {ours:>8.2f} | {ref:>9.2f} | {ours / ref:>6.2f} |")
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
