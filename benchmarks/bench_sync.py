"""Benchmark: check-in of a field package, citymgr sync against pygeodiff (Mergin Maps' engine).

Same data for both: a master of N features (default 1,000,000, generated once under
/tmp/bench/sync), a field package of the whole master (so pygeodiff, which keys rows by fid,
sees the same three files), CHANGES attribute edits on each side with OVERLAP rows touched by
both (half of them the same attribute: conflicts). Each contender runs in its own process
(peak memory is that process's maxrss) on fresh copies, REPEAT times; medians are printed.

pygeodiff does: changeset base->master, changeset base->field, rebase, apply. citymgr does the
whole sync: compare by content, merge, backup copy, journal, base copy for the next sync,
integrity/quick check, one transaction.

Two rows of ours (and of --before): **cold**, the master a fresh copy nobody opened, so the
sync's open pays SQLite's whole-file quick_check of it (~1-1.3 s of CPU at 1M); and **master
as the app left it**, the same fresh copy opened and closed once with ``Store.open`` by a
process of its own before the timed one (untimed), as when the office's last edit was
saved by the app: its check is remembered by file identity (``core/store/integrity.py``),
so the sync's open skips it. The package's check is paid in both (it comes from the field).
The bench's processes keep that memory in a cache folder of their own (CITYMGR_CACHE_DIR).

    python benchmarks/bench_sync.py                      # 1M features, 10k changes per side
    python benchmarks/bench_sync.py --features 100000 --changes 2000 --repeat 1
    python benchmarks/bench_sync.py --before /tmp/before   # also an older checkout's sync
    python benchmarks/bench_sync.py --data DIR    # the data (and the runs' copies) in DIR

CPU is the worker process's user+system time (all its threads, its start included): the
steadier figure on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path("/tmp/bench/sync")
TABLES = ["road_segment", "bridge", "green_space", "litter_bin", "maintenance_record",
          "attachment"]


def _status(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    """Peak resident memory of this process (MB): VmHWM, which (unlike ru_maxrss) does not
    inherit the parent's peak across fork and exec."""
    return _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    return _status("VmRSS")


