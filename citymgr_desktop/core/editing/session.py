"""An editing session over one open file: unsaved edits as a :class:`DeltaSet` on top of the
store, every edit a command on a :class:`CommandStack`, a crash-safe recovery journal, and a
save that writes only the changed rows in one transaction (the writing itself in
:mod:`citymgr_desktop.core.editing.saving`; docs/editing.md).

Reads through the session (:meth:`EditSession.rows`, :meth:`overlay`, :meth:`select`) show the
file with the pending edits applied, the way QGIS layers show their edit buffer. The edit
builders (set a value, bulk set, field calculator, add / move a point, delete or retire)
live in :mod:`citymgr_desktop.core.editing.commands`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.editing import commands as ec
from citymgr_desktop.core.editing.conflicts import MINE, Conflict, Merge, merge
from citymgr_desktop.core.editing.journal import Journal, set_aside
from citymgr_desktop.core.editing.recovery import (
    JournalElsewhere,
    Recovery,
    claim_journal,
    journals_elsewhere,
)
from citymgr_desktop.core.editing.saving import SaveResult, write_to_database, write_to_file
from citymgr_desktop.core.editing.versions import base_versions
from citymgr_desktop.core.editing.view import SessionView
from citymgr_desktop.core.errors import ConflictError, ReadOnlyError
from citymgr_desktop.core.messages import Message, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, values_equal
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class EditEvent:
    """What changed: tables and asset uuids per table; ``saved``/``reset`` for save/discard."""

    tables: frozenset[str]
    uuids: dict[str, frozenset[str]] = field(default_factory=dict)
    saved: bool = False
    reset: bool = False


class EditSession(SessionView):
    """Pending edits of one file: assets, maintenance records, work orders, their events and
    links, attachments. Create it when the file is opened; :meth:`close` it."""

    def __init__(self, store: Store, user: str = "", commands: CommandStack | None = None,
                 *, journal: bool = True, dry_run: bool = False,
                 search: Iterable[str] = ()) -> None:
        """``dry_run``: compute edits on a (possibly read-only) store, never save them.
        ``search``: more folders where a journal of this project beside another copy of the
        file may be (:attr:`elsewhere`)."""
        if store.read_only and not dry_run:
            raise ReadOnlyError("{path} is open read-only; save a copy to edit it",
                                path=store.path)
        self.dry_run = dry_run
        journal = journal and not dry_run
        store.require_asset_project()
        super().__init__(store)
        self.user = user
        self.commands = commands if commands is not None else CommandStack()
        self._listeners: list[Callable[[EditEvent], None]] = []
        self.journal: Journal | None = None
        self.recovery: Recovery | None = None
        self._journal_paused = False
        self._held: list[EditEvent] | None = None
        self.generation = 0  # saves so far: commands done since the last one are unsaved
        # on a database: the version each pending row's edit started from (editing/versions)
        self.versions: dict[tuple[str, str], int] = {}
        self.elsewhere: list[JournalElsewhere] = []
        self._file_state = self._state_of_file()
        if journal:
            self.journal, contents = claim_journal(store)  # this window's slot from now on
            try:
                if contents is not None:
                    merged = merge(store, contents.net_deltas())
                    if merged.clean or merged.conflicts:
                        self.recovery = Recovery(merged, contents)
                    else:  # everything in it was saved before the crash
                        self.journal.forget_crashed()
                if not store.is_database:
                    self.elsewhere = journals_elsewhere(store.path, store.project_uuid,
                                                        search)
            except BaseException:  # no session: the slot is free again
                self.journal.close(remove=False)
                raise

    def _state_of_file(self) -> object:
        """The store's write state: equal states mean nobody wrote in between (a database's
        never compare equal: its saves always merge with the rows as they are now)."""
        return self.store.write_state()

    # -- notifications ---------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[EditEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[EditEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, event: EditEvent) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        for listener in list(self._listeners):
            listener(event)

    def hold_events(self) -> None:
        """Queue notifications (e.g. while a worker thread saves) until :meth:`release_events`,
        so listeners always run on the thread that releases them."""
        if self._held is None:
            self._held = []

    def release_events(self) -> None:
        held, self._held = self._held or [], None
        for event in held:
            self._notify(event)

    # -- state ----------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self.pending)

    # -- applying edits (commands call these) ------------------------------------------------------
    def apply_edit(self, deltas: DeltaSet, label: Message, encoded: str | None = None
                   ) -> None:
        """Add ``deltas`` to the pending edits, journal them first (durably), notify.
        ``encoded``: the deltas as the journal's JSON, made beforehand for a big edit."""
        if not deltas:
            return
        if self.journal is not None and not self._journal_paused:
            if self.recovery is not None:  # never overwrite an undecided crash journal
                self._set_aside()
                self.recovery = None
            self.journal.append(label, deltas, encoded)
        if self.store.is_database:
            self._note_versions([d for d in deltas if self.pending.get(d.table, d.uuid) is None])
        self.pending.extend(deltas)
        self._after_change(deltas)
        self._notify(_event(deltas))

    def push(self, command: ec.EditCommand) -> ec.EditCommand:
        self.commands.push(command)
        return command

    def push_deltas(self, deltas: DeltaSet, label: Message | str) -> ec.EditCommand | None:
        """Any planned change (a maintenance record, a work order and its move, an
        attachment; planned by ``core.history`` / ``core.workorders`` with this session's
        ``pending``) as one undo step; None when ``deltas`` is empty. ``label``: a Message
        (shown in the reader's language), or a sentence already in the user's language."""
        if not deltas:
            return None
        if not isinstance(label, Message):
            label = msg("{label}", label=label)
        return self.push(ec.EditCommand(self, label, deltas))

    # -- edits -------------------------------------------------------------------------------------
    def set_values(self, layer: str, uuid: str, values: dict) -> ec.EditCommand | None:
        """Several fields of one asset (a form's OK) as one undo step; None if nothing changed."""
        cmd = ec.set_values(self, layer, uuid, values)
        return self.push(cmd) if cmd else None

    def set_value(self, layer: str, uuid: str, field_name: str, value: object):
        return self.set_values(layer, uuid, {field_name: value})

    def bulk_set(self, layer: str, uuids: Iterable[str], values: dict) -> ec.EditCommand | None:
        cmd = ec.bulk_set(self, layer, list(uuids), values)
        return self.push(cmd) if cmd else None

    def calculate(self, layer: str, uuids: Iterable[str], field_name: str,
                  expression: str) -> ec.EditCommand | None:
        cmd = ec.calculate(self, layer, list(uuids), field_name, expression)
        return self.push(cmd) if cmd else None

    def add_point(self, layer: str, point: object, values: dict | None = None) -> str:
        cmd = ec.add_asset(self, layer, point, values or {})
        self.push(cmd)
        return next(iter(cmd.deltas)).uuid

    def move_point(self, layer: str, uuid: str, point: object) -> ec.EditCommand | None:
        cmd = ec.move_point(self, layer, uuid, point)
        return self.push(cmd) if cmd else None

    def delete(self, layer: str, uuids: Iterable[str]) -> ec.EditCommand | None:
        cmd = ec.delete_or_retire(self, layer, list(uuids))
        return self.push(cmd) if cmd else None

    def restore(self, choices: dict[tuple[str, str, str], str] | None = None,
                default: str = MINE) -> int:
        """Bring back the edits of a crashed session (one undoable step), merged with the
        file: ``choices`` decide its conflicts ("mine"/"theirs" by :attr:`Conflict.key`,
        ``default`` for the others). Returns how many rows it changes."""
        if self.recovery is None:
            return 0
        recovery, self.recovery = self.recovery, None
        deltas = recovery.restored(choices, default)
        label = msg("Restore unsaved edits")
        if not deltas:
            self._set_aside()
            return 0
        cmd = ec.EditCommand(self, label, deltas)
        if self.journal is not None:  # atomically: the old journal becomes this session's
            self.journal.open((label, deltas))
        self._journal_paused = True
        try:
            self.push(cmd)
        finally:
            self._journal_paused = False
        return len(deltas)

    def _set_aside(self) -> None:
        if self.journal is not None:
            set_aside(self.journal.base)
            if self.journal.held:  # the slot stays this window's
                self.journal.hold()

    def drop_recovery(self) -> None:
        """Do not restore: the old journal is renamed ``….discarded`` (kept, never lost)."""
        if self.recovery is not None:
            self._set_aside()
            self.recovery = None

    def _note_versions(self, deltas: Iterable[Delta]) -> None:
        """Rows that become pending start from the database's version now (where it still
        has the edit's starting values; see :mod:`citymgr_desktop.core.editing.versions`)."""
        items = list(deltas)
        for d in items:
            self.versions.pop(d.key, None)
        self.versions.update(base_versions(self.store, items))

    # -- saving ------------------------------------------------------------------------------------
    def check_conflicts(self) -> list[str]:
        """One line per pending edit that disagrees with a change made to the file since."""
        return [str(c.describe()) for c in self.merge_with_file().conflicts]

    def merge_with_file(self) -> Merge:
        """The pending edits merged three-way with the file as it is now."""
        return merge(self.store, list(self.pending))

    def resolve(self, choices: dict[tuple[str, str, str], str] | None = None,
                default: str = MINE, *, shown: Iterable[Conflict] | None = None
                ) -> list[Conflict]:
        """Merge the pending edits with the file as it is now (what another program changed
        in other fields is kept; edits the file already has drop out) and decide each
        conflict: ``choices`` by :attr:`Conflict.key`, "mine" keeps our value, "theirs"
        the file's. ``shown``: the conflicts the person decided; one the merge finds now
        that was not among them (another save landed meanwhile) stays undecided, so the
        next save reports it again instead of overwriting it. The journal is rewritten to
        match. Returns the conflicts decided."""
        merged = self.merge_with_file()
        before = self.pending
        undecided: list[Conflict] = []
        if shown is not None:
            seen = {c.key: c for c in shown}
            undecided = [c for c in merged.conflicts if c.key not in seen
                         or not values_equal(seen[c.key].theirs, c.theirs)]
            merged.conflicts = [c for c in merged.conflicts if c not in undecided]
        self.pending = merged.resolved(choices, default)
        for c in undecided:  # the edit as it was: its base is no longer the file's value
            self.pending.add(Delta(c.table, c.uuid, c.ours_old, None) if c.kind == "changed"
                             else Delta(c.table, c.uuid, {c.field: c.ours_old},
                                        {c.field: c.mine}) if c.kind == "value" else
                             Delta(c.table, c.uuid, c.ours_old, c.mine))
        self._file_state = object() if undecided else self._state_of_file()
        if self.store.is_database:
            self._note_versions(self.pending)
        if self.journal is not None:
            if self.pending:
                self.journal.rewrite(msg("Merge with the file"), self.pending)
            else:
                self.journal.clear()
        tables = before.tables() | self.pending.tables()
        self._after_change(self.pending)
        self._notify(EditEvent(frozenset(tables), _uuids([*before, *self.pending])))
        return merged.conflicts

    def save(self, progress: Progress | None = None, *, force: bool = False) -> SaveResult:
        """Write every pending edit (assets, records, orders, attachments) in one
        transaction (all or nothing), then clear the journal.

        When the file was changed since (another program, QGIS, ``citymgr edit``), the edits
        are merged with it first: a :class:`ConflictError` carrying ``conflicts`` is raised
        when the same field was changed both ways (decide them with :meth:`resolve`);
        ``force=True`` keeps our values. Deletes of assets that gained history meanwhile
        become retirements.
        """
        if not self.pending:
            return SaveResult({})
        if self.dry_run:
            raise ReadOnlyError("a dry run never saves")
        if self.store.is_database:
            return self._save_to_database(force)
        result = write_to_file(self.store, list(self.pending), self.user, progress,
                               file_state=self._file_state, force=force)
        return self._saved(result)

    def _save_to_database(self, force: bool) -> SaveResult:
        """One transaction: the pending edits saved against the versions they started from
        (rows saved meanwhile merged field by field); a field another user changed too
        rolls the whole save back as a :class:`ConflictError` with its ``conflicts``, or,
        with ``force``, is merged with "mine" and saved again."""
        attempts = 5 if force else 1
        for attempt in range(attempts):
            deltas = list(self.pending)
            versions = {d.key: self.versions[d.key] for d in deltas if d.key in self.versions}
            try:
                result = write_to_database(self.store, deltas, versions, self.user)
            except ConflictError:
                if attempt + 1 == attempts:
                    raise
                self.resolve(default=MINE)
                continue
            return self._saved(result)
        raise AssertionError("unreachable")

    def _saved(self, result: SaveResult) -> SaveResult:
        # committed: only now may the journal forget the edits
        self._file_state = self._state_of_file()
        self.versions.clear()
        self.generation += 1
        if self.journal is not None:
            self.journal.project_uuid = self.store.project_uuid
            self.journal.clear()
        tables = self.pending.tables()
        uuids = _uuids(self.pending)
        self.pending = DeltaSet()
        self._after_change(None)
        self._notify(EditEvent(frozenset(tables), uuids, saved=True))
        return result

    def discard(self) -> None:
        """Drop every pending edit. The undo steps made since the last save go with them
        (and every redo step); earlier ones stay: undoing one makes a new pending edit."""
        tables, uuids = self.pending.tables(), _uuids(self.pending)
        self.pending = DeltaSet()
        if self.journal is not None:
            self.journal.clear()
        self.commands.drop(lambda c: isinstance(c, ec.EditCommand) and c.session is self
                           and c.generation == self.generation)
        self._after_change(None)
        self._notify(EditEvent(frozenset(tables), uuids, reset=True))

    def close(self) -> None:
        """End the session. Unsaved edits stay in the journal (offered again on next open)."""
        if self.journal is not None:
            self.journal.close(remove=not self.pending)

    # -- reading helpers for the canvas ---------------------------------------------------------
    def overlay(self, layer: str, frame: pd.DataFrame, *,
                include_retired: bool = True) -> pd.DataFrame:
        """``frame`` (read from the file, indexed by fid) as it looks with the pending edits."""
        from citymgr_desktop.core.editing.overlay import overlay_frame

        return overlay_frame(self, layer, frame, include_retired=include_retired)


def _uuids(deltas: Iterable[Delta]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for d in deltas:
        out[d.table].add(d.uuid)
    return {k: frozenset(v) for k, v in out.items()}


def _event(deltas: DeltaSet) -> EditEvent:
    return EditEvent(frozenset(deltas.tables()), _uuids(deltas))


__all__ = ["Conflict", "EditEvent", "EditSession", "Merge", "Recovery", "SaveResult", "sc"]
