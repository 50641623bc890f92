"""Every key figure in one table: ours, the peer (QGIS, ogr2ogr, sqlite3, pygeodiff) and,
with ``--before``, the same command from another checkout (main), all in one run.

Each figure is a whole process (start-up included) timed from outside, with its peak memory
(the kernel's maxrss of the process and what it waited for), except sync, whose workers report
their own time and peak (bench_sync.py). The contenders of a row run in turn, A B A B ..., so a
change in the machine's load hits all of them alike; medians are printed, and the load average
before and after.

    python benchmarks/run_all.py --quick                      # CI-sized data, a few minutes
    python benchmarks/run_all.py --quick --before /path/to/main-checkout
    python benchmarks/run_all.py                              # full size (1M features, 100k import)
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
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEM_PYTHON = "/usr/bin/python3"
SIZES = {"quick": {"district": 10_000, "import": 20_000, "sync": 20_000, "changes": 500},
         "full": {"district": 1_000_000, "import": 100_000, "sync": 1_000_000,
                  "changes": 10_000}}


@dataclass
class Side:
    """One contender of a row: a command line, its environment, and the files to copy
    (source, destination: a file or a folder) before each run, untimed."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    setup: list[tuple[str, str]] = field(default_factory=list)
    reads_result: bool = False  # the process prints JSON {"seconds", "peak_mb"} as last line
    # a second command line, taken on every other run of the row's sides that have one (an
    # edit that sets 3, then 4, ...: each run really changes its row and saves)
    alternate: list[str] = field(default_factory=list)


@dataclass
class Row:
    what: str
    ours: Side
    peer: Side | None = None
    peer_name: str = ""
    target: str = ""
    results: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def run_once(side: Side, base_env: dict[str, str],
             argv: list[str] | None = None) -> tuple[float, float]:
    """(seconds, peak MB) of one run of ``side`` (``argv``: instead of its own)."""
    argv = argv or side.argv
    for src, dst in side.setup:
        if Path(src).is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)
    env = {**base_env, **side.env}
    # bytecode caches as an installed package has them (pip compiles on install)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        # not from the checkout: ``python -m`` puts the working folder first on the path
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{text[-2000:]}")
    peak = usage.ru_maxrss / 1024
    if side.reads_result:
        result = json.loads(text.strip().splitlines()[-1])
        seconds, peak = result["seconds"], result["peak_mb"]
    return seconds, peak


def measure(rows: list[Row], repeat: int, before: Path | None) -> None:
    ours_env = {"PYTHONPATH": str(ROOT)}
    for row in rows:
        sides: dict[str, tuple[Side, dict[str, str]]] = {"ours": (row.ours, ours_env)}
        if before is not None:
            sides["before"] = (row.ours, {"PYTHONPATH": str(before)})
        if row.peer is not None:
            sides["peer"] = (row.peer, {})
        print(f"  {row.what} ...", file=sys.stderr, flush=True)
        turn = 0

        def run(side: Side, env: dict[str, str]) -> tuple[float, float]:
            nonlocal turn
            argv = side.alternate if side.alternate and turn % 2 else side.argv
            turn += bool(side.alternate)
            return run_once(side, {**os.environ, **env}, argv)

        for side, env in sides.values():  # a warm-up run each, not counted
            run(side, env)
        for _ in range(repeat):
            for name, (side, env) in sides.items():
                row.results.setdefault(name, []).append(run(side, env))


def _median(runs: list[tuple[float, float]] | None, k: int) -> float | None:
    return statistics.median(r[k] for r in runs) if runs else None


def _fmt(runs: list[tuple[float, float]] | None) -> str:
    if not runs:
        return "—"
    s, mb = _median(runs, 0), _median(runs, 1)
    assert s is not None and mb is not None
    return f"{s * 1000:.0f} ms, {mb:.0f} MB" if s < 1 else f"{s:.2f} s, {mb:.0f} MB"


