"""Check-out of photos: the attachments of a package's assets and records written as files
into the package's folder (``DCIM/…``, the path the record's or asset's ``photo`` field
names), so QField shows the last inspection's photos in its forms.

The package's attachment rows carry no bytes (``package.py``); each file is read from the
master (its SHA-256 verified) and written atomically. A file already there with the same
content is left alone (several packages may share a folder); a file there with other
content is never overwritten, only reported, and so is a stored path that would leave the
folder.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.history import attachment_content, sha256_of
from citymgr_desktop.core.history.photos import inside
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store


@dataclass
class PhotoExport:
    written: int = 0
    present: int = 0  # already in the folder with the same content
    bytes: int = 0
    notes: list[Text] = field(default_factory=list)


def _same_file(path: Path, digest: str) -> bool:
    try:
        return sha256_of(path.read_bytes()) == digest
    except OSError:
        return False


def write_photo_files(store: Store, package: Path, progress: Progress | None = None
                      ) -> PhotoExport:
    """Write the files of the attachments listed in ``package`` beside it."""
    prog = ensure(progress)
    out = PhotoExport()
    conn = sqlite3.connect(gpkg.read_only_uri(package.resolve()), uri=True)
    try:
        rows = conn.execute("SELECT attachment_uuid, file_path, sha256 FROM attachment "
                            "ORDER BY fid").fetchall()
    finally:
        conn.close()
    root = package.resolve().parent
    for i, (uuid, rel, digest) in enumerate(rows):
        prog.update(i, len(rows), msg("photos"))
        try:
            target = inside(root, rel)
        except CitymgrError as exc:
            out.notes.append(msg("attachment {uuid}: {reason}; its file was not written",
                                 uuid=uuid, reason=exc))
            continue
        if target.exists():
            if _same_file(target, digest):
                out.present += 1
            else:
                out.notes.append(msg("{path} already exists with other content (another "
                                     "package's photo?); attachment {uuid} was not written",
                                     path=rel, uuid=uuid))
            continue
        try:
            data = attachment_content(store, uuid)
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                Path(tmp).write_bytes(data)
        except (CitymgrError, OSError) as exc:
            out.notes.append(msg("{path}: not written ({reason})", path=rel, reason=exc))
            continue
        out.written += 1
        out.bytes += len(data)
    prog.update(len(rows), max(len(rows), 1), msg("photos"))
    return out