def cpu_s() -> float:
    """User+system CPU of this process so far (every thread)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


# -- data ----------------------------------------------------------------------------------
def prepare(features: int) -> tuple[Path, Path]:
    """The master and its whole-file field package (built once, reused)."""
    from citymgr_desktop.core import sample
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import create_package

    DATA.mkdir(parents=True, exist_ok=True)
    master0 = DATA / f"master-{features}.gpkg"
    pkg0 = DATA / f"package-{features}.gpkg"
    if not master0.exists():
        print(f"generating a {features:,}-feature master (once) ...", flush=True)
        t = time.perf_counter()
        sample.generate(master0, features=features, seed=11)
        print(f"  {time.perf_counter() - t:.1f} s", flush=True)
    if not pkg0.exists():
        work = DATA / "checkout"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        shutil.copyfile(master0, work / "master.gpkg")
        with Store.open(work / "master.gpkg") as store:
            t = time.perf_counter()
            create_package(store, work / "package.gpkg", history_years=None)
            print(f"checkout of the whole master: {time.perf_counter() - t:.1f} s", flush=True)
        shutil.copyfile(work / "master.gpkg", master0.with_suffix(".registered.gpkg"))
        shutil.copytree(work / "master.gpkg.sync",
                        master0.with_suffix(".registered.gpkg.sync"), dirs_exist_ok=True)
        shutil.copyfile(work / "package.gpkg", pkg0)
        shutil.rmtree(work)
    return master0.with_suffix(".registered.gpkg"), pkg0


def edit_both(master: Path, field: Path, changes: int, overlap: int, seed: int = 5) -> None:
    """CHANGES attribute edits per side on litter_bin, OVERLAP rows shared (half conflicting)."""
    import numpy as np

    from citymgr_desktop.core import gpkg

    conn = gpkg.connect(str(master))
    fids = np.array([r[0] for r in conn.execute("SELECT fid FROM litter_bin")])
    conn.close()
    rng = np.random.default_rng(seed)
    pick = rng.choice(fids, size=2 * changes - overlap, replace=False).tolist()
    field_fids = pick[:changes]
    shared = field_fids[:overlap]
    master_fids = shared + pick[changes:]
    with _session(field) as c:
        c.executemany("UPDATE litter_bin SET condition = 1 + (coalesce(condition, 0) % 5), "
                      "remarks = 'field ' || fid WHERE fid = ?", [(f,) for f in field_fids])
    half = set(shared[: overlap // 2])
    with _session(master) as c:
        c.executemany("UPDATE litter_bin SET condition = 1 + ((coalesce(condition, 0) + 2) % 5) "
                      "WHERE fid = ?", [(f,) for f in master_fids if f in half])
        c.executemany("UPDATE litter_bin SET name = 'office ' || fid WHERE fid = ?",
                      [(f,) for f in master_fids if f not in half])


class _session:
    def __init__(self, path: Path) -> None:
        from citymgr_desktop.core import gpkg

        self.conn = gpkg.connect(str(path))

    def __enter__(self):
        self.conn.execute("BEGIN")
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("COMMIT" if exc[0] is None else "ROLLBACK")
        self.conn.close()


def fresh_copies(master0: Path, pkg0: Path, run: Path) -> None:
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copyfile(master0, run / "master.gpkg")
    shutil.copytree(Path(str(master0) + ".sync"), run / "master.gpkg.sync")
    shutil.copyfile(pkg0, run / "field.gpkg")
    shutil.copyfile(pkg0, run / "base.gpkg")  # the ancestor, for pygeodiff


# -- contenders (each in its own process) ----------------------------------------------------
def leave_master(run: Path) -> None:
    """The master opened and closed by the app, as the office's last save leaves it (its
    whole-file check remembered for this version of the file)."""
    from citymgr_desktop.core.store import Store

    with Store.open(run / "master.gpkg"):
        pass


def worker_ours(run: Path, left: bool = False) -> dict:
    """What ``citymgr sync`` does: open the master for the sync, then sync (an older checkout,
    run with --before, has no ``open_for_sync`` and opens the master with ``Store.open``)."""
    from citymgr_desktop.core import sync

    def plain_open(master: Path, _package: Path) -> object:
        from citymgr_desktop.core.store import Store

        return Store.open(master)

    open_master = getattr(sync, "open_for_sync", plain_open)
    if left:  # the app opened and closed the master before: in a process of its own
        subprocess.run([sys.executable, __file__, "--worker", "leave", str(run)], check=True)
    base_rss = current_rss_mb()
    t = time.perf_counter()
    with open_master(run / "master.gpkg", run / "field.gpkg") as store:
        opened = time.perf_counter() - t  # the master's whole-file check, the package's beside
        rep = sync.sync_package(store, run / "field.gpkg", user="bench")
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "peak_mb": rss_mb(), "base_mb": base_rss, "cpu_s": cpu_s(),
            "parts": {"open": opened, **rep.timings}, "counts": rep.totals(),
            "integrity": rep.integrity, "sync_id": rep.sync_id}


def worker_geodiff(run: Path) -> dict:
    import pygeodiff

    base_rss = current_rss_mb()
    g = pygeodiff.GeoDiff()
    g.set_tables_to_include(TABLES)
    parts = {}
    t0 = t = time.perf_counter()
    g.create_changeset(str(run / "base.gpkg"), str(run / "master.gpkg"), str(run / "their.bin"))
    parts["changeset master"], t = time.perf_counter() - t, time.perf_counter()
    g.create_changeset(str(run / "base.gpkg"), str(run / "field.gpkg"), str(run / "mine.bin"))
    parts["changeset field"], t = time.perf_counter() - t, time.perf_counter()
    g.create_rebased_changeset_ex("sqlite", "", str(run / "base.gpkg"), str(run / "mine.bin"),
                                  str(run / "their.bin"), str(run / "rebased.bin"),
                                  str(run / "conflicts.json"))
    parts["rebase"], t = time.perf_counter() - t, time.perf_counter()
    g.apply_changeset(str(run / "master.gpkg"), str(run / "rebased.bin"))
    parts["apply"] = time.perf_counter() - t
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": rss_mb(), "base_mb": base_rss, "cpu_s": cpu_s(),
            "parts": parts,
            "counts": {"rebased changes": g.changes_count(str(run / "rebased.bin"))}}


def cache_env(checkout: str | None) -> dict[str, str]:
    """The environment of a contender: its checkout, its own cache folder."""
    env = {"CITYMGR_CACHE_DIR": str(DATA / f"cache-{'before' if checkout else 'ours'}")}
    return {**env, "PYTHONPATH": checkout} if checkout else env


def run_worker(kind: str, run: Path, checkout: str | None = None) -> dict:
    """One contender in a process of its own (``checkout``: the citymgr_desktop it imports)."""
    env = {**os.environ, **cache_env(checkout)}
    proc = subprocess.run([sys.executable, __file__, "--worker", kind, str(run)],
                          capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    global DATA
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--features", type=int, default=1_000_000)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--overlap", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", metavar="DIR",
                    help="also run the sync of the citymgr_desktop checked out in DIR")
    ap.add_argument("--data", type=Path, default=DATA,
                    help=f"where the masters are made once and copied for each run ({DATA})")
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    DATA = args.data
    if args.worker:
        kind, run = args.worker
        if kind == "leave":
            leave_master(Path(run))
            return
        result = worker_geodiff(Path(run)) if kind == "geodiff" else \
            worker_ours(Path(run), left=kind == "ours-left")
        print(json.dumps(result))
        return

    master0, pkg0 = prepare(args.features)
    contenders = [("ours cold", "ours", None), ("ours app-left", "ours-left", None)]
    if args.before:
        contenders += [("before cold", "ours", args.before),
                       ("before app-left", "ours-left", args.before)]
    contenders.append(("pygeodiff", "geodiff", None))
    results: dict[str, list[dict]] = {name: [] for name, _kind, _dir in contenders}
    for i in range(args.repeat):
        for name, kind, checkout in contenders:
            run = DATA / f"run-{kind}"
            fresh_copies(master0, pkg0, run)
            edit_both(run / "master.gpkg", run / "field.gpkg", args.changes, args.overlap)
            os.sync()  # no write-back of the fresh copies pending while a contender runs
            load = os.getloadavg()[0]
            r = run_worker(kind, run, checkout)
            results[name].append(r)
            print(f"  run {i + 1} {name:<16} {r['seconds']:6.2f} s  CPU {r['cpu_s']:6.2f} s  "
                  f"peak {r['peak_mb']:6.0f} MB  (load {load:.1f})", flush=True)
            shutil.rmtree(run)

    print()
    print(f"check-in of a field package: {args.features:,}-feature master, {args.changes:,} "
          f"attribute changes per side, {args.overlap:,} rows changed on both sides "
          f"(median of {args.repeat})")
    print("cold: a fresh copy of the master; app-left: the same copy opened and closed once "
          "by the app before (untimed), its whole-file check remembered")
    print(f"{'':<17}{'time (s)':>10}{'CPU (s)':>10}{'peak RSS (MB)':>15}{'above start (MB)':>18}")
    med, cpu = {}, {}
    for name, rs in results.items():
        secs = statistics.median(r["seconds"] for r in rs)
        cpu[name] = statistics.median(r["cpu_s"] for r in rs)
        peak = statistics.median(r["peak_mb"] for r in rs)
        above = statistics.median(r["peak_mb"] - r["base_mb"] for r in rs)
        med[name] = secs
        print(f"{name:<17}{secs:>10.2f}{cpu[name]:>10.2f}{peak:>15.0f}{above:>18.0f}")
    for kind in ("cold", "app-left"):
        if f"before {kind}" in results:
            print(f"ours {kind} / before {kind}: time "
                  f"{med[f'ours {kind}'] / med[f'before {kind}']:.2f}, "
                  f"CPU {cpu[f'ours {kind}'] / cpu[f'before {kind}']:.2f}")
    for name in results:
        if name != "pygeodiff":
            print(f"{name} / pygeodiff: time {med[name] / med['pygeodiff']:.2f}, "
                  f"CPU {cpu[name] / cpu['pygeodiff']:.2f}")
    for name, rs in results.items():
        parts = {k: statistics.median(r["parts"].get(k, 0.0) for r in rs) for k in rs[0]["parts"]}
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))
        sync_id = f"; sync id {rs[0]['sync_id']}" if rs[0].get("sync_id") else ""
        check = f"; check: {rs[0]['integrity']}" if rs[0].get("integrity") else ""
        print(f"    result: {rs[0]['counts']}{sync_id}{check}")
    print(f"data in {DATA}; machine: {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
