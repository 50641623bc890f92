"""Writing an edit session's pending edits to its store, in one transaction (all or nothing).

To a file (:func:`write_to_file`): when another program wrote to it since the session last
looked, the edits are first merged three-way with the file as it is now, and a field both
changed is a conflict (:func:`conflict_error`) unless ``force`` keeps ours. To a database
(:func:`write_to_database`): against the versions the edits started from
(:mod:`citymgr_desktop.core.editing.versions`). In both, deletes of assets that gained history
meanwhile become retirements. The session (:mod:`citymgr_desktop.core.editing.session`)
decides when to save and what to forget after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.editing.commands import retire_referenced
from citymgr_desktop.core.editing.conflicts import MINE, Conflict, merge
from citymgr_desktop.core.editing.versions import as_conflicts
from citymgr_desktop.core.errors import ConflictError
from citymgr_desktop.core.messages import joined
from citymgr_desktop.core.model.delta import Delta

if TYPE_CHECKING:
    from citymgr_desktop.core.progress import Progress
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.store.postgis import PostgisStore


@dataclass(frozen=True)
class SaveResult:
    counts: dict[str, dict[str, int]]
    retired_instead: int = 0  # deletes that became retirements (history appeared meanwhile)

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


def write_to_file(store: Store, deltas: list[Delta], user: str, progress: Progress | None, *,
                  file_state: object, force: bool) -> SaveResult:
    """Write ``deltas`` to a file in one transaction. ``file_state``: the store's write state
    when the session last saw the file; a different one now means somebody else wrote
    meanwhile, and the edits are merged with the file first."""
    with store.session() as conn:
        if store.write_state() != file_state:
            merged = merge(store, deltas)
            if merged.conflicts and not force:
                raise conflict_error(merged.conflicts, on_database=False)
            deltas = list(merged.resolved(default=MINE))
        deltas, retired = retire_referenced(store, deltas, now_iso())
        counts = store.apply(deltas, user, progress)
        if store.project_uuid is None:  # files made before it was recorded
            conn.execute("INSERT OR REPLACE INTO citymgr_meta VALUES ('project_uuid', ?)",
                         (new_uuid(),))
    return SaveResult(counts, retired)


def write_to_database(store: Store, deltas: list[Delta],
                      versions: dict[tuple[str, str], int], user: str) -> SaveResult:
    """Write ``deltas`` to a database in one transaction, against the ``versions`` the rows'
    edits started from; a field another user changed too rolls the whole save back as a
    :class:`ConflictError` with its ``conflicts``."""
    database = cast("PostgisStore", store)
    with database.session():
        deltas, retired = retire_referenced(store, deltas, now_iso())
        outcome = database.save(deltas, versions, user)
        if outcome.conflicts:  # raised inside: nothing of this save stays
            raise conflict_error(as_conflicts(database, outcome.conflicts, deltas),
                                 on_database=True)
    return SaveResult(outcome.counts, retired)


def conflict_error(conflicts: list[Conflict], *, on_database: bool) -> ConflictError:
    """One error carrying ``conflicts`` (the UI shows them in the merge dialog), naming the
    first five; ``on_database``: another user saved, else another program wrote the file."""
    shown = joined((c.describe() for c in conflicts[:5]), "; ", "；")
    more = len(conflicts) > 5
    if on_database and more:
        error = ConflictError("another user saved changes to the database since these edits "
                              "were made: {conflicts} …", conflicts=shown)
    elif on_database:
        error = ConflictError("another user saved changes to the database since these edits "
                              "were made: {conflicts}", conflicts=shown)
    elif more:
        error = ConflictError("the file was changed by another program since these edits "
                              "were made: {conflicts} …", conflicts=shown)
    else:
        error = ConflictError("the file was changed by another program since these edits "
                              "were made: {conflicts}", conflicts=shown)
    error.conflicts = conflicts  # type: ignore[attr-defined]
    return error