def _ratio(a: list[tuple[float, float]] | None, b: list[tuple[float, float]] | None) -> str:
    if not a or not b:
        return "—"
    ta, tb = _median(a, 0), _median(b, 0)
    ma, mb = _median(a, 1), _median(b, 1)
    assert ta and tb and ma and mb
    return f"{ta / tb:.2f} (memory {ma / mb:.1f}x)"


def table(rows: list[Row], before: bool) -> str:
    head = ["what", "ours"] + (["before (main)", "ours/before"] if before else []) + \
        ["peer", "ours/peer", "target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        r = row.results
        cells = [row.what, _fmt(r.get("ours"))]
        if before:
            cells += [_fmt(r.get("before")), _ratio(r.get("ours"), r.get("before"))]
        peer = f"{row.peer_name} {_fmt(r.get('peer'))}" if row.peer else "—"
        cells += [peer, _ratio(r.get("ours"), r.get("peer")), row.target]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- the rows --------------------------------------------------------------------------------
def citymgr(*args: str) -> list[str]:
    return [sys.executable, "-m", "citymgr_desktop", *args]


def one_percent_box(path: Path) -> str:
    """A 10 % x 10 % window (1 % of the area) around the middle of the data."""
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import Store

    with Store.open(path, read_only=True) as store:
        found = store.asset_extent([t.name for t in sc.ASSET_TABLES])
    assert found is not None, f"{path} has no assets"
    (minx, miny, maxx, maxy), _ = found
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    return f"{cx - w:.1f},{cy - h:.1f},{cx + w:.1f},{cy + h:.1f}"


SQLITE_EDIT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
for name in ("ST_IsEmpty", "ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY"):
    conn.create_function(name, 1, lambda blob: 0)
conn.execute("UPDATE litter_bin SET condition = 3 WHERE fid = 1")
conn.commit()
"""


def build_rows(size: dict[str, int], work: Path, only: str | None = None) -> list[Row]:
    """The rows, with their data generated (only those whose label contains ``only``)."""
    sys.path.insert(0, str(HERE))
    from _data import sample_file
    from bench_import import make_sources

    from citymgr_desktop.core.store import create as project

    district = sample_file(size["district"])
    n = size["district"]
    qgis = [SYSTEM_PYTHON, str(HERE / "_qgis_render.py")]
    qgis_env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": "", "LC_ALL": "C.UTF-8"}
    png = str(work / "map.png")
    box = one_percent_box(district)
    rows = [
        Row("`citymgr --help`", Side(citymgr("--help")),
            Side([sys.executable, "-c", "pass"]), "`python -c pass`", "< 0.15 s"),
        Row(f"first frame {n:,}, whole `citymgr render` process",
            Side(citymgr("render", str(district), "--out", png, "--size", "1920x1080",
                         "--overwrite")),
            Side([*qgis, str(district), png, "1920", "1080"], qgis_env), "QGIS",
            "≤ 0.3x QGIS, memory ≤ QGIS"),
        Row(f"`citymgr render --bbox` (1 % of {n:,}), whole process",
            Side(citymgr("render", str(district), "--out", png, "--size", "1920x1080",
                         "--bbox", box, "--overwrite")),
            Side([*qgis, str(district), png, "1920", "1080", box], qgis_env), "QGIS",
            "≤ 0.5x QGIS"),
    ]
    # ours and before edit one copy, setting 3 and 4 in turn (each run changes the row and
    # saves); the sqlite3 process its own copy: a write by another program makes the next
    # citymgr open check the whole file again (store/integrity.py), 1 s at 1M
    edit_file, peer_file = work / "edit.gpkg", work / "edit-sqlite3.gpkg"
    shutil.copyfile(district, edit_file)
    shutil.copyfile(district, peer_file)
    edit = citymgr("edit", str(edit_file), "--layer", "litter_bin", "--where", "fid = 1",
                   "--set", "condition=3")
    rows.append(Row(f"`citymgr edit` of one row in {n:,}, whole process",
                    Side(edit, alternate=[*edit[:-1], "condition=4"]),
                    Side([sys.executable, "-c", SQLITE_EDIT, str(peer_file)]),
                    "sqlite3 UPDATE process", "< 0.3 s"))
    m = size["import"]
    what = f"import {m:,} points, Shapefile, whole process"
    if only is None or only in what:
        src_dir = work / "import-src"
        src_dir.mkdir()
        bins, _ = make_sources(src_dir, m)
        # the empty project made under the target's own name, as `citymgr new city.gpkg`
        # then `citymgr import city.gpkg` does: a copy under another name would make every
        # run re-point the embedded QGIS project first (a renamed file's one-off put-right)
        (work / "empty").mkdir()
        empty = project.create_project(work / "empty" / "import.gpkg", "EPSG:4547", "420106")
        target = work / "import.gpkg"
        rows.append(Row(what, Side(citymgr("import", str(target), str(bins), "--as",
                                           "litter_bin"), setup=[(str(empty), str(target))]),
                        Side(["ogr2ogr", "-append", "-t_srs", "EPSG:4547", "-nln", "bins",
                              str(target), str(bins)], setup=[(str(empty), str(target))]),
                        "`ogr2ogr -append`", "≤ 2x ogr2ogr"))
    what = f"sync, {size['sync']:,} master, {size['changes']:,} changes a side"
    if only is None or only in what:
        rows += sync_rows(size, work, what)
    # in process: CPU per frame (all threads), median of 31 frames of one process
    rows.append(Row(f"1 % quick frame from scratch, {n:,}, CPU per frame (in process)",
                    Side([sys.executable, str(HERE / "bench_quick_frame.py"), "--worker",
                          str(district), "--frames", "31", "--whole-only"],
                         {"QT_QPA_PLATFORM": "offscreen"}, reads_result=True),
                    target="< 16 ms"))
    rows.append(app_open_row(work))
    rows.append(Row(f"atlas, one page per 街道, {n:,}, whole process",
                    Side(citymgr("print-map", str(district), "--out", str(work / "atlas.pdf"),
                                 "--atlas", "district", "--overwrite")),
                    target="not worse than before"))
    return rows


def app_open_row(work: Path) -> Row:
    """The app opening the 4 MB sample (both sizes): the whole ``citymgr-desktop FILE
    --screenshot`` process, which opens, draws the still frame, writes the picture and
    exits, on a fresh copy with fresh settings each run; QGIS's ``--snapshot`` the peer
    when there is a display (``xvfb-run -a python benchmarks/run_all.py``). The moments in
    between (window, first frame, answering input): bench_app_open.py."""
    sample = ROOT / "sample_data" / "district.gpkg"
    (work / "app-empty").mkdir()
    folder, qgis_folder = work / "app-open", work / "app-open-qgis"
    file, png = folder / "district.gpkg", str(work / "app-open.png")
    ours = Side([sys.executable, "-m", "citymgr_desktop.ui.app", str(file), "--screenshot",
                 png, "--size", "1440x900"],
                {"XDG_CONFIG_HOME": str(work / "app-config"),
                 "XDG_DATA_HOME": str(work / "app-data")},
                setup=[(str(work / "app-empty"), str(folder)),
                       (str(work / "app-empty"), str(work / "app-config")),
                       (str(sample), str(file))])
    peer = None
    if os.environ.get("DISPLAY") and shutil.which("qgis"):  # QGIS exits 1 after its picture
        qgis_file = qgis_folder / "district.gpkg"
        peer = Side(["sh", "-c", 'qgis "$@"; test -s "$3"', "qgis", "--nologo", "--snapshot",
                     str(work / "app-open-qgis.png"), "--noversioncheck", "--noplugins",
                     "--profiles-path", str(work / "qgis-profiles"), "--width", "1440",
                     "--height", "900", str(qgis_file)],
                    setup=[(str(work / "app-empty"), str(qgis_folder)),
                           (str(sample), str(qgis_file))])
    return Row("open the 4 MB sample in the app to its still frame, whole "
               "`citymgr-desktop --screenshot` process", ours, peer,
               "QGIS `--snapshot`" if peer else "", "not worse than before")


def sync_rows(size: dict[str, int], work: Path, what: str) -> list[Row]:
    """The sync on a fresh copy of the master (its whole-file check paid by the sync), and
    on the same copy as the app left it (opened and closed by the app first, untimed: the
    check remembered, as after the office's own last save; bench_sync.py)."""
    import bench_sync

    master0, pkg0 = bench_sync.prepare(size["sync"])
    edited = work / "sync-source"  # copied whole before each run
    edited.mkdir()
    shutil.copyfile(master0, edited / "master.gpkg")
    shutil.copytree(Path(str(master0) + ".sync"), edited / "master.gpkg.sync")
    shutil.copyfile(pkg0, edited / "field.gpkg")
    shutil.copyfile(pkg0, edited / "base.gpkg")  # the ancestor, for pygeodiff
    bench_sync.edit_both(edited / "master.gpkg", edited / "field.gpkg", size["changes"],
                         size["changes"] // 2)
    run = work / "sync-run"
    fresh = [(str(edited), str(run))]
    worker = [sys.executable, str(HERE / "bench_sync.py"), "--worker"]
    peer = Side([*worker, "geodiff", str(run)], setup=fresh, reads_result=True)
    target = "≤ 0.5x pygeodiff, memory ≤ 2x"
    cache = {"CITYMGR_CACHE_DIR": str(work / "sync-cache")}
    return [Row(f"{what} (in process)", Side([*worker, "ours", str(run)], cache, fresh, True),
                peer, "pygeodiff", target),
            Row(f"{what}, master as the app left it (in process)",
                Side([*worker, "ours-left", str(run)], cache, fresh, True), peer, "pygeodiff",
                target)]


def prepare(quick: bool, work: Path, only: str | None) -> list[Row]:
    """Generate the data and the rows in a child process: the parent, which starts every
    timed process, stays small (a forked child starts with its parent's memory counted)."""
    proc = subprocess.run([sys.executable, __file__, "--prepare", str(work)]
                          + (["--quick"] if quick else []) + (["--only", only] if only else []),
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
                          stdout=subprocess.PIPE, text=True)
    rows = []
    for raw in json.loads(proc.stdout.strip().splitlines()[-1]):
        sides = {k: Side(**{**raw[k], "setup": [tuple(p) for p in raw[k]["setup"]]})
                 for k in ("ours", "peer") if raw[k]}
        rows.append(Row(raw["what"], sides["ours"], sides.get("peer"), raw["peer_name"],
                        raw["target"]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI-sized data (10k features)")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each contender (median)")
    ap.add_argument("--before", type=Path, help="a checkout to compare with (e.g. main)")
    ap.add_argument("--only", help="run only the rows whose label contains this text")
    ap.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    size = SIZES["quick" if args.quick else "full"]
    if args.prepare:
        print(json.dumps([asdict(r) for r in build_rows(size, args.prepare, args.only)]))
        return
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="citymgr-bench-") as tmp:
        rows = prepare(args.quick, Path(tmp), args.only)
        if args.only:
            rows = [r for r in rows if args.only in r.what]
        t0 = time.perf_counter()
        measure(rows, args.repeat, args.before.resolve() if args.before else None)
        minutes = (time.perf_counter() - t0) / 60
    load1 = os.getloadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {load0[0]:.2f} before and {load1[0]:.2f} after "
          f"({minutes:.1f} min); medians of {args.repeat} alternating runs\n")
    print(table(rows, args.before is not None))


if __name__ == "__main__":
    main()
