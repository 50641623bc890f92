"""``kill -9`` at a random point of a writing command, and what must hold afterwards.

A command runs in a child process whose SQLite connections call a progress handler every
:data:`STEP` virtual-machine instructions (``sqlite3.connect`` wrapped before the command
starts). The steps taken inside transactions, and each commit, are counted: a reference run
counts them, a kill run SIGKILLs itself at step ``k`` (random in 1..steps): inside a
statement of the write, between two of them, or just after a commit. Writers that spend their time outside SQLite (PDF and image
exports) are killed after a random delay instead.

Afterwards the project must pass SQLite's check (a hot journal is rolled back by the next
open), hold exactly the state before or the state after the command (all or nothing), and an
output file must be absent, the old one, or complete. Used by ``tests/faults/test_kill.py``
(a few runs) and ``benchmarks/bench_faults.py`` (many runs, a table).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.support import ROOT, environment

STEP = 100  # SQLite instructions between two calls of the progress handler

CHILD = """
import os, signal, sqlite3, sys, threading
mode, arg, count_file = sys.argv[1], sys.argv[2], sys.argv[3]
argv = sys.argv[4:]
calls = [0]
def tick():
    calls[0] += 1
    if mode == "step" and calls[0] >= int(arg):
        os.kill(os.getpid(), signal.SIGKILL)
class Connection(sqlite3.Connection):
    def execute(self, sql, *args):
        cursor = super().execute(sql, *args)
        if isinstance(sql, str) and sql.lstrip().upper().startswith(("COMMIT", "END")):
            tick()  # just after a commit: the change is on disk, the command not finished
        return cursor
def handler_for(conn):
    def handler():
        if conn.in_transaction:  # inside a write (reads outside one are not counted)
            tick()
        return 0
    return handler
real_connect = sqlite3.connect
def connect(*args, **kwargs):
    kwargs.setdefault("factory", Connection)
    conn = real_connect(*args, **kwargs)
    conn.set_progress_handler(handler_for(conn), STEP)
    return conn
sqlite3.connect = connect
if mode == "time":
    timer = threading.Timer(float(arg), lambda: os.kill(os.getpid(), signal.SIGKILL))
    timer.daemon = True
    timer.start()
from citymgr_desktop.cli import main
rc = main(argv)
with open(count_file, "w") as fh:
    fh.write(str(calls[0]))
