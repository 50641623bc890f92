"""The recovery journal of unsaved edits: ``<file>.citymgr-journal`` next to the GeoPackage,
or, for a database, in the user's own journal folder under a name made from the database's
address and login without the password (``recovery.database_journal_bases``).

Append-only JSON lines, one per edit (its deltas as data), each flushed and ``fsync``-ed before
the edit counts as made, so a crash or ``kill -9`` loses nothing that was typed. The first
line is a header (journal id, file name, process, time). A torn last line (the process died
while writing it) is ignored. From the moment a window opens the file (or database) until it
closes it, its session holds an OS lock on the journal (``flock`` / ``msvcrt.locking``;
the file empty until the first edit), which the OS drops when the process dies: a journal
that can be locked on open belongs to a crashed session and is offered for restore; one
that cannot be locked belongs to a running window, and a second one is refused at open.
After a save commits, the journal is truncated to its header; on a clean close it is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.errors import BadFileError, InUseError
from citymgr_desktop.core.messages import Message
from citymgr_desktop.core.model.delta import Delta, DeltaSet

SUFFIX = ".citymgr-journal"
VERSION = 1


def journal_path(gpkg_path: str | os.PathLike[str]) -> Path:
    p = Path(gpkg_path)
    return p.with_name(p.name + SUFFIX)


@dataclass
class JournalContents:
    """What a journal on disk holds: its header and the edits in order."""

    header: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)
    torn_tail: bool = False

    def net_deltas(self) -> DeltaSet:
        """All edits squashed into one delta per row (what saving would have written)."""
        out = DeltaSet()
        for entry in self.entries:
            out.extend(Delta.from_json(d) for d in entry.get("deltas", []))
        return out

    def labels(self) -> list[Message]:
        """The edits' labels, to show in the reader's language (older journals hold only
        the English text, shown as it is)."""
        return [Message.from_json(e["message"]) if isinstance(e.get("message"), dict)
                else Message.from_json(e.get("label", "")) for e in self.entries]

    @property
    def last_edit_at(self) -> str | None:
        return self.entries[-1].get("at") if self.entries else self.header.get("created")


def read_journal(path: Path) -> JournalContents | None:
    """Parse a journal file; None when it is missing or empty."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadFileError("{path}: cannot read the recovery journal ({reason})",
                           path=path, reason=exc.strerror) from None
    lines = raw.split(b"\n")
    header: dict[str, Any] | None = None
    entries: list[dict[str, Any]] = []
    torn = False
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if i >= len(lines) - 2:  # only the last record can be torn by a crash
                torn = True
                continue
            raise BadFileError("{path}: the recovery journal is damaged at line {line}",
                               path=path, line=i + 1) \
                from None
        if header is None:
            if record.get("journal") != VERSION:
                raise BadFileError("{path}: not a citymgr recovery journal (version {version!r})",
                                   path=path, version=record.get('journal'))
            header = record
        else:
            entries.append(record)
    if header is None:
        return None
    return JournalContents(header, entries, torn)


