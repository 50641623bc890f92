"""Small best-effort cache files in the user's cache folder: what was checked, looked up or
compiled once, remembered across processes (the integrity cache, the PROJ and CRS memos,
shiboken's code objects).

A cache file holds one mapping, oldest entry first, at most a given number of entries. A
file that is missing, damaged or written by another version reads as an empty cache (and is
rewritten whole by the next :func:`store`); a write goes through :func:`atomic_path` without
a flush to the disk (lost in a power cut, never seen half-written), and one that fails (no
home folder, a read-only one, a full disk) only means the work is done again next time.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_lock = threading.Lock()  # a read-modify-write of a cache file, one thread at a time

Valid = Callable[[Any, Any], bool]


def folder() -> Path:
    """The folder of citymgr's cache files (``CITYMGR_CACHE_DIR`` overrides it)."""
    base = os.environ.get("CITYMGR_CACHE_DIR")
    if base:
        return Path(base)
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return root / "citymgr" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "citymgr"


def load(path: Path, valid: Valid | None = None, *, binary: bool = False) -> dict[Any, Any]:
    """The entries of the cache file ``path``, oldest first: those ``valid(key, value)``
    accepts (all when None); empty when the file is missing, cannot be read or decoded, or
    holds no mapping. ``binary``: the file is :mod:`marshal`'s, else JSON (string keys)."""
    try:
        data = marshal.loads(path.read_bytes()) if binary else \
            json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # missing, unreadable, damaged: an empty cache
        return {}
    if not isinstance(data, dict):
        return {}
    out = {}
    for key, value in data.items():
        with contextlib.suppress(Exception):  # an entry the check cannot even look at
            if valid is None or valid(key, value):
                out[key] = value
    return out


def store(path: Path, entries: Mapping[Any, Any], limit: int, *, binary: bool = False) -> None:
    """Write the newest ``limit`` of ``entries`` (oldest first) as the cache file ``path``
    (best effort: nothing is raised)."""
    from citymgr_desktop.core.atomic import atomic_path

    kept = dict(list(entries.items())[-limit:]) if limit > 0 else {}
    with contextlib.suppress(Exception):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, durable=False) as tmp:
            if binary:
                tmp.write_bytes(marshal.dumps(kept))
            else:
                tmp.write_text(json.dumps(kept), encoding="utf-8")


def remember(path: Path, key: Any, value: Any, limit: int, valid: Valid | None = None, *,
             binary: bool = False) -> None:
    """Add (or renew) one entry of the cache file ``path`` as its newest; the oldest go past
    ``limit`` entries. Best effort, one thread at a time."""
    with _lock:
        entries = load(path, valid, binary=binary)
        entries.pop(key, None)
        entries[key] = value
        store(path, entries, limit, binary=binary)
