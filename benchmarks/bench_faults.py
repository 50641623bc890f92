"""Benchmark (nightly mode of the fault suite): many ``kill -9`` at random points of every
writing command, the damaged-file corpus through every command, and what SQLite's
quick_check costs when a big file is opened for writing.

Prints three tables. The kills use the machinery of ``tests/faults/kill.py`` (a reference run
counts SQLite steps, each kill lands at a random step, every fourth just after the last
commit; exports that draw with Qt are killed after a random delay); every kill must leave the project whole with all of the change or
none, and outputs absent, old or complete.

    PYTHONPATH=. python benchmarks/bench_faults.py                 # 20 kills per command
    PYTHONPATH=. python benchmarks/bench_faults.py --runs 100 --features 4000
    PYTHONPATH=. python benchmarks/bench_faults.py --quick-check-features 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CITYMGR_CACHE_DIR", tempfile.mkdtemp(prefix="bench-faults-cache-"))

from benchmarks._data import sample_file  # noqa: E402
from tests.faults import kill  # noqa: E402
from tests.faults.project import make_project  # noqa: E402


def kills(project, runs: int, seed: int, names: list[str], work: Path) -> int:
    print(f"\n## kill -9 at random points ({runs} per command, seed {seed})\n")
    print("| command | kills | finished first | before | after | outputs none/old/complete "
          "| failures |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    failures = 0
    for writer in (w for w in kill.WRITERS if w.name in names):
        ref, after = kill.reference(project, writer, work / "reference")
        rng = random.Random(f"{seed}-{writer.name}")
        seen: Counter[str] = Counter()
        outputs: Counter[str] = Counter()
        bad: list[str] = []
        for i in range(runs):
            folder = work / f"run-{i}"
            outcome = kill.kill_once(project, writer, folder, ref, after, rng,
                                     kill.output_state, at_commit=i % 4 == 3)
            seen["killed" if outcome.killed else "finished"] += 1
            seen[outcome.state] += 1
            outputs[outcome.output] += 1
            if outcome.problems:
                bad.append(f"{outcome.at}: {outcome.problems}")
            kill.clean_folder(folder)
        kill.clean_folder(work / "reference")
        failures += len(bad)
        out = "-" if writer.output is None else \
            f"{outputs['none']}/{outputs['old']}/{outputs['complete']}"
        print(f"| {writer.name} | {seen['killed']} | {seen['finished']} | {seen['before']} | "
              f"{seen['after']} | {out} | {len(bad)} |", flush=True)
        for line in bad[:5]:
            print(f"  FAILED {line}", file=sys.stderr)
    return failures


def corpus(project, work: Path) -> int:
    """Every command of tests/faults/test_damaged_files.py on every damage, in-process."""
    from tests.faults.corpus import DAMAGES
    from tests.faults.support import cli
    from tests.faults.test_damaged_files import COMMANDS, _argv

    print("\n## damaged files through every command\n")
    print("| damage | commands | exit codes | one line | tracebacks | file changed on failure |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    bad = 0
    for damage, make in DAMAGES.items():
        codes: Counter[int] = Counter()
        one_line = tracebacks = changed = 0
        for template in COMMANDS.values():
            folder = work / "corpus"
            shutil.rmtree(folder, ignore_errors=True)
            copy = project.copy_to(folder)
            make(copy.master)
            out = folder / "out"
            out.mkdir()
            before = copy.master.read_bytes()
            try:
                result = cli(_argv(template, f=copy.master, out=out, package=copy.package,
                                   asset=copy.asset, case=copy.case, good=project.master))
            except AssertionError:
                tracebacks += 1
                continue
            codes[result.rc] += 1
            lines = result.err_lines
            one_line += (len(lines) == 1) if result.rc else (len(lines) == 0)
            if result.rc not in (0, 9) and copy.master.read_bytes() != before:
                changed += 1
        bad += tracebacks + changed
        shown = ", ".join(f"{c}×{n}" for c, n in sorted(codes.items()))
        print(f"| {damage} | {len(COMMANDS)} | {shown} | {one_line} | {tracebacks} | "
              f"{changed} |", flush=True)
    return bad


def quick_check_cost(features: int) -> None:
    from citymgr_desktop.core.store import Store, integrity

    path = sample_file(features)
    size = path.stat().st_size
    print(f"\n## quick_check when a file is opened for writing ({features:,} features, "
          f"{size / 1e6:.0f} MB)\n")
    print("| what | seconds |")
    print("| --- | ---: |")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    t0 = time.perf_counter()
    conn.execute("PRAGMA quick_check").fetchone()
    print(f"| PRAGMA quick_check alone | {time.perf_counter() - t0:.2f} |")
    conn.close()
    os.environ["CITYMGR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-faults-fresh-")
    integrity._memory.clear()
    t0 = time.perf_counter()
    Store.open(path).close()
    print(f"| Store.open, first time (checks, remembers) | {time.perf_counter() - t0:.2f} |")
    integrity._memory.clear()  # a new process: only the cache file remembers
    t0 = time.perf_counter()
    Store.open(path).close()
    print(f"| Store.open again, new process (cached) | {time.perf_counter() - t0:.3f} |")
    t0 = time.perf_counter()
    Store.open(path, read_only=True).close()
    print(f"| Store.open read-only, same process | {time.perf_counter() - t0:.3f} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20, help="kills per command (default 20)")
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("--features", type=int, default=1000,
                   help="size of the project the kills and the corpus use (default 1000)")
    p.add_argument("--commands", help="comma-separated writers (default all): "
                   + ", ".join(w.name for w in kill.WRITERS))
    p.add_argument("--quick-check-features", type=int, default=1_000_000,
                   help="file for the quick_check cost (0: skip; default 1,000,000)")
    p.add_argument("--skip-corpus", action="store_true")
    args = p.parse_args()
    names = [n.strip() for n in args.commands.split(",")] if args.commands else \
        [w.name for w in kill.WRITERS]
    work = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    t0 = time.perf_counter()
    try:
        project = make_project(work / "project", features=args.features)
        failures = kills(project, args.runs, args.seed, names, work)
        if not args.skip_corpus:
            failures += corpus(project, work)
        if args.quick_check_features:
            quick_check_cost(args.quick_check_features)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{failures} failure(s) in {time.perf_counter() - t0:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
