"""What the fault tests share, and the one way every test runs ``citymgr`` as a process
(:func:`run`): the commands of ``citymgr`` with their arguments, running them (in this
process, or as a real process with a file-size limit), a folder on a small disk,
and the one assertion every fault must pass: an exit code, one line on stderr, no traceback,
the file byte-identical when nothing was written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ERROR_PREFIX = "citymgr: error: "
CONFLICTS = 9  # sync left conflicts open: "citymgr: N conflict(s) left open; ..." (not an error)


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def ok(self, *, quiet: bool = False) -> str:
        """The output of a run that must succeed (exit 0; ``quiet``: and say nothing on
        stderr); else the assertion shows its stderr."""
        assert self.rc == 0 and not (quiet and self.err), self.err
        return self.out


def cli(argv: list[str]) -> Result:
    """``citymgr ARGV`` in this process (fast); an exception escaping ``main`` is a traceback."""
    from citymgr_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            rc = int(exc.code or 0)
        except BaseException as exc:  # what a user would see as a traceback
            raise AssertionError(f"citymgr {' '.join(map(str, argv))}: traceback: "
                                 f"{type(exc).__name__}: {exc}") from exc
    return Result(rc, out.getvalue(), err.getvalue())


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("CITYMGR_BLOCK_QT", None)
    return env


def command(argv: Sequence[object]) -> list[str]:
    return [sys.executable, "-m", "citymgr_desktop", *map(str, argv)]


LANGUAGE_VARIABLES = ("CITYMGR_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def run(argv: Sequence[object], *, env: Mapping[str, str] | None = None,
        file_limit: int | None = None, timeout: float = 600) -> Result:
    """``citymgr ARGV`` as a real process, the one way the tests run it: this checkout first
    on the path, the language the CLI's own default (the caller's ``CITYMGR_LANG``, ``LANG``
    and ``LC_*`` are not passed on), UTF-8 output; ``env``: variables to set on top (e.g.
    ``CITYMGR_LANG``). ``file_limit`` caps the size of any file it writes (RLIMIT_FSIZE:
    writes past it fail with EFBIG, like a full disk)."""

    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    variables = {k: v for k, v in environment().items() if k not in LANGUAGE_VARIABLES}
    proc = subprocess.run(command(argv), capture_output=True, text=True, encoding="utf-8",
                          env={**variables, **(env or {})}, timeout=timeout,
                          preexec_fn=limit if file_limit is not None else None)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(result: Result, codes: set[int] | None = None) -> str:
    """A failure a person can read: a non-zero exit code (one of ``codes``), exactly one line
    on stderr starting ``citymgr: error:``, no traceback. Returns the message."""
    assert "Traceback" not in result.err, result.err
    assert result.rc != 0, f"exit 0, expected a failure; stdout: {result.out[:300]}"
    if codes is not None:
        assert result.rc in codes, f"exit {result.rc} not in {codes}: {result.err}"
    lines = result.err_lines
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{result.err}"
    if result.rc == CONFLICTS and not lines[0].startswith(ERROR_PREFIX):
        assert lines[0].startswith("citymgr: ") and "conflict" in lines[0], lines[0]
        return lines[0]
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    return lines[0][len(ERROR_PREFIX):]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def leftovers(folder: Path) -> list[str]:
    """Temporary files of ours (and SQLite's) left in ``folder``."""
    return sorted(p.name for p in folder.iterdir()
                  if ".part-" in p.name or p.name.endswith(("-journal", "-wal")))


def quick_check(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()


# -- a small disk ---------------------------------------------------------------------------
class SmallDisk:
    """A folder where only a few bytes can still be written: a tmpfs of its own when this
    process may mount one (root on Linux), else an ordinary folder whose commands run with
    a file-size limit (``RLIMIT_FSIZE``: writes past it fail with EFBIG)."""

    def __init__(self, folder: Path, mounted: bool) -> None:
        self.folder = folder
        self.mounted = mounted
        self.free_bytes = 0

    @property
    def kind(self) -> str:
        return "tmpfs" if self.mounted else "file-size limit"

    def clear(self) -> None:
        for p in self.folder.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()

    def fill(self, free: int) -> None:
        """Leave about ``free`` bytes for what comes next."""
        self.free_bytes = free
        if not self.mounted:
            return
        filler = self.folder / "filler.bin"
        filler.unlink(missing_ok=True)
        written = 0
        with filler.open("wb", buffering=0) as fh:  # until the disk says it is full
            for size in (1 << 20, 1 << 12, 1):
                try:
                    while True:
                        written += fh.write(b"\0" * size)
                except OSError:
                    continue
        if free:
            os.truncate(filler, max(0, written - free))
        filler.chmod(0o444)

    def free(self) -> None:
        """Give the space back (a later run must succeed)."""
        (self.folder / "filler.bin").unlink(missing_ok=True)
        self.free_bytes = 1 << 40

    def run(self, argv: list[str], grows: Path | None = None) -> Result:
        """Run a command on the disk; with a file-size limit instead of a tmpfs, ``grows``
        names the file that may grow by the room left (else new files get that room)."""
        if self.mounted or self.free_bytes >= 1 << 40:
            return run(argv)
        base = grows.stat().st_size if grows is not None else 0
        return run(argv, file_limit=base + self.free_bytes)


@contextlib.contextmanager
def small_disk(size_mb: int = 48) -> Iterator[SmallDisk]:
    """A :class:`SmallDisk` for the duration of the block."""
    folder = Path(tempfile.mkdtemp(prefix="citymgr-small-disk-"))
    mounted = False
    wanted = os.environ.get("CITYMGR_FAULTS_DISK", "tmpfs")  # "limit": the file-size limit
    if wanted == "tmpfs" and sys.platform.startswith("linux") and os.geteuid() == 0 \
            and shutil.which("mount"):
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",
                               str(folder)], capture_output=True)
        mounted = proc.returncode == 0
    try:
        yield SmallDisk(folder, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
