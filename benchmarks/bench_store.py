"""Store benchmark: applying 1 and 10,000 attribute edits to a 10k- and a 1M-feature file
(the 1-edit time must not grow with the file), and reading a layer with each GDAL path.

Generates its data with the sample generator under ``bench-data/`` (reused between runs).
Run: ``python benchmarks/bench_store.py [--sizes 10000,1000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
from _data import sample_file

from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store


def edit_times(master: Path, n_edits: int, repeat: int) -> list[float]:
    work = master.with_name(f"work-{master.name}")
    shutil.copyfile(master, work)
    out = []
    with Store.open(work) as store:
        keys = [(t, r[0]) for t in ("litter_bin", "road_segment", "green_space", "bridge")
                for r in store.conn.execute(f'SELECT asset_uuid FROM "{t}"')]
        rng = np.random.default_rng(0)
        for i in range(repeat):
            picked = rng.choice(len(keys), size=min(n_edits, len(keys)), replace=False)
            deltas = [Delta(keys[j][0], keys[j][1], {}, {"condition": int(1 + (i + j) % 5)})
                      for j in picked.tolist()]
            t0 = time.perf_counter()
            store.apply(deltas, user="bench")
            out.append(time.perf_counter() - t0)
    work.unlink()
    return out


def read_times(path: Path) -> dict[str, float]:
    import pyogrio

    res = {}
    t0 = time.perf_counter()
    pyogrio.read_dataframe(path, layer="litter_bin", use_arrow=True)
    res["pyogrio + Arrow"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pyogrio.read_dataframe(path, layer="litter_bin", use_arrow=False)
    res["pyogrio (no Arrow)"] = time.perf_counter() - t0
    try:  # fiona is no dependency any more (docs/design-decisions.md); measured if present
        import fiona
    except ImportError:
        return res
    t0 = time.perf_counter()
    with fiona.open(path, layer="litter_bin") as src:
        n = sum(1 for _ in src)
    res[f"fiona record loop ({n:,} records)"] = time.perf_counter() - t0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        path = sample_file(n)
        for k in (1, 10_000):
            times = edit_times(path, k, args.repeat)
            rows.append((n, k, statistics.median(times) * 1000, min(times) * 1000))
    print("\nApplying attribute edits with Store.apply (one transaction each, median of "
          f"{args.repeat})")
    print(f"{'features':>10} {'edits':>7} {'median ms':>10} {'min ms':>8}")
    for n, k, med, lo in rows:
        print(f"{n:>10,} {k:>7,} {med:>10.1f} {lo:>8.1f}")
    one = {n: med for n, k, med, _ in rows if k == 1}
    if len(one) > 1:
        small, large = min(one), max(one)
        print(f"1-edit time ratio {large:,} / {small:,} features: "
              f"{one[large] / one[small]:.2f}x (flat = does not grow with the file)")
    path = sample_file(min(max(sizes), 100_000) if max(sizes) >= 100_000 else max(sizes))
    print(f"\nReading litter_bin of {path.name}")
    for name, secs in read_times(path).items():
        print(f"  {name:<40} {secs:8.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
