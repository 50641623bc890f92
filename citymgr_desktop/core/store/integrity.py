"""Is the file whole before we trust it: SQLite's ``quick_check`` when a file is opened (a
malformed file is never written, and its reads fail with one line instead of wrong
answers), and the hot journal a killed or starved writer left behind, rolled back.

The check reads every page of the file: about 10 ms for the 3.5 MB sample and 1.0 s for a
1M-feature, 570 MB file (``benchmarks/bench_faults.py``). Its result is cached by file
identity (path, size, modification and change times in nanoseconds, inode), in this process and in a
small file in the user's cache folder, so a file is checked once per version; a commit of our
own on a file found whole records the new version as whole (SQLite keeps a whole file whole).
Files above :data:`READ_CHECK_BYTES` are checked when opened for writing only.

A command that will need two files checked (a sync: the master and the package) starts the
second one's check in a thread (:func:`check_in_background`) while the first is checked: a
later :func:`quick_check` of that file waits for it and finds its version known whole, or
checks again itself (a damaged file is found by the caller, exactly as without the thread).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from citymgr_desktop.core import cache
from citymgr_desktop.core.gpkg.connection import connect

READ_CHECK_BYTES = 256 * 1024 * 1024  # reads of bigger files skip the (uncached) check
_CACHE_ENTRIES = 500
_READONLY_ROLLBACK = 776  # SQLITE_READONLY_ROLLBACK: a hot journal on a read-only open

Identity = tuple[str, int, int, int, int, int]

_lock = threading.Lock()
_memory: set[Identity] = set()
_pending: dict[str, threading.Thread] = {}  # resolved path -> its check running in a thread


def identity(path: Path) -> Identity | None:
    """(resolved path, size, mtime ns, inode, device, ctime ns) of ``path``; None if it cannot
    be read. The change time is the one a copy keeps no matter what: ``cp -p`` or a folder
    copied back sets the old mtime (and may get the old inode), which also sets the ctime."""
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev,
                st.st_ctime_ns)
    except OSError:
        return None


def cache_file() -> Path:
    """Where checked file identities are kept: resolved path -> [size, mtime ns, inode,
    device, ctime ns] (``CITYMGR_CACHE_DIR`` overrides the folder; an entry of an older
    shape is not valid: that file is checked once more)."""
    return cache.folder() / "quick_check.json"


def _valid(key: Any, value: Any) -> bool:
    return isinstance(key, str) and isinstance(value, list) and len(value) == 5 \
        and all(type(v) is int for v in value)


def known_whole(path: Path) -> bool:
    """Whether this version of ``path`` was found whole before (no check needed)."""
    ident = identity(path)
    if ident is None:
        return False
    with _lock:
        if ident in _memory:
            return True
    if cache.load(cache_file(), _valid).get(ident[0]) == list(ident[1:]):
        with _lock:
            _memory.add(ident)
        return True
    return False


def remember_whole(path: Path) -> None:
    """Record the current version of ``path`` as whole (best effort: a cache that cannot be
    written only means the next open checks again)."""
    ident = identity(path)
    if ident is None:
        return
    _remember(ident)


def _remember(ident: Identity) -> None:
    with _lock:
        _memory.add(ident)
    # a cache: lost is only checked again
    cache.remember(cache_file(), ident[0], list(ident[1:]), _CACHE_ENTRIES, _valid)


def check_in_background(path: Path) -> None:
    """Start the quick_check of ``path`` in a thread, on a read-only connection of its own
    (SQLite releases the GIL while it reads: two files are checked on two cores). It only
    fills the cache: a file found whole is remembered, anything else (damage, a hot journal,
    a file that cannot be opened) is left for the caller's own :func:`quick_check`."""
    ident = identity(path)
    if ident is None or known_whole(path):
        return
    key = ident[0]
    with _lock:
        if key in _pending:
            return
        thread = threading.Thread(target=_check_quietly, args=(Path(key), ident),
                                  name="quick_check", daemon=True)
        _pending[key] = thread
        thread.start()  # inside the lock: nobody joins it before it started


def _check_quietly(path: Path, ident: Identity) -> None:
    try:
        conn = connect(str(path), read_only=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA main.quick_check(20)").fetchall()]
        finally:
            conn.close()
        if rows == ["ok"] and identity(path) == ident:  # the version it read, unchanged
            _remember(ident)
    except Exception:  # anything wrong: the caller's own check says what
        pass
    finally:
        with _lock:
            _pending.pop(str(path), None)


def _wait_for_background(path: Path) -> None:
    """A check of ``path`` running in a thread (:func:`check_in_background`) finished."""
    try:
        key = str(path.resolve())
    except OSError:
        return
    with _lock:
        thread = _pending.get(key)
    if thread is not None:
        thread.join()


def quick_check(conn: sqlite3.Connection, path: Path, *, use_cache: bool = True,
                schema: str = "main") -> list[str]:
    """SQLite's findings on ``path``, the database ``schema`` of ``conn`` (empty: whole),
    cached by file identity (a check of it running in a thread is waited for)."""
    _wait_for_background(path)
    if use_cache and known_whole(path):
        return []
    try:
        rows = [r[0] for r in conn.execute(f'PRAGMA "{schema}".quick_check(20)').fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    if rows == ["ok"]:
        remember_whole(path)
        return []
    return findings_of(rows)


def findings_of(rows: list[str]) -> list[str]:
    """quick_check's rows as one finding each: a row may hold many lines
    ("*** in database main ***\nPage 340: ...\nPage 337: ...")."""
    lines = [line.strip() for row in rows for line in str(row).splitlines()]
    return [f for f in lines if f and not f.startswith("***")] or ["quick_check failed"]


def describe(findings: list[str]) -> str:
    """The findings of :func:`quick_check` in one line: the first, and how many more."""
    if len(findings) <= 1:
        return findings[0] if findings else ""
    return f"{findings[0]}; {len(findings) - 1} more like it"


def should_check(path: Path, read_only: bool) -> bool:
    """A write always checks; a read checks files up to :data:`READ_CHECK_BYTES` (and any
    file whose version was checked before, which costs nothing)."""
    if not read_only:
        return True
    try:
        return path.stat().st_size <= READ_CHECK_BYTES or known_whole(path)
    except OSError:
        return False


def is_hot_journal_error(exc: sqlite3.Error) -> bool:
    """SQLite could not roll back a hot journal because the connection is read-only."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code == _READONLY_ROLLBACK


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def roll_back_hot_journal(path: Path) -> None:
    """Let SQLite roll back the hot journal of ``path``: a read-write connection's first read
    does it (the file returns to its last committed state; nothing of ours is written)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()