def _lock(fh: IO[bytes]) -> bool:
    """Try to take an exclusive lock on an open file; False if another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _fsync_dir(path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The journal of one editing session: locked when the session starts (:meth:`hold`),
    written from the first edit."""

    def __init__(self, gpkg_path: str | os.PathLike[str], project_uuid: str | None = None,
                 *, name: str | None = None) -> None:
        """``name``: what the journal belongs to, when that is not ``gpkg_path`` (a
        database's printable address)."""
        self.base = Path(gpkg_path)
        self.path = journal_path(gpkg_path)
        self.gpkg_name = name or Path(gpkg_path).name
        self.gpkg_path = name or str(Path(gpkg_path).resolve())
        self.project_uuid = project_uuid
        self._fh: IO[bytes] | None = None
        self._held = False  # locked by hold(), nothing written yet
        self.id = ""
        self.seq = 0

    # -- claiming ------------------------------------------------------------------------------
    @staticmethod
    def probe(gpkg_path: str | os.PathLike[str]) -> tuple[str, JournalContents | None]:
        """State of the journal next to ``gpkg_path``: ("none" | "orphan" | "live", contents).

        "live": a running session holds it (contents may be None); "orphan": left by a
        session that ended without saving or discarding (crash, kill, power loss).
        """
        path = journal_path(gpkg_path)
        if not path.exists():
            return "none", None
        try:
            with path.open("rb") as fh:
                if not _lock(fh):
                    with contextlib.suppress(BadFileError):
                        return "live", read_journal(path)
                    return "live", None
        except OSError:
            return "none", None
        contents = read_journal(path)
        if contents is None or not contents.entries:
            return "none", contents
        return "orphan", contents

    @staticmethod
    def is_live(gpkg_path: str | os.PathLike[str]) -> bool:
        """Whether a running session holds the journal next to ``gpkg_path`` (its lock
        only: nothing is read; cheap enough to ask each second)."""
        try:
            with journal_path(gpkg_path).open("rb") as fh:
                return not _lock(fh)
        except OSError:
            return False

    def open(self, initial: tuple[Message, DeltaSet] | None = None) -> None:
        """Create the journal file and lock it, with a fresh header.

        With ``initial`` (label, deltas) the file is first written complete under a temporary
        name and renamed over the old one, so a crashed session's journal is replaced
        atomically by one holding its restored edits (no moment without them).
        """
        if self._fh is not None and not self._held:
            return
        if initial is None and self._holds_path():  # held: the file is ours already
            self._held = False
            self._reset()
            _fsync_dir(self.path.parent)
            return
        if initial is not None:
            self._write_atomically(*initial)
        self._release_hold()
        fh = self.path.open("a+b")
        if not _lock(fh):
            fh.close()
            self.refuse()
        self._fh = fh
        if initial is None:
            self._reset()
        else:
            contents = read_journal(self.path)
            self.id = contents.header["id"] if contents else ""
            self.seq = len(contents.entries) if contents else 0
        _fsync_dir(self.path.parent)

    def hold(self) -> None:
        """Lock the journal's file when the window opens, writing nothing (a crash's edits
        in it stay until the person decides), so a second window is told then, never
        refused after its user typed an edit. Raises when another window holds it."""
        if not self.try_hold():
            self.refuse()

    def try_hold(self) -> bool:
        """:meth:`hold`; False when another window holds the file."""
        self._release_hold()
        if self._fh is not None:
            return True
        try:
            fh = self.path.open("a+b")
        except OSError as exc:
            raise BadFileError("{path}: cannot write the recovery journal ({reason})",
                               path=self.path, reason=exc.strerror) from None
        if not _lock(fh):
            fh.close()
            return False
        self._fh = fh
        self._held = True
        return True

    def _holds_path(self) -> bool:
        """Whether the held lock is on the file at :attr:`path` (not one set aside since)."""
        if not self._held or self._fh is None:
            return False
        try:
            return os.path.samestat(os.fstat(self._fh.fileno()), os.stat(self.path))
        except OSError:
            return False

    def _release_hold(self) -> None:
        if self._held and self._fh is not None:
            self._fh.close()
            self._fh = None
        self._held = False

    def refuse(self) -> NoReturn:
        """Raise the error of a file another window holds (its process when it wrote one):
        it may be viewing the file, editing it or neither, so the message says it is open."""
        contents = None
        with contextlib.suppress(Exception):
            contents = read_journal(self.path)
        if contents:
            raise InUseError("{file_name} is open in another citymgr window (process {pid} on "
                             "{host}); it is shown here read-only until that window closes it",
                             file_name=self.gpkg_name, pid=contents.header.get("pid"),
                             host=contents.header.get("host"))
        raise InUseError("{file_name} is open in another citymgr window; it is shown here "
                         "read-only until that window closes it", file_name=self.gpkg_name)

    def _write_atomically(self, label: Message, deltas: DeltaSet) -> None:
        self.id = new_uuid()
        records = [self._header(), {"seq": 1, "at": now_iso(), **_label_json(label),
                                    "deltas": [d.to_json() for d in deltas]}]
        with atomic_path(self.path) as tmp, tmp.open("wb") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False,
                                    separators=(",", ":")).encode("utf-8") + b"\n")

    def _header(self) -> dict[str, Any]:
        import socket  # for the host name: only a journal that is written needs it

        return {"journal": VERSION, "id": self.id, "file": self.gpkg_name,
                "path": self.gpkg_path, "project": self.project_uuid, "created": now_iso(),
                "pid": os.getpid(), "host": socket.gethostname()}

    def _reset(self) -> None:
        assert self._fh is not None
        self.id = new_uuid()
        self.seq = 0
        self._fh.seek(0)
        self._fh.truncate(0)
        self._write(self._header())

    def _write(self, record: dict[str, Any]) -> None:
        self._write_line(json.dumps(record, ensure_ascii=False, separators=(",", ":")))

    def _write_line(self, line: str) -> None:
        assert self._fh is not None
        data = line.encode("utf-8")
        self._fh.seek(0, os.SEEK_END)
        self._fh.write(data + b"\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    # -- writing -------------------------------------------------------------------------------
    def append(self, label: Message, deltas: Iterable[Delta], encoded: str | None = None
               ) -> None:
        """Record one edit durably (returns after fsync). ``encoded``: the deltas already as
        a JSON array (:func:`encode_deltas`, made off the UI thread for a big edit)."""
        self.open()
        self.seq += 1
        if encoded is None:
            encoded = encode_deltas(deltas)
        head = json.dumps({"seq": self.seq, "at": now_iso(), **_label_json(label)},
                          ensure_ascii=False, separators=(",", ":"))
        self._write_line(head[:-1] + ',"deltas":' + encoded + "}")

    def rewrite(self, label: Message, deltas: DeltaSet) -> None:
        """Replace the whole journal by one edit holding ``deltas`` (after the pending edits
        were merged with the file), atomically: there is no moment without them."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self.open((label, deltas))

    def forget_crashed(self) -> None:
        """Empty a crashed session's file, its edits all saved (held: removing it would
        let another window lock a new file of the same name)."""
        if self._held and self._fh is not None:
            self._fh.truncate(0)
            os.fsync(self._fh.fileno())

    def clear(self) -> None:
        """Forget every edit (after a committed save, or a discard); the lock is kept."""
        if self._fh is not None and not self._held:
            self._reset()

    def close(self, *, remove: bool) -> None:
        """Release the journal; ``remove`` deletes the file (nothing unsaved is in it)."""
        if self._fh is None:
            return
        if self._held:  # nothing of this session's in it: an undecided crash's edits stay
            remove = self.path.exists() and self.path.stat().st_size == 0
        self._held = False
        if remove:
            with contextlib.suppress(OSError):
                self.path.unlink()
        self._fh.close()
        self._fh = None

    @property
    def held(self) -> bool:
        """Locked by :meth:`hold`, nothing of this session's written yet."""
        return self._held

    @property
    def is_open(self) -> bool:
        return self._fh is not None and not self._held


def encode_deltas(deltas: Iterable[Delta]) -> str:
    """Deltas as the JSON array a journal line holds."""
    return json.dumps([d.to_json() for d in deltas], ensure_ascii=False, separators=(",", ":"))


def set_aside(gpkg_path: str | os.PathLike[str]) -> Path | None:
    """Rename an orphan journal the user chose not to restore (kept, never silently lost)."""
    path = journal_path(gpkg_path)
    if not path.exists():
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{stamp}.discarded")
    os.replace(path, target)
    return target


def _label_json(label: Message) -> dict[str, Any]:
    """An edit's label in a journal record: the English text (what a person reading the file
    sees) and the message itself (to show it in another language after a crash)."""
    return {"label": str(label), "message": label.to_json()}
