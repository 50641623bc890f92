"""How fast ``citymgr --help`` (and so shell completion and a typo's usage line) answers.

Each command imports its heavy libraries (pandas, GeoPandas, pyogrio, pyproj, NumPy, Shapely,
Qt) inside its run function, and the parser builds a command's options only when it is chosen
(the list of commands is a table), so ``--help`` costs about what starting Python costs.
Prints the median of ``--repeat`` runs of each command line as a fresh process, next to
``python -c pass`` and to importing the GIS stack, which every command paid before.

    python benchmarks/bench_cli_help.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ("citymgr --help", [sys.executable, "-m", "citymgr_desktop", "--help"]),
    ("citymgr workorders export --help",
     [sys.executable, "-m", "citymgr_desktop", "workorders", "export", "--help"]),
    ("citymgr edit --help", [sys.executable, "-m", "citymgr_desktop", "edit", "--help"]),
    ("citymgr completion bash", [sys.executable, "-m", "citymgr_desktop", "completion", "bash"]),
    ("import pandas, geopandas, pyogrio (before)",
     [sys.executable, "-c", "import pandas, geopandas, pyogrio"]),
]


def time_it(cmd: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches, as an installed package has
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"| command line | median s ({args.repeat} runs) |")
    print("| --- | ---: |")
    for label, cmd in CASES:
        print(f"| `{label}` | {time_it(cmd, args.repeat):.3f} |")


if __name__ == "__main__":
    main()
