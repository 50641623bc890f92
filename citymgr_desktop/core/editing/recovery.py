"""Unsaved edits a crashed session left in its journal, merged with the file as it is now.

The journal's edits remember where they started, so they are merged three-way with today's
file (:mod:`citymgr_desktop.core.editing.conflicts`), like a sync: what the file already
has drops out, what nobody else touched restores cleanly, a field that ``citymgr edit``,
QGIS or another copy of the app changed since is a conflict the person decides. Also: a
journal of the same project (same project uuid) left beside another path, found when a copy
of the project is opened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citymgr_desktop.core.editing.conflicts import MINE, Conflict, Merge
from citymgr_desktop.core.editing.journal import (
    SUFFIX,
    Journal,
    JournalContents,
    database_journal_bases,
    read_journal,
)
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.messages import Message
from citymgr_desktop.core.model.delta import DeltaSet


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
    """The journal of a new editing session on ``store`` (opened on the first edit) and what
    a crashed session left in it (None when nothing). A file's is beside it, and a second
    window on the file is refused; a database's is in the user's journal folder, in the
    first slot no running window holds, locked at once (held until the session closes)."""
    if not store.is_database:
        journal = Journal(store.path, store.project_uuid)
        state, contents = Journal.probe(store.path)
        if state == "live":
            journal.open()  # raises: another window edits this file
        return journal, contents if state == "orphan" else None
    for base in database_journal_bases(store.journal_identity()):
        state, contents = Journal.probe(base)
        if state != "live":
            journal = Journal(base, store.project_uuid, name=str(store.path))
            try:
                journal.hold()  # this window's slot from now on, not from its first edit
            except BadFileError:  # another window took it between the probe and now
                continue
            return journal, contents if state == "orphan" else None
    raise BadFileError("{file_name} is being edited in too many citymgr windows; close one "
                       "there first", file_name=str(store.path))


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
