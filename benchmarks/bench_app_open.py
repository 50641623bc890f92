"""What a person waits for when the app starts: ``citymgr-desktop sample_data/district.gpkg``
as a whole process (offscreen), timed by ``tests/ui/startup_probe.py`` from the process's
start to the first pixels of any window (ours: the splash), to the main window's first paint,
and to its map loaded; plus the child's CPU seconds. With ``--before CHECKOUT`` the same
command of another checkout runs in turn (A B A B ...) and the ratios are taken pair by
pair. Run::

    python benchmarks/bench_startup.py [--runs 10] [--before /tmp/before-uxapp] [--lang zh_CN]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "ui" / "startup_probe.py"


def one_run(tree: Path, file: Path, lang: str) -> dict:
    """One start of the app of ``tree``: the probe's times and the child's CPU seconds."""
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        out = work / "probe.json"
        env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen",
               "XDG_CONFIG_HOME": str(work / "config"), "XDG_DATA_HOME": str(work / "data")}
        proc = subprocess.Popen([sys.executable, str(PROBE), str(out), "-", "--", str(file),
                                 "--lang", lang], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"{tree}: the app exited with status {status}")
        seen = json.loads(out.read_text(encoding="utf-8"))
        return {"first pixels": min(seen["first_paint"].values()),
                "main window": seen["first_paint"]["MainWindow"],
                "map loaded": seen["map_loaded"],
                "cpu": usage.ru_utime + usage.ru_stime}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--before", type=Path, help="another checkout (e.g. git archive of main)")
    p.add_argument("--lang", default="zh_CN", choices=["en", "zh_CN"])
    p.add_argument("--file", type=Path, default=ROOT / "sample_data" / "district.gpkg")
    args = p.parse_args()
    copy = Path(tempfile.mkdtemp(prefix="bench-startup-file-")) / args.file.name
    shutil.copyfile(args.file, copy)
    sides = {"ours": ROOT} | ({"before": args.before} if args.before else {})
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    one_run(ROOT, copy, args.lang)  # warm-up: file cache, fonts cache
    for _ in range(args.runs):
        for name, tree in sides.items():
            runs[name].append(one_run(tree, copy, args.lang))
    keys = ["first pixels", "main window", "map loaded", "cpu"]
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, "
          f"{args.runs} runs each, alternating; medians in seconds from the process start")
    head = ["what", "ours"] + (["before", "ours/before (median of pairs)"] if args.before
                               else [])
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for key in keys:
        ours = statistics.median(r[key] for r in runs["ours"])
        row = [key, f"{ours:.2f}"]
        if args.before:
            before = statistics.median(r[key] for r in runs["before"])
            ratio = statistics.median(a[key] / b[key]
                                      for a, b in zip(runs["ours"], runs["before"], strict=True))
            row += [f"{before:.2f}", f"{ratio:.2f}"]
        print("| " + " | ".join(row) + " |")
    if args.before:
        first = statistics.median(a["first pixels"] / b["main window"]
                                  for a, b in zip(runs["ours"], runs["before"], strict=True))
        print(f"first pixels, ours (the splash) / before (the main window): {first:.2f}")
    shutil.rmtree(copy.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
