"""Benchmark: ``citymgr export`` of one asset layer in each format, as whole processes.

Generates a sample district of N features once (``citymgr sample``, default 200,000: about
120,000 litter bins) under /tmp/bench/layer_export, then exports its litter bins (all, the
``condition >= 4`` ones, and a hundred as a selection would be) as GeoJSON, GeoPackage, CSV
and XLSX, REPEAT times each, and prints medians of wall time, CPU (user+system of the
process) and peak memory. With ``--before DIR`` the same export from another checkout runs
in turn with ours (A B A B ...) and the ratios ours/before are printed too.

    python benchmarks/bench_layer_export.py
    python benchmarks/bench_layer_export.py --features 50000 --repeat 1
    python benchmarks/bench_layer_export.py --before /tmp/before-s29 --only xlsx
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
         ("geojson", "condition >= 4"), ("xlsx", "condition >= 4"), ("gpkg", "fid <= 100")]


def _env(root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users do not have it
    return env


def _run(argv: list[str], root: Path = ROOT) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one ``citymgr`` process of the checkout ``root``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "citymgr_desktop", *argv], env=_env(root),
                            stdout=subprocess.DEVNULL, cwd=root)
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
    ap.add_argument("--before", type=Path, default=None,
                    help="another checkout (main) to run in turn with this one")
    ap.add_argument("--only", default="", help="only the cases whose name holds this text")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / f"district-{args.features}.gpkg"
    if not source.exists():
        _run(["sample", "--out", str(source), "--features", str(args.features)])
    roots = {"ours": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    print(f"litter bins of a {args.features:,}-feature district, {args.repeat} run(s), "
          f"load {os.getloadavg()[0]:.1f}")
    head = f"{'export':<30}" + "".join(f" {side + ' ' + what:>15}" for side in roots
                                         for what in ("wall s", "CPU s", "MB"))
    print(head + ("  CPU ours/before" if args.before else ""))
    for fmt, where in CASES:
        name = fmt + (f" ({where})" if where else "")
        if args.only not in name:
            continue
        runs: dict[str, list[tuple[float, float, float]]] = {side: [] for side in roots}
        for _ in range(args.repeat):
            for side, root in roots.items():  # in turn: a change of load hits both
                argv = ["export", str(source), "--layer", "litter_bin", "--out",
                        str(DATA / f"bins-{side}.{fmt}"), "--overwrite"]
                runs[side].append(_run(argv + (["--where", where] if where else []), root))
        medians = {side: [statistics.median(r[i] for r in rs) for i in range(3)]
                   for side, rs in runs.items()}
        line = f"{name:<30}" + "".join(f" {v:>15.2f}" if i < 2 else f" {v:>15.0f}"
                                       for m in medians.values() for i, v in enumerate(m))
        if args.before:
            line += f"  {medians['ours'][1] / medians['before'][1]:>15.2f}"
        print(line)
    print(f"load after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
