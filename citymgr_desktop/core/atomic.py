"""Write a file under a temporary name beside the target and rename it into place, so a
failed or cancelled write never leaves a half-written file (nor replaces a good one).

The temporary name keeps the target's extension (GDAL and Qt pick formats and warnings from
it): ``dir/name.ext`` is written as ``dir/.name.part-<pid>.ext``. The file is flushed to the
disk before the rename, and the folder after it, so a crash leaves the old file or the new.
A target another program holds open (Excel, a PDF viewer: a sharing violation on Windows)
fails at the rename; that is one :class:`BadFileError` naming the file, and the old file
stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from citymgr_desktop.core.errors import BadFileError

_PART_NAME = re.compile(r"^\.(?P<stem>.+)\.part-\d+(?P<suffix>(\.[^.]*)?)$")


def part_path(target: Path) -> Path:
    """The temporary path :func:`atomic_path` writes ``target`` under."""
    return target.with_name(f".{target.stem}.part-{os.getpid()}{target.suffix}")


def final_name(name: str) -> str:
    """The file name a temporary name of :func:`atomic_path` will be renamed to."""
    m = _PART_NAME.match(name)
    return m.group("stem") + m.group("suffix") if m else name


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadFileError("folder {folder} does not exist", folder=folder)
    if target.is_dir():
        raise BadFileError("{target} is a folder; give a file name", target=target)
    if not os.access(folder, os.W_OK):
        raise BadFileError("folder {folder} is not writable", folder=folder)
    tmp = part_path(target)
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        yield tmp
        _fsync(tmp)
        _replace(tmp, target)
        _fsync(folder)
    except BaseException:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise


def _replace(tmp: Path, target: Path) -> None:
    """Rename the finished file over the target; a target in use is one line, not a trace."""
    try:
        os.replace(tmp, target)
    except PermissionError:
        raise BadFileError("{path}: cannot be replaced: it is open in another program or "
                           "write-protected; close it there and try again (nothing was "
                           "written)", path=target) from None


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk: the rename publishes whole data."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a folder cannot be opened on Windows: its entries need no flush there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)
