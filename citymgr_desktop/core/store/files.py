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
        raise BadFileError(f"{path}: no such file")
    if path.is_dir():
        raise BadFileError(f"{path}: is a folder, not a GeoPackage file")
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except PermissionError:
        raise BadFileError(f"{path}: permission denied (cannot read the file)") from None
    except OSError as exc:
        raise BadFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(head) < 100 or head[:16] != SQLITE_MAGIC:
        raise BadFileError(f"{path}: not a GeoPackage (not an SQLite database)")
    app_id = struct.unpack(">I", head[68:72])[0]
    if app_id not in (gpkg.APPLICATION_ID, 0x47503130):  # "GPKG", or "GP10" of GeoPackage 1.0
        raise BadFileError(f"{path}: an SQLite database, but not a GeoPackage (application_id)")
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages = struct.unpack(">I", head[28:32])[0]
    if pages and path.stat().st_size < pages * page_size:
        raise BadFileError(
            f"{path}: the file is truncated ({path.stat().st_size} of {pages * page_size} bytes); "
            "restore it from a backup"
        )


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
        return BadFileError(f"{path}: locked by another program; close it there and try again")
    if "readonly" in msg or "read-only" in msg:
        return ReadOnlyError(f"{path}: the file or its folder is read-only")
    if "no such table" in msg:
        return BadFileError(f"{path}: not a valid GeoPackage ({msg})")
    if "unable to open" in msg:
        return BadFileError(f"{path}: cannot be opened ({msg})")
    return BadFileError(f"{path}: {msg}")
