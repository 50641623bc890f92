"""The file before SQLite sees it, and SQLite's errors as a user reads them: missing, empty,
foreign, truncated, not writable, locked."""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, CitymgrError, ReadOnlyError

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_file(path: Path) -> None:
    """Refuse a missing, empty, foreign or truncated file before SQLite sees it."""
    if not path.exists():
        raise BadFileError("{path}: no such file", path=path)
    if path.is_dir():
        raise BadFileError("{path}: is a folder, not a GeoPackage file", path=path)
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except PermissionError:
        raise BadFileError("{path}: permission denied (cannot read the file)", path=path) from None
    except OSError as exc:
        raise BadFileError("{path}: cannot be read ({reason})", path=path,
                           reason=exc.strerror) from None
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        raise BadFileError("{path}: not a GeoPackage (not an SQLite database)", path=path)
    app_id = struct.unpack(">I", head[68:72])[0]
    if app_id not in (gpkg.APPLICATION_ID, 0x47503130):  # "GPKG", or "GP10" of GeoPackage 1.0
        raise BadFileError("{path}: an SQLite database, but not a GeoPackage (application_id)",
                           path=path)
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", head[28:32])[0]
    if pages and path.stat().st_size < pages * page_size:
        raise BadFileError(
            "{path}: the file is truncated ({size} of {expected} bytes); restore it from a "
            "backup", path=path, size=path.stat().st_size, expected=pages * page_size)


def is_writable(path: Path) -> bool:
    """Whether we may write ``path``: permission, and not marked read-only (even for root)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
            and bool(mode & 0o222))


def sqlite_error(path: Path, exc: sqlite3.OperationalError) -> CitymgrError:
    """An SQLite failure on ``path`` as one of our errors, with what to do."""
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return BadFileError("{path}: locked by another program; close it there and try again",
                            path=path)
    if "readonly" in msg or "read-only" in msg:
        return ReadOnlyError("{path}: the file or its folder is read-only", path=path)
    if "no such table" in msg:
        return BadFileError("{path}: not a valid GeoPackage ({reason})", path=path, reason=msg)
    if "unable to open" in msg:
        return BadFileError("{path}: cannot be opened ({reason})", path=path, reason=msg)
    return BadFileError("{path}: {reason}", path=path, reason=msg)
