"""What a person waits for when the app opens a file: ``citymgr-desktop FILE`` as a whole
process, offscreen and under Xvfb, timed by ``tests/ui/startup_probe.py`` from the process's
start to the first pixels of any window (ours: the splash), the main window's first paint,
the map's first frame painted, its still (antialiased) frame, and the window answering
input with its work-order list filled; plus the process's CPU seconds and peak memory. Then
the whole ``citymgr-desktop FILE --screenshot OUT.png`` process (open, draw the still frame,
write the picture, exit) beside QGIS doing the same (``qgis --nologo --snapshot``, under
Xvfb: QGIS needs a display). With ``--before CHECKOUT`` the same commands of another
checkout run in turn (A B A B ...) and the ratios are taken pair by pair. Run::

    python benchmarks/bench_app_open.py [--runs 8] [--before /tmp/before-s29]
        [--display offscreen|xvfb|both] [--features N] [--no-qgis]

The file is the repository's sample district (4 MB), or with ``--features N`` a generated
one (``bench-data/``); each contender opens its own copy (the app keeps its journal beside
the file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBE = ROOT / "tests" / "ui" / "startup_probe.py"
SIZE = (1440, 900)
MOMENTS = {"first pixels": "first pixels (any window)", "main window": "main window painted",
           "map frame": "first map frame painted", "map still": "still map frame on screen",
           "answering": "answering input, work-order list filled", "cpu": "CPU s (user+sys)",
           "peak": "peak memory MB"}


def _env(tree: Path, work: Path, display: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_DATA_HOME": str(work / "data"), "XDG_CACHE_HOME": str(work / "cache"),
           **display}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches, as an installed package
    if "DISPLAY" not in display:
        env.pop("DISPLAY", None)
    return env


def _wait(argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)
          ) -> tuple[float, float, float]:
    """Run ``argv``: (wall seconds, CPU seconds, peak MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"exit status {os.waitstatus_to_exitcode(status)}: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def probe_run(tree: Path, file: Path, lang: str, display: dict[str, str]) -> dict:
    """One start of the app of ``tree`` on a copy of ``file``: the probe's moments."""
    work = Path(tempfile.mkdtemp(prefix="bench-open-"))
    try:
        copy = work / file.name
        shutil.copyfile(file, copy)
        out = work / "probe.json"
        _, cpu, peak = _wait([sys.executable, str(PROBE), str(out), "-", "--", str(copy),
                              "--lang", lang], _env(tree, work, display), work)
        seen = json.loads(out.read_text(encoding="utf-8"))
        missing = [k for k in ("map_frame", "map_still", "answering") if seen.get(k) is None]
        if missing:
            raise SystemExit(f"{tree}: the probe saw no {', '.join(missing)}: {seen}")
        return {"first pixels": min(seen["first_paint"].values()),
                "main window": seen["first_paint"]["MainWindow"],
                "map frame": seen["map_frame"], "map still": seen["map_still"],
                "answering": seen["answering"], "cpu": cpu, "peak": peak}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def screenshot_run(tree: Path | None, file: Path, display: dict[str, str]) -> dict:
    """The whole ``--screenshot`` process of ``tree`` (None: QGIS's ``--snapshot``)."""
    work = Path(tempfile.mkdtemp(prefix="bench-open-"))
    try:
        copy, png = work / file.name, work / "shot.png"
        shutil.copyfile(file, copy)
        w, h = SIZE
        if tree is None:  # QGIS exits 1 after writing its snapshot
            argv = ["qgis", "--nologo", "--noversioncheck", "--noplugins", "--profiles-path",
                    str(work / "qgis"), "--snapshot", str(png), "--width", str(w), "--height",
                    str(h), str(copy)]
            wall, cpu, peak = _wait(argv, {**os.environ, **display}, work, ok=(0, 1))
        else:
            argv = [sys.executable, "-m", "citymgr_desktop.ui.app", str(copy), "--screenshot",
                    str(png), "--size", f"{w}x{h}"]
            wall, cpu, peak = _wait(argv, _env(tree, work, display), work)
        if not png.exists():
            raise SystemExit(f"no picture from {' '.join(argv)}")
        return {"wall": wall, "cpu": cpu, "peak": peak}
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def xvfb() -> Iterator[dict[str, str]]:
    """An Xvfb server for the runs (a screen as large as an office monitor)."""
    for number in range(91, 120):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1920x1080x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        yield {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
    finally:
        proc.terminate()
        proc.wait()


def _fmt(key: str, value: float) -> str:
    return f"{value:.0f}" if key == "peak" else f"{value:.2f}"


def report(name: str, runs: dict[str, list[dict]], keys: list[str], labels: dict[str, str]
           ) -> None:
    """A table: the medians of ``ours`` (and ``before``, ``qgis``), the median ratios of
    the pairs."""
    sides = [s for s in ("ours", "before", "qgis") if runs.get(s)]
    head = ["what", *sides] + [f"ours/{s} (median of pairs)" for s in sides[1:]]
    print(f"\n{name}\n")
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for key in keys:
        if not all(key in runs[s][0] for s in ("ours", "before") if runs.get(s)):
            continue
        row = [labels[key]]
        for side in sides:
            row.append(_fmt(key, statistics.median(r[key] for r in runs[side]))
                       if key in runs[side][0] else "—")
        for side in sides[1:]:
            pairs = zip(runs["ours"], runs[side], strict=True)
            row.append(f"{statistics.median(a[key] / b[key] for a, b in pairs):.2f}"
                       if key in runs[side][0] else "—")
        print("| " + " | ".join(row) + " |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=8)
    p.add_argument("--before", type=Path, help="another checkout (e.g. git archive of main)")
    p.add_argument("--lang", default="zh_CN", choices=["en", "zh_CN"])
    p.add_argument("--display", default="both", choices=["offscreen", "xvfb", "both"])
    p.add_argument("--features", type=int, help="a generated district of N features "
                   "instead of sample_data/district.gpkg")
    p.add_argument("--no-qgis", action="store_true", help="leave out QGIS's --snapshot")
    args = p.parse_args()
    if args.features:
        sys.path.insert(0, str(HERE))
        from _data import sample_file

        file = sample_file(args.features)
    else:
        file = ROOT / "sample_data" / "district.gpkg"
    trees = {"ours": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    displays = ["offscreen", "xvfb"] if args.display == "both" else [args.display]
    qgis = not args.no_qgis and shutil.which("qgis") is not None
    load0 = os.getloadavg()
    for display in displays:
        with (xvfb() if display == "xvfb" else contextlib.nullcontext(
                {"QT_QPA_PLATFORM": "offscreen"})) as env:
            probes: dict[str, list[dict]] = {name: [] for name in trees}
            shots: dict[str, list[dict]] = {name: [] for name in trees}
            if qgis and display == "xvfb":
                shots["qgis"] = []
            for tree in trees.values():  # warm-up: bytecode, file and font caches
                probe_run(tree, file, args.lang, env)
            for name in shots:
                screenshot_run(trees.get(name), file, env)
            for _ in range(args.runs):
                for name, tree in trees.items():
                    probes[name].append(probe_run(tree, file, args.lang, env))
                for name in shots:
                    shots[name].append(screenshot_run(trees.get(name), file, env))
            report(f"{display}: the app opening {file.name} ({file.stat().st_size / 1e6:.1f} "
                   f"MB), seconds from the process start, medians of {args.runs} "
                   "alternating runs", probes, list(MOMENTS), MOMENTS)
            report(f"{display}: whole process, open, draw, write a {SIZE[0]}x{SIZE[1]} "
                   "picture, exit (ours: --screenshot; QGIS: --snapshot)", shots,
                   ["wall", "cpu", "peak"],
                   {"wall": "wall s", "cpu": "CPU s (user+sys)", "peak": "peak memory MB"})
    load1 = os.getloadavg()
    print(f"\n{os.cpu_count()} cores, load average {load0[0]:.2f} before, {load1[0]:.2f} "
          f"after; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


if __name__ == "__main__":
    main()
