"""Editing benchmark: saving 1 and 10,000 edits from an edit session into a 1M-feature file
(the 1-edit save must take milliseconds), filtering a million rows with the expression
language (SQL and pandas), sorting for the attribute table, and the store-level numbers of
issue 2 (1 and 10,000 edits via ``store.apply`` at 10k and 1M features).

Data: the sample generator's files under ``bench-data/`` (shared with bench_store.py).
Run: ``python benchmarks/bench_edit.py [--sizes 10000,1000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _data import sample_file
from bench_store import edit_times

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.expression import Expression, Fields, filter_fids
from citymgr_desktop.core.store import Store

LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")
FILTERS = [
    "condition >= 4",
    "district = '粮道街道' and condition is null",
    "name like '%路1%' and install_date < '2015-01-01'",
    "year(install_date) between 2010 and 2015 or updated_at >= today() - 30",
    "coalesce(remarks, '') = '' and not (condition in (1, 2))",
]




def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:10.1f} {min(values) * 1000:10.1f}"


def session_saves(master: Path, repeat: int) -> list[tuple[str, list[float]]]:
    """Edits made in an EditSession (journal on, as in the app), then saved."""
    work = master.with_name(f"work-edit-{master.name}")
    shutil.copyfile(master, work)
    rows: list[tuple[str, list[float]]] = []
    try:
        with Store.open(work) as store:
            uuids = [r[0] for r in store.conn.execute("SELECT asset_uuid FROM litter_bin")]
            rng = np.random.default_rng(1)
            for n in (1, 10_000):
                make, save, journal_kb = [], [], []
                for i in range(repeat):
                    session = EditSession(store, user="bench")
                    picked = [uuids[j] for j in rng.choice(len(uuids), n, replace=False)]
                    t0 = time.perf_counter()
                    if n == 1:
                        session.set_value("litter_bin", picked[0], "remarks", f"bench {i}")
                    else:
                        session.bulk_set("litter_bin", picked, {"remarks": f"bench {i}"})
                    make.append(time.perf_counter() - t0)
                    journal_kb.append(session.journal.path.stat().st_size / 1024)
                    t0 = time.perf_counter()
                    session.save()
                    save.append(time.perf_counter() - t0)
                    session.close()
                rows.append((f"make {n:,} edit(s) (validate + journal fsync)", make))
                rows.append((f"save {n:,} edit(s) (one transaction)", save))
                print(f"  journal for {n:,} edit(s): {statistics.median(journal_kb):.0f} KiB")
    finally:
        work.unlink()
        work.with_name(work.name + ".citymgr-journal").unlink(missing_ok=True)
    return rows


def filters(master: Path, repeat: int) -> list[tuple[str, list[float], int]]:
    """Each expression over all four layers (every row of the file): SQL, then pandas."""
    out = []
    conn = sqlite3.connect(master)
    exprs = {t: [Expression.compile(f, Fields.from_sqlite(conn, t)) for f in FILTERS]
             for t in LAYERS}
    for k, text in enumerate(FILTERS):
        times, hits = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            hits = sum(len(filter_fids(conn, t, exprs[t][k])) for t in LAYERS)
            times.append(time.perf_counter() - t0)
        out.append((f"SQL    {text}", times, hits))
    frames = {}
    for t in LAYERS:
        names = sorted(set().union(*(e.used_fields for e in exprs[t])) - {"fid"})
        frames[t] = pd.read_sql(f'SELECT fid, {", ".join(names)} FROM "{t}"', conn,
                                index_col="fid")
    for k, text in enumerate(FILTERS):
        times, hits = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            hits = sum(int(exprs[t][k].mask(frames[t]).sum()) for t in LAYERS)
            times.append(time.perf_counter() - t0)
        out.append((f"pandas {text}", times, hits))
    for column in ("name", "condition", "install_date"):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            n = len(filter_fids(conn, "litter_bin", None, order_by=column))
            times.append(time.perf_counter() - t0)
        out.append((f"sort litter_bin by {column} (attribute table)", times, n))
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000",
                        help="feature counts for the store.apply table")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    big = sample_file(max(sizes))
    with Store.open(big, read_only=True) as store:
        counts = {t: store.layer(t).count for t in LAYERS}
    total = sum(counts.values())
    print(f"\n{big.name}: {total:,} features ({counts['litter_bin']:,} litter bins); "
          f"medians and minima of {args.repeat}")

    print(f"\n## Edit session into the {total:,}-feature file")
    print(f"{'step':<48}{'median ms':>10} {'min ms':>10}")
    for label, times in session_saves(big, args.repeat):
        print(f"{label:<48}{ms(times)}")

    print(f"\n## Filters over all {total:,} rows (four layers) and sorts")
    print(f"{'expression':<86}{'median ms':>10} {'min ms':>10} {'rows':>9}")
    for label, times, hits in filters(big, args.repeat):
        print(f"{label:<86}{ms(times)} {hits:>9,}")

    print("\n## store.apply (issue 2): the 1-edit time must not grow with the file")
    print(f"{'features':>10} {'edits':>7} {'median ms':>10} {'min ms':>10}")
    for n in sizes:
        path = sample_file(n)
        for edits in (1, 10_000):
            print(f"{n:>10,} {edits:>7,} {ms(edit_times(path, edits, args.repeat))}")


if __name__ == "__main__":
    main()