sys.exit(rc)
""".replace("STEP", str(STEP))


@dataclass(frozen=True)
class Writer:
    """A writing command: its arguments (``{f}`` project, ``{d}`` folder, ``{package}``,
    ``{asset}``, ``{case}``, ``{photo}``, ``{run}`` the last sync's uuid) and the output file
    it makes, if any; ``prepare`` runs first on each copy, whole (a sync to undo)."""

    name: str
    argv: tuple[str, ...]
    output: str | None = None
    by_time: bool = False  # killed after a delay (its work is not in SQLite)
    prepare: tuple[str, ...] = ()


WRITERS = (
    Writer("edit", ("edit", "{f}", "--layer", "road_segment", "--where", "true", "--set",
                    "remarks=巡查复核")),
    Writer("history add", ("history", "add", "{f}", "--asset", "{asset}", "--type", "repair",
                           "--date", "2026-11-21", "--condition-after", "1", "--attach",
                           "{photo}")),
    Writer("workorders create", ("workorders", "create", "{f}", "--layer", "litter_bin",
                                 "--where", "condition >= 3", "--priority", "2", "--title",
                                 "垃圾箱维修")),
    Writer("workorders move", ("workorders", "move", "{f}", "{case}", "--to", "in_progress",
                               "--user", "张三")),
    Writer("import", ("import", "{f}", "{package}", "--as", "litter_bin", "--layer",
                      "litter_bin", "--id-field", "asset_uuid", "--id-prefix", "field:")),
    Writer("sync", ("sync", "{f}", "{package}")),
    Writer("sync-undo", ("sync-undo", "{f}", "{run}"),
           prepare=("sync", "{f}", "{package}", "--no-backup")),
    Writer("field-package", ("field-package", "{f}", "--out", "{d}/out.gpkg", "--overwrite"),
           "out.gpkg"),
    Writer("new", ("new", "{d}/out.gpkg"), "out.gpkg"),
    Writer("export gpkg", ("workorders", "export", "{f}", "--format", "gpkg", "--out",
                           "{d}/out.gpkg", "--overwrite"), "out.gpkg", by_time=True),
    Writer("export pdf", ("workorders", "export", "{f}", "--format", "pdf", "--out",
                          "{d}/out.pdf", "--overwrite"), "out.pdf", by_time=True),
    Writer("print-map", ("print-map", "{f}", "--out", "{d}/out.pdf", "--paper", "A2",
                         "--overwrite"),
           "out.pdf", by_time=True),
    Writer("report", ("report", "{f}", "--month", "2026-10", "--out", "{d}/out.pdf",
                      "--overwrite"), "out.pdf", by_time=True),
    Writer("sample", ("sample", "--out", "{d}/out.gpkg", "--features", "1500", "--overwrite"),
           "out.gpkg", by_time=True),
    Writer("export xlsx", ("workorders", "export", "{f}", "--format", "xlsx", "--out",
                           "{d}/out.xlsx", "--overwrite"), "out.xlsx", by_time=True),
    Writer("stats xlsx", ("stats", "{f}", "--by", "district,bgid", "--xlsx", "{d}/out.xlsx",
                          "--overwrite"), "out.xlsx", by_time=True),
)
WRITERS_BY_NAME = {w.name: w for w in WRITERS}

# What a command may change, as counts and sums that do not depend on the clock.
SNAPSHOT = {
    "assets": "SELECT (SELECT count(*) FROM road_segment), (SELECT count(*) FROM bridge), "
              "(SELECT count(*) FROM green_space), (SELECT count(*) FROM litter_bin)",
    "remarks": "SELECT (SELECT total(length(remarks)) FROM road_segment), "
               "(SELECT total(length(remarks)) FROM litter_bin)",
    "conditions": "SELECT total(condition) FROM litter_bin",
    "records": "SELECT (SELECT count(*) FROM maintenance_record), "
               "(SELECT count(*) FROM attachment)",
    "orders": "SELECT (SELECT count(*) FROM work_order), (SELECT count(*) FROM "
              "work_order_asset), (SELECT count(*) FROM work_order_event), "
              "(SELECT group_concat(state, ',') FROM (SELECT state FROM work_order ORDER BY "
              "state))",  # a new order's uuid is random: its place in a uuid order too
    "sync": "SELECT (SELECT count(*) FROM field_package), (SELECT count(*) FROM sync_run), "
            "(SELECT count(*) FROM sync_journal)",
}


def snapshot(path: Path) -> dict[str, tuple]:
    """The project's state as the all-or-nothing check compares it (opening it rolls back a
    hot journal, as any next program would)."""
    conn = sqlite3.connect(str(path))
    try:
        return {k: tuple(conn.execute(sql).fetchone()) for k, sql in SNAPSHOT.items()}
    finally:
        conn.close()


@dataclass
class Run:
    rc: int
    seconds: float
    steps: int = 0
    stderr: str = ""


def run_child(argv: list[str], mode: str = "count", arg: str = "0",
              timeout: float = 300) -> Run:
    with tempfile.NamedTemporaryFile("r", suffix=".steps", delete=False) as fh:
        count_file = fh.name
    try:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, mode, arg, count_file,
                               *map(str, argv)], capture_output=True, text=True,
                              env=environment(), cwd=ROOT, timeout=timeout)
        seconds = time.perf_counter() - t0
        text = Path(count_file).read_text() if Path(count_file).stat().st_size else "0"
        return Run(proc.returncode, seconds, int(text or 0), proc.stderr)
    finally:
        os.unlink(count_file)


@dataclass
class Outcome:
    """One kill: where, and what was found afterwards."""

    writer: str
    at: str  # "step k/n" or "t s"
    killed: bool
    state: str  # "before", "after", or "mixed"
    output: str  # "none", "old", "complete", "broken", "-"
    problems: list[str] = field(default_factory=list)


def _names(project, folder: Path) -> dict[str, object]:
    photo = folder / "photo.jpg"
    if not photo.exists():
        photo.write_bytes(b"\xff\xd8\xff" + random.Random(1).randbytes(150_000))
    return {"f": folder / project.master.name, "d": folder,
            "package": folder / project.package.name, "asset": project.asset,
            "case": project.case, "photo": photo}


def _argv(writer: Writer, names: dict[str, object]) -> list[str]:
    return [part.format(**names) for part in writer.argv]


def _prepare(writer: Writer, names: dict[str, object]) -> None:
    """Run the writer's ``prepare`` command to its end; ``{run}``: the last sync's uuid."""
    if not writer.prepare:
        return
    done = run_child([part.format(**names) for part in writer.prepare])
    if done.rc not in (0, 9):
        raise AssertionError(f"{writer.name}: preparing failed: {done.stderr}")
    conn = sqlite3.connect(str(names["f"]))
    try:
        row = conn.execute("SELECT sync_uuid FROM sync_run ORDER BY rowid DESC LIMIT 1"
                           ).fetchone()
    finally:
        conn.close()
    names["run"] = row[0] if row else ""


def reference(project, writer: Writer, folder: Path) -> tuple[Run, dict[str, tuple]]:
    """A complete run on a copy: how many steps (or seconds) it takes, the state after."""
    copy = project.copy_to(folder)
    names = _names(copy, folder)
    _prepare(writer, names)
    run = run_child(_argv(writer, names))
    if run.rc not in (0, 9):
        raise AssertionError(f"{writer.name}: the reference run failed: {run.stderr}")
    return run, snapshot(copy.master)


def kill_once(project, writer: Writer, folder: Path, ref: Run, after: dict[str, tuple],
              rng: random.Random, check_output: Callable[[Path], str],
              at_commit: bool | None = None) -> Outcome:
    """Run ``writer`` on a fresh copy, kill it at a random point, check the aftermath.
    ``at_commit``: kill it just after its last commit (True), at a random step before
    (False), or either (None: the commit one time in five)."""
    copy = project.copy_to(folder)
    names = _names(copy, folder)
    _prepare(writer, names)
    out = folder / writer.output if writer.output else None
    if out is not None and writer.name != "new":
        out.write_bytes(b"the earlier output")
    before = snapshot(copy.master)
    if writer.by_time:
        delay = rng.uniform(0.2, 1.0) * ref.seconds
        run = run_child(_argv(writer, names), "time", f"{delay:.3f}")
        at = f"{delay:.2f} s of {ref.seconds:.1f}"
    else:
        steps = max(1, ref.steps)
        # the last step is the commit's: aimed at one time in five, else rarely hit
        if at_commit is None:
            at_commit = rng.random() < 0.2
        k = steps if at_commit else rng.randint(1, steps)
        run = run_child(_argv(writer, names), "step", str(k))
        at = f"step {k} of {ref.steps}"
    killed = run.rc == -signal.SIGKILL
    problems = []
    if not killed and run.rc not in (0, 9):
        problems.append(f"exit {run.rc}: {run.stderr.strip()[-300:]}")
    try:
        now = snapshot(copy.master)
    except sqlite3.DatabaseError as exc:
        return Outcome(writer.name, at, killed, "mixed", "-", [f"unreadable: {exc}"])
    conn = sqlite3.connect(str(copy.master))
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    conn.close()
    if check != "ok":
        problems.append(f"quick_check: {check}")
    state = "before" if now == before else "after" if now == after else "mixed"
    if state == "mixed":
        diff = {k: (before[k], now[k], after[k]) for k in now if now[k] not in (before[k],
                                                                             after[k])}
        problems.append(f"neither before nor after: {diff}")
    output = "-"
    if out is not None:
        output = check_output(out)
        if output == "broken":
            problems.append(f"{out.name} is broken")
    return Outcome(writer.name, at, killed, state, output, problems)


def output_state(path: Path) -> str:
    """What an output file is after a kill: none, the old one, complete, or broken."""
    if not path.exists():
        return "none"
    data = path.read_bytes()
    if data == b"the earlier output":
        return "old"
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        try:
            return "complete" if b"%%EOF" in data[-2048:] and PdfReader(str(path)).pages \
                else "broken"
        except Exception:
            return "broken"
    if path.suffix == ".xlsx":
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                return "complete" if z.testzip() is None else "broken"
        except (zipfile.BadZipFile, OSError):
            return "broken"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        conn.close()
    except sqlite3.DatabaseError:
        ok = False
    return "complete" if ok else "broken"


def clean_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
