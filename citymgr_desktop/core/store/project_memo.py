"""Embedded QGIS projects known to read the file they are in, remembered across processes.

The first write through a store checks that the embedded project reads this very file (a copy
renamed outside citymgr still reads the original's name: ``qgis_project.repoint``). Unpacking
and searching the project on every write is most of what that check costs, and its answer
depends only on the stored project and the file's name: so the pair (a digest of the two) is
remembered once found right, in memory and in a small file beside the integrity cache (a
cache file of ``core/cache.py``). Another project (QGIS saved one, citymgr embedded a new
one) or another name (a copy, a rename) is a new pair, checked in full once.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from citymgr_desktop.core import cache
from citymgr_desktop.core.qgis.embedded import gpkg_file_name, stored_project

_ENTRIES = 500
_lock = threading.Lock()
_memory: set[str] = set()


def memo_file() -> Path:
    """The keys found right, each with the value true."""
    return cache.folder() / "qgis_project.json"


def project_key(conn: sqlite3.Connection) -> str | None:
    """A digest of the stored project and the file's name (None without a project)."""
    stored = stored_project(conn)
    if stored is None:
        return None
    data = stored.encode() if isinstance(stored, str) else bytes(stored)
    return hashlib.sha256(gpkg_file_name(conn).encode() + b"\0" + data).hexdigest()


def known_right(key: str | None) -> bool:
    """Whether the project of ``key`` (:func:`project_key`) was found to read its file."""
    if key is None:
        return False
    with _lock:
        if key in _memory:
            return True
    if cache.load(memo_file()).get(key) is True:
        with _lock:
            _memory.add(key)
        return True
    return False


def remember_right(key: str | None) -> None:
    """Record ``key`` as a project that reads its file (best effort: a memo that cannot be
    written only means the next write checks again)."""
    if key is None:
        return
    with _lock:
        _memory.add(key)
    cache.remember(memo_file(), key, True, _ENTRIES)
