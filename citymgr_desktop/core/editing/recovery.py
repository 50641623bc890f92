"""A window's journal slot, claimed when it opens a file or database (:func:`claim_journal`),
and the unsaved edits a crashed session left in it, merged with the file as it is now.

The journal's edits remember where they started, so they are merged three-way with today's
file (:mod:`citymgr_desktop.core.editing.conflicts`), like a sync: what the file already
has drops out, what nobody else touched restores cleanly, a field that ``citymgr edit``,
QGIS or another copy of the app changed since is a conflict the person decides. Also: a
journal of the same project (same project uuid) left beside another path, found when a copy
of the project is opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citymgr_desktop.core.editing.conflicts import MINE, Conflict, Merge
from citymgr_desktop.core.editing.journal import (
    SUFFIX,
    Journal,
    JournalContents,
    read_journal,
)
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.messages import Message
from citymgr_desktop.core.model.delta import DeltaSet

DATABASE_SLOTS = 8  # app windows of one user editing the same database at once


def database_journal_folder() -> Path:
    """The user's folder of database journals (``CITYMGR_JOURNALS`` overrides it): a
    database has no folder of its own to keep them beside."""
    env = os.environ.get("CITYMGR_JOURNALS")
    if env:
        return Path(env)
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "citymgr-desktop" / "journals"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "citymgr-desktop" / "journals"
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "citymgr-desktop" / "journals"


def database_journal_bases(identity: str) -> list[Path]:
    """Where the journals of a database's editing sessions go (one slot per window of this
    user on it), named by a digest of ``identity`` (server, port, database and login: never
    a password). The folder is made when missing."""
    folder = database_journal_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadFileError("{path}: cannot make the folder of recovery journals ({reason})",
                           path=folder, reason=exc.strerror) from None
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    return [folder / (f"db-{digest}" + (f"-{i + 1}" if i else "")) for i in
            range(DATABASE_SLOTS)]


@dataclass(frozen=True)
class Recovery:
    """The edits of a crashed session, merged with today's file."""

    merge: Merge
    contents: JournalContents

    @property
    def deltas(self) -> DeltaSet:
        """What restores without a question (conflicts not included)."""
        return self.merge.clean

    @property
    def conflicts(self) -> list[Conflict]:
        return self.merge.conflicts

    @property
    def count(self) -> int:
        """Rows the restore would change: the clean ones and those in conflict."""
        return len(self.merge.clean) + len({(c.table, c.uuid) for c in self.conflicts
                                            if (c.table, c.uuid) not in _keys(self.merge.clean)})

    @property
    def already_saved(self) -> int:
        """Edits of the journal the file already has (a save that committed just before
        the crash, or the same change made elsewhere)."""
        return self.merge.dropped

    @property
    def when(self) -> str | None:
        return self.contents.last_edit_at

    def labels(self) -> list[Message]:
        return self.contents.labels()

    def restored(self, choices: Mapping[tuple[str, str, str], str] | None = None,
                 default: str = MINE) -> DeltaSet:
        """The edits to restore once the person chose for each conflict."""
        return self.merge.resolved(choices, default)


def _keys(deltas: DeltaSet) -> set[tuple[str, str]]:
    return {d.key for d in deltas}


def claim_journal(store: Any) -> tuple[Journal, JournalContents | None]:
    """The journal of a new editing session on ``store`` and what a crashed session left in
    it (None when nothing), its file locked at once (held until the session closes): the
    window's slot from the moment it opens the file or database, not from its first edit.
    A file has one slot, beside it: a second window on it is refused (and views only); a
    database has :data:`DATABASE_SLOTS` in the user's journal folder: the first
    no running window holds."""
    if store.is_database:
        bases, name = database_journal_bases(store.journal_identity()), str(store.path)
    else:
        bases, name = [Path(store.path)], None
    for base in bases:
        state, contents = Journal.probe(base)
        journal = Journal(base, store.project_uuid, name=name)
        if state != "live" and journal.try_hold():  # else another window took it
            return journal, contents if state == "orphan" else None
    if len(bases) == 1:
        journal.refuse()  # naming the window's process when its journal says it
    raise BadFileError("{file_name} is open in too many citymgr windows; close one there "
                       "first", file_name=str(store.path))


def held_elsewhere(store: Any) -> bool:
    """Whether another running window holds the journal slot of ``store``'s file (it opened
    the file first: this one views only). Ask it only of a store without an edit session of
    its own. A database has a slot per window: never held elsewhere. Only the journal's lock
    is asked (the file watch asks each second; the journal may be large)."""
    return not store.is_database and Journal.is_live(store.path)


@dataclass(frozen=True)
class JournalElsewhere:
    """Unsaved edits of this project left beside another copy of it."""

    journal: Path
    project_file: Path
    edits: int
    when: str | None


def journals_elsewhere(gpkg_path: str | os.PathLike[str], project_uuid: str | None,
                       folders: Iterable[str | os.PathLike[str]] = ()) -> list[JournalElsewhere]:
    """Journals of the project ``project_uuid`` with unsaved edits that belong to another file
    than ``gpkg_path``: looked for in its folder and in ``folders`` (e.g. those of the recent
    files), so opening a copy says where the original's unsaved edits are."""
    if not project_uuid:
        return []
    here = Path(gpkg_path).resolve()
    own = Journal(here).path
    seen: set[Path] = set()
    out = []
    for folder in [here.parent, *map(Path, folders)]:
        with contextlib.suppress(OSError):
            for path in sorted(Path(folder).glob(f"*{SUFFIX}")):
                path = path.resolve()
                if path in seen or path == own:
                    continue
                seen.add(path)
                with contextlib.suppress(BadFileError, OSError):
                    contents = read_journal(path)
                    if contents is None or not contents.entries \
                            or contents.header.get("project") != project_uuid:
                        continue
                    original = Path(contents.header.get("path") or
                                    path.with_name(path.name[:-len(SUFFIX)]))
                    out.append(JournalElsewhere(path, original, len(contents.net_deltas()),
                                                contents.last_edit_at))
    return out
