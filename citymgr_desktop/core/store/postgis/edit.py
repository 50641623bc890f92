"""A bulk edit on the database (``citymgr edit URL …``): the assets an expression selects get
new values, saved against the versions that were read, so that another user's save in
between is merged field by field instead of overwritten.

The expression is evaluated in Python on the layer's rows (no SQL is made from user text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.expression import Expression
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, values_equal
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN
from citymgr_desktop.core.store.postgis.store import PostgisStore
from citymgr_desktop.core.store.postgis.write import SaveConflict


@dataclass
class EditOutcome:
    matched: int = 0
    changed: int = 0
    merged: int = 0
    conflicts: list[SaveConflict] = field(default_factory=list)


def select_uuids(store: PostgisStore, table: sc.Table, where: Expression, *,
                 include_retired: bool = False) -> list[str]:
    """The uuids of the assets of ``table`` that ``where`` selects, in fid order."""
    columns = sorted(where.used_fields | {table.key})
    frame = store.read(table.name, columns=[c for c in columns if c in table.field_names()],
                       include_retired=include_retired)
    return list(frame[table.key][where.mask(frame)]) if len(frame) else []


def edit_where(store: PostgisStore, table: sc.Table, where: Expression,
               values: dict[str, Any], user: str, *, include_retired: bool = False,
               dry_run: bool = False) -> EditOutcome:
    """Set ``values`` on every asset of ``table`` that ``where`` selects."""
    uuids = select_uuids(store, table, where, include_retired=include_retired)
    outcome = EditOutcome(matched=len(uuids))
    rows = store.get_rows(table.name, uuids, fields=list(values))
    deltas, versions = [], {}
    for uuid in uuids:
        row = rows.get(uuid)
        if row is None:
            continue  # deleted since the read
        changed = {k: v for k, v in values.items() if not values_equal(row.get(k), v)}
        if changed:
            deltas.append(Delta(table.name, uuid, {k: row.get(k) for k in changed}, changed))
            versions[(table.name, uuid)] = int(row[VERSION_COLUMN])
    outcome.changed = len(deltas)
    if dry_run or not deltas:
        return outcome
    saved = store.save(deltas, versions, user)
    outcome.merged, outcome.conflicts = saved.merged, saved.conflicts
    lost: dict[str, set[str]] = {}
    for c in saved.conflicts:
        lost.setdefault(c.uuid, set()).add(c.field)
    # a row whose every edited field (or the row itself) went to the other writer is unchanged
    outcome.changed -= sum(1 for d in deltas if d.uuid in lost and (
        "" in lost[d.uuid] or set(d.new or {}) <= lost[d.uuid]))
    return outcome
