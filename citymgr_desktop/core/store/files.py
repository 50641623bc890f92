"""The file before SQLite sees it, and SQLite's errors as a user reads them: missing, empty,
foreign, truncated, not writable, locked, full disk, damaged."""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import disk_full_error, is_disk_full
from citymgr_desktop.core.errors import BadFileError, CitymgrError, ReadOnlyError, ValidationError
from citymgr_desktop.core.store.integrity import (
    is_hot_journal_error,
    journal_path,
    roll_back_hot_journal,
)
from citymgr_desktop.core.store.targets import display_name, is_database_target

SQLITE_MAGIC = b"SQLite format 3\x00"


def file_path(name: str | os.PathLike[str]) -> Path:
    """``name`` as the path of a project file; a database's name (a ``postgresql://`` URL or
    ``service=``) is refused here, before ``Path`` folds the URL's ``//``."""
    if is_database_target(name):
        raise BadFileError("{path}: this command needs a project file, not a database; "
                           "write an offline copy with 'citymgr snapshot URL --out "
                           "FILE.gpkg'", path=display_name(str(name)))
    return Path(name)


def check_file(path: Path, *, field_copy: bool = False) -> None:
    """Refuse a missing, empty, foreign or truncated file before SQLite sees it
    (``field_copy``: a field package, whose good copy is on the device, not in a backup)."""
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
    if pages and path.stat().st_size < pages * page_size and field_copy:
        raise BadFileError(
            "{path}: the file is truncated ({size} of {expected} bytes); copy the package "
            "again from the tablet or phone", path=path, size=path.stat().st_size,
            expected=pages * page_size)
    if pages and path.stat().st_size < pages * page_size:
        raise BadFileError(
            "{path}: the file is truncated ({size} of {expected} bytes); restore it from a "
            "backup", path=path, size=path.stat().st_size, expected=pages * page_size)


def is_writable(path: Path) -> bool:
    """Whether we may write ``path``: permission, and not marked read-only (even for root),
    in a writable folder on a writable drive (:func:`why_read_only` says which fails)."""
    return not why_read_only(path)


def why_read_only(path: Path) -> str:
    """Why :func:`is_writable` says no, for the window to tell the user what to change:
    ``"mount"`` (a read-only drive or mount: no permission helps), ``"file"`` (the file's
    permissions or read-only mark), ``"folder"`` (its folder's: the recovery and sync files
    live beside it); ``""`` when the file may be written."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "mount"
    except (OSError, AttributeError):  # no statvfs on Windows: the permissions tell
        pass
    try:
        mode = path.stat().st_mode
    except OSError:
        return "file"
    if not (os.access(path, os.W_OK) and mode & 0o222):
        return "file"
    return "" if os.access(path.parent, os.W_OK) else "folder"


def sqlite_error(path: Path, exc: sqlite3.Error, *, writing: bool = False) -> CitymgrError:
    """An SQLite failure on ``path`` as one of our errors, with what to do. ``writing``: it
    happened inside a write transaction (which SQLite or the store rolled back)."""
    msg = str(exc)
    if is_disk_full(exc, path):
        return disk_full_error(path, kept=not writing)
    if "locked" in msg or "busy" in msg:
        return BadFileError("{path}: locked by another program; close it there and try again",
                            path=path)
    if "readonly" in msg or "read-only" in msg:
        return ReadOnlyError("{path}: the file or its folder is read-only", path=path)
    if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
        return damaged_error(path, msg)
    if "no such table" in msg:
        return BadFileError("{path}: not a valid GeoPackage ({reason})", path=path, reason=msg)
    if "unable to open" in msg:
        return BadFileError("{path}: cannot be opened ({reason})", path=path, reason=msg)
    if "disk I/O error" in msg:
        return BadFileError("{path}: the disk reported an error ({detail}); copy the file to "
                            "another disk and check it with 'citymgr validate'",
                            path=path, detail=msg)
    return BadFileError("{path}: {reason}", path=path, reason=msg)


def damaged_error(path: Path, detail: str) -> BadFileError:
    """The file is malformed (a damaged disk, a bit flip, a copy cut short)."""
    return BadFileError("{path}: the file is damaged ({detail}); nothing was changed. Restore "
                        "it from a backup", path=path, detail=detail)


def open_connection(path: Path, read_only: bool, writable: bool) -> sqlite3.Connection:
    """A connection that has read the GeoPackage's core tables. A hot journal (a writer was
    killed, or its disk filled, inside a transaction) is rolled back first when the file may
    be written; otherwise the error says what happened and what to do."""
    for attempt in (1, 2):
        try:
            conn = gpkg.connect(str(path), read_only=read_only)
            try:
                conn.execute("SELECT count(*) FROM gpkg_contents").fetchone()
                conn.execute("SELECT count(*) FROM gpkg_spatial_ref_sys").fetchone()
            except BaseException:
                conn.close()
                raise
            return conn
        except sqlite3.Error as exc:
            if attempt == 1 and is_hot_journal_error(exc):
                if not writable:
                    raise BadFileError(
                        "{path}: a write was interrupted (a crash or a full disk) and its "
                        "journal {journal} is still there; it can only be rolled back with "
                        "write access. Make the file and its folder writable and run "
                        "'citymgr info {path}' once", path=path,
                        journal=journal_path(path).name) from None
                try:
                    roll_back_hot_journal(path)
                except sqlite3.Error as again:
                    raise sqlite_error(path, again) from None
                continue
            raise sqlite_error(path, exc) from None
    raise AssertionError("unreachable")


def is_file_error(exc: BaseException) -> bool:
    """An SQLite error about the file (full, locked, read-only, damaged, I/O), not about
    the statement: raised as one of ours when a transaction ends with it."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def as_user_error(exc: BaseException, path: str | os.PathLike[str] | None) -> CitymgrError | None:
    """The one line a person reads for a failure no command turned into one of our errors
    (the command line's last resort; the causes are fixed where they happen): SQLite's
    errors, a full disk, an unreadable file, text that is not UTF-8. None: a bug, not a
    fault of the file or the input."""
    where = Path(path) if path else Path("?")
    if isinstance(exc, CitymgrError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return sqlite_error(where, exc)
    if is_disk_full(exc):
        return disk_full_error(where, kept=True)
    if isinstance(exc, UnicodeError):
        return ValidationError("a value given is not valid text ({detail}); type it again or "
                               "save the file as UTF-8", detail=str(exc))
    if isinstance(exc, MemoryError):
        return CitymgrError("not enough memory for this command; close other programs or "
                            "work on a smaller area")
    if isinstance(exc, OSError):
        name = exc.filename or where
        return BadFileError("{path}: {reason}", path=name, reason=exc.strerror or str(exc))
    if type(exc).__module__.startswith("pyogrio"):
        return BadFileError("{path}: GDAL cannot read or write it ({detail})", path=where,
                            detail=str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
    return None
