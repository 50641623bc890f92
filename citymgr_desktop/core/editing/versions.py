"""An edit session's save on a database: the pending edits are written against the
``version`` of each row they started from (the database's own check, as ``citymgr edit URL``
saves), so a row another user saved meanwhile is merged field by field inside the save's
transaction, and a field both changed is a :class:`~citymgr_desktop.core.editing.conflicts.
Conflict` (the whole save rolled back, the same conflicts a file's save reports).

A version is noted only where the database's row still has the values the edit started
from: then the edit's base *is* that version. Where it does not (another save landed between
the read and the edit, or the edits come back from a crash journal), no version is noted and
the save merges by value, which is never wrong, only a lock and a read more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.editing.conflicts import Conflict
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, values_equal

if TYPE_CHECKING:
    from citymgr_desktop.core.store.postgis import PostgisStore
    from citymgr_desktop.core.store.postgis.write import SaveConflict

VERSION = "version"


def base_versions(store: Any, deltas: Iterable[Delta]) -> dict[tuple[str, str], int]:
    """The version of each row whose database values still equal the ``old`` values of its
    delta (updates and deletes of keyed tables); rows that differ are left out."""
    by_table: dict[str, list[Delta]] = defaultdict(list)
    for d in deltas:
        if d.kind != "insert" and d.old is not None and sc.table(d.table).key:
            by_table[d.table].append(d)
    out: dict[tuple[str, str], int] = {}
    for table, items in by_table.items():
        names = sorted({n for d in items for n in (d.old or {}) if n != VERSION},
                       key=lambda n: (n != sc.GEOMETRY_COLUMN, n))
        rows = store.get_rows(table, [d.uuid for d in items], fields=names)
        for d in items:
            row = rows.get(d.uuid)
            if row is None or row.get(VERSION) is None:
                continue
            if all(values_equal(v, row.get(k)) for k, v in (d.old or {}).items()
                   if k != VERSION):
                out[d.key] = int(row[VERSION])
    return out


def as_conflicts(store: PostgisStore, found: list[SaveConflict],
                 deltas: Iterable[Delta]) -> list[Conflict]:
    """The database save's conflicts as the edit session's (what the merge dialog shows)."""
    by_key = {d.key: d for d in deltas}
    gone_or_changed = [c for c in found if not c.field]
    whole: dict[tuple[str, str], dict] = {}
    for c in gone_or_changed:
        if c.ours_new is None:  # our delete of a row changed meanwhile: show it as it is now
            whole.update({(c.table, u): r for u, r in
                          store.get_rows(c.table, [c.uuid]).items()})
    out = []
    for c in found:
        d = by_key.get((c.table, c.uuid))
        if c.field:
            out.append(Conflict(c.table, c.uuid, c.field, c.ours_old, c.theirs, c.ours_new))
        elif c.ours_new is None:
            out.append(Conflict(c.table, c.uuid, "", d.old if d else c.ours_old,
                                whole.get((c.table, c.uuid)), None, "changed"))
        else:
            out.append(Conflict(c.table, c.uuid, "", c.ours_old, None, c.ours_new, "deleted"))
    return out

