"""Benchmark: ``citymgr export`` of one asset layer in each format, as whole processes.

Generates a sample district of N features once (``citymgr sample``, default 200,000: about
120,000 litter bins) under /tmp/bench/layer_export, then exports its litter bins (all, and
the ``condition >= 4`` ones) as GeoJSON, GeoPackage, CSV and XLSX, REPEAT times each, and
prints medians of wall time, CPU (user+system of the process) and peak memory.

    python benchmarks/bench_layer_export.py
    python benchmarks/bench_layer_export.py --features 50000 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path("/tmp/bench/layer_export")
ROOT = Path(__file__).resolve().parents[1]
CASES = [("geojson", None), ("gpkg", None), ("csv", None), ("xlsx", None),
         ("geojson", "condition >= 4")]


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users do not have it
    return env


def _run(argv: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one ``citymgr`` process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "citymgr_desktop", *argv], env=_env(),
                            stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)  # this process's own figures
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"citymgr {' '.join(argv)}: exit {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / f"district-{args.features}.gpkg"
    if not source.exists():
        _run(["sample", "--out", str(source), "--features", str(args.features)])
    print(f"litter bins of a {args.features:,}-feature district, {args.repeat} run(s), "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'export':<28} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for fmt, where in CASES:
        runs = []
        for _ in range(args.repeat):
            argv = ["export", str(source), "--layer", "litter_bin", "--out",
                    str(DATA / f"bins.{fmt}"), "--overwrite"]
            runs.append(_run(argv + (["--where", where] if where else [])))
        wall, cpu, peak = (statistics.median(r[i] for r in runs) for i in range(3))
        name = fmt + (f" ({where})" if where else "")
        print(f"{name:<28} {wall:>8.2f} {cpu:>8.2f} {peak:>8.0f}")


if __name__ == "__main__":
    main()
