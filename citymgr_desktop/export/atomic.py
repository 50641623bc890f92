"""Write an export under a temporary name beside the target and rename it into place, so a
failed or cancelled export never leaves a half-written file (nor replaces a good one).

Unlike ``core.project.atomic_output`` the temporary name keeps the target's extension:
GDAL and Qt pick formats and warnings from it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from citymgr_desktop.core.errors import BadFileError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadFileError(f"folder {folder} does not exist")
    if target.is_dir():
        raise BadFileError(f"{target} is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise BadFileError(f"folder {folder} is not writable")
    tmp = target.with_name(f".{target.stem}.part-{os.getpid()}{target.suffix}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
        raise
