"""Write a file under a temporary name beside the target and rename it into place, so a
failed or cancelled write never leaves a half-written file (nor replaces a good one).

The temporary name keeps the target's extension (GDAL and Qt pick formats and warnings from
it): ``dir/name.ext`` is written as ``dir/.name.part-<pid>.ext``. Before the rename the
writer's ``verify`` callback checks that the temporary file is complete (a PDF ends with
``%%EOF``, a workbook is a readable zip, ...): some writers (Qt's PDF and image writers) do
not report a full disk. The file is flushed to the disk before the rename, and the folder
after it, so a crash leaves the old file or the new. A full disk (``ENOSPC``, ``EFBIG``,
``EDQUOT``, SQLite's ``SQLITE_FULL``) becomes one :class:`BadFileError` that says so.
Temporary files left by a killed process are removed by the next write into the folder.
An output that is a symbolic link is written through: the file it points to is replaced (its
temporary file beside it) and the link stays, as a shell's ``>`` does. An output that exists
and is not a regular file (a device such as ``/dev/stdout``, a FIFO, a socket, a folder), and
``-`` (standard output: every output is a file), are refused before anything is written
(:func:`output_target`).
A target another program holds open (Excel, a PDF viewer: a sharing violation on Windows)
fails at the rename; that is one :class:`BadFileError` naming the file, and the old file
stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from citymgr_desktop.core.errors import BadFileError, CitymgrError

_PART_NAME = re.compile(r"^\.(?P<stem>.+)\.part-(?P<pid>\d+)(?P<suffix>(\.[^.]*)?)"
                        r"(?P<sidecar>-journal|-wal|-shm)?$")
_FULL_ERRNOS = frozenset(e for e in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None))
                         if e is not None)
_FULL_WORDS = ("no space left on device", "database or disk is full", "disk is full",
               "file too large", "disk quota exceeded", "not enough space on the disk")
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_STALE_SECONDS = 86400.0
_NEARLY_FULL_BYTES = 1024 * 1024  # where a process cannot be asked whether it is alive

Verifier = Callable[[Path], None]
_log = logging.getLogger(__name__)
_ENDINGS = frozenset(("pdf", "png", "jpg", "jpeg", "tif", "tiff", "xlsx", "csv", "geojson",
                      "json", "gpkg", "qgz", "txt"))


class Incomplete(Exception):
    """Raised by a verifier (or a writer) inside :func:`atomic_path` when the temporary file
    is not whole; the message says how. It becomes a :class:`BadFileError` naming the target."""


def check_file_name(target: Path) -> None:
    """A name that is only a file ending (".pdf": the name typed before it was lost, e.g. by
    an input method) is an empty file name, said as such (Python reads ".pdf" as a hidden
    file without an ending, so a later "must end in .pdf" would contradict itself)."""
    name = target.name
    if name.startswith(".") and name[1:].lower() in _ENDINGS:
        raise BadFileError("{path}: the file name is empty: only the ending {ending} was given; "
                           "type a name before it", path=target, ending=name)


def output_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces: ``path``, or the file a symbolic link there
    points to (followed to its end: the link stays, its target gets the new content).
    Refused with one :class:`BadFileError`, before anything is written: ``-`` (standard
    output), something that exists and is not a regular file (a folder, a device such as
    ``/dev/null`` or ``/dev/stdout``, a FIFO, a socket), a link that cannot be followed (a
    loop) or that ends in an open file rather than a name in a folder (``/proc/…/fd/1``)."""
    given = Path(path)
    if os.fspath(path) == "-":
        raise BadFileError("-: outputs are written to files, not to standard output; give a "
                           "file name")
    try:
        found: os.stat_result | None = os.stat(given)  # follows links
    except FileNotFoundError:
        found = None
    except OSError as exc:  # a loop of links, a folder on the way that cannot be read
        raise BadFileError("{path}: cannot be written ({reason})", path=given,
                           reason=exc.strerror or exc) from None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise BadFileError("{target} is a folder; give a file name", target=given)
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise BadFileError("{path} is not a regular file (a device, a pipe or a socket); "
                           "nothing was written: give the name of a file", path=given)
    if not given.is_symlink():
        return given
    target = Path(os.path.realpath(given))
    if found is not None:
        try:
            same = os.path.samestat(os.stat(target), found)
        except OSError:
            same = False
        if not same:
            raise BadFileError("{path} is a link to an open file, not to a file in a folder; "
                               "nothing was written: give the name of a file", path=given)
    return target


def part_path(target: Path) -> Path:
    """The temporary path :func:`atomic_path` writes ``target`` under."""
    return target.with_name(f".{target.stem}.part-{os.getpid()}{target.suffix}")


def final_name(name: str) -> str:
    """The file name a temporary name of :func:`atomic_path` will be renamed to."""
    m = _PART_NAME.match(name)
    return m.group("stem") + m.group("suffix") if m and not m.group("sidecar") else name


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, verify: Verifier | None = None,
                durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success
    (``path`` a symbolic link: beside and over the file it points to; see
    :func:`output_target` for what is refused).

    ``verify(tmp)`` runs on the finished temporary file and raises :class:`Incomplete` when
    it is not whole; the old file is then kept. A full disk anywhere in the write is reported
    as such. ``durable=False``: no flush to the disk before and after the rename (a cache
    that may be lost in a power cut, never seen half-written: two flushes cost more than the
    small file's write).
    """
    check_file_name(Path(path))
    target = output_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadFileError("folder {folder} does not exist", folder=folder)
    if not os.access(folder, os.W_OK):
        raise BadFileError("folder {folder} is not writable", folder=folder)
    remove_stale_parts(folder)
    existed = target.exists()
    tmp = part_path(target)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        yield tmp
        if verify is not None:
            verify(tmp)
        if existed:  # a file made private (0600) stays private when written again
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        if durable:
            _fsync(tmp, required=True)
        _replace(tmp, target)
        if durable:
            _fsync(folder)
    except BaseException as exc:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if not isinstance(exc, (CitymgrError, Incomplete)) and (
                is_disk_full(exc, target) or _nearly_full(folder) or _size_limited()):
            raise disk_full_error(target, kept=True) from None
        if isinstance(exc, Incomplete):
            raise incomplete_error(target, str(exc), existed=existed) from None
        raise


def incomplete_error(path: Path, detail: str, *, existed: bool) -> BadFileError:
    """The one message for a written file that a check found incomplete. The check's own
    words (``detail``: "no %%EOF at its end", in English) go to the log (``--verbose``), not
    into the user's sentence; that says a file already there was kept only when there was one."""
    _log.info("%s: the file written is incomplete: %s", path, detail)
    if existed:
        return BadFileError("{path}: the file written is incomplete; the disk may be full. The "
                            "file already there was not replaced; free some space and try "
                            "again", path=path)
    return BadFileError("{path}: the file written is incomplete; the disk may be full. No file "
                        "was written; free some space and try again", path=path)


def _replace(tmp: Path, target: Path) -> None:
    """Rename the finished file over the target; a target in use is one line, not a trace."""
    try:
        os.replace(tmp, target)
    except PermissionError:
        raise BadFileError("{path}: cannot be replaced: it is open in another program or "
                           "write-protected; close it there and try again (nothing was "
                           "written)", path=target) from None


def is_disk_full(exc: BaseException, path: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``exc`` (or what caused it) says the disk or the file-size limit is full:
    an OSError ENOSPC/EFBIG/EDQUOT, SQLite's SQLITE_FULL, or a library's message saying so.
    With the ``path`` written, an SQLite I/O error counts too when that disk has no room left
    or a file-size limit is in force (SQLite reports EFBIG as a plain I/O error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        code = getattr(current, "sqlite_errorcode", None)
        if isinstance(current, sqlite3.Error) and code is not None and code & 0xFF == _SQLITE_FULL:
            return True
        if isinstance(current, sqlite3.Error) and code is not None and \
                code & 0xFF == _SQLITE_IOERR and path is not None and \
                (_nearly_full(Path(path).parent) or _size_limited()):
            return True
        text = str(current).lower()
        if any(words in text for words in _FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def disk_full_error(path: str | os.PathLike[str], *, kept: bool) -> BadFileError:
    """The one message for a full disk: ``kept`` when the old file is untouched (a new file
    was being written beside it; "a file already there" only when there is one), else the
    write was rolled back inside the file."""
    if kept and not Path(path).exists():
        return BadFileError("{path}: the disk is full (or the file is larger than the system "
                            "allows); no file was written. Free some space and try again",
                            path=path)
    if kept:
        return BadFileError("{path}: the disk is full (or the file is larger than the system "
                            "allows); nothing was written and a file already there is kept as "
                            "it was. Free some space and try again", path=path)
    return BadFileError("{path}: the disk is full (or the file is larger than the system "
                        "allows); the change was rolled back and the file is as it was. Free "
                        "some space and try again", path=path)


def _nearly_full(folder: Path) -> bool:
    """Whether the folder's disk has (almost) no room left: a library that reports a failed
    write without its cause (GDAL: "Cannot write feature") failed for want of space."""
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def _size_limited() -> bool:
    """Whether this process runs under a file-size limit (``ulimit -f``; POSIX only)."""
    try:
        import resource
    except ImportError:
        return False
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


def remove_stale_parts(folder: Path) -> int:
    """Remove the temporary files (and their SQLite sidecars) that a killed process left in
    ``folder``; a file of a process still running is kept. Returns how many were removed."""
    removed = 0
    try:
        names = [n for n in os.listdir(folder) if n.startswith(".") and ".part-" in n]
    except OSError:
        return 0
    for name in names:
        m = _PART_NAME.match(name)
        if m is None:
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _alive(pid, folder / name):
            continue
        with contextlib.suppress(OSError):
            (folder / name).unlink()
            removed += 1
    return removed


def _alive(pid: int, path: Path) -> bool:
    """Whether the process that writes ``path`` may still be running."""
    if sys.platform == "win32":  # no cheap, safe probe: only day-old files count as stale
        try:
            return time.time() - path.stat().st_mtime < _STALE_SECONDS
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _fsync(path: Path, *, required: bool = False) -> None:
    """Flush a file (or a folder's entries) to the disk: the rename publishes whole data.

    ``required``: a file whose flush fails (a full disk found late, an I/O error) must not
    replace the old one, so the error is raised; a folder's flush is best effort.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a folder cannot be opened on Windows: its entries need no flush there
        if required:
            raise
        return
    try:
        os.fsync(fd)
    except OSError:
        if required:
            raise
        # some file systems cannot fsync a folder
    finally:
        os.close(fd)
