"""Compare pending edits with what the file holds now: conflicts before a save (someone else
changed the same value since we read it), and rebasing journal edits onto the file when a
crashed session is restored (already saved edits drop out; the rest start from today's file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.messages import Message, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, values_equal

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store


@dataclass(frozen=True)
class Conflict:
    table: str
    uuid: str
    field: str  # "" for a whole row (gone, or already there)
    ours_old: Any
    theirs: Any

    def describe(self) -> Message:
        if not self.field and self.theirs is None:
            return msg("{table} {uuid} was deleted in the file", table=self.table, uuid=self.uuid)
        if not self.field:
            return msg("{table} {uuid} already exists in the file", table=self.table,
                       uuid=self.uuid)
        return msg("{table} {uuid} {field}: the edit started from {old}, the file now has {now}",
                   table=self.table, uuid=self.uuid, field=self.field,
                   old=_show(self.ours_old), now=_show(self.theirs))


def _show(v: Any) -> str | Message:
    if v is None:
        return msg("empty")
    if hasattr(v, "geom_type"):
        return msg("another {geometry_type}", geometry_type=v.geom_type.lower())
    return repr(v)


def current_rows(store: Store, deltas: Iterable[Delta]) -> dict[tuple[str, str], dict]:
    """The file's rows (only the fields the deltas touch) keyed by (table, uuid)."""
    want: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for d in deltas:
        fields = set((d.old or {}).keys()) | set((d.new or {}).keys())
        want[d.table][d.uuid] |= fields
    out: dict[tuple[str, str], dict] = {}
    for table, by_uuid in want.items():
        t = sc.table(table)
        names = set().union(*by_uuid.values()) | {t.key}
        names = {n for n in names if n == sc.GEOMETRY_COLUMN or n in t.field_names()}
        geom_first = sorted(names, key=lambda n: (n != sc.GEOMETRY_COLUMN, n))
        rows = store.get_rows(table, list(by_uuid), fields=geom_first)
        for uuid, row in rows.items():
            out[(table, uuid)] = row
    return out


def conflicts(store: Store, deltas: list[Delta], limit: int = 50) -> list[Conflict]:
    """Edits whose starting values no longer match the file (first ``limit``)."""
    found: list[Conflict] = []
    rows = current_rows(store, deltas)
    for d in deltas:
        row = rows.get(d.key)
        if d.kind == "insert":
            if row is not None:
                found.append(Conflict(d.table, d.uuid, "", None, row))
        elif row is None:
            found.append(Conflict(d.table, d.uuid, "", d.old, None))
        elif d.kind == "update":
            assert d.old is not None
            for k, v in d.old.items():
                if k in row and not values_equal(v, row[k]):
                    found.append(Conflict(d.table, d.uuid, k, v, row[k]))
        if len(found) >= limit:
            break
    return found


def rebase(store: Store, deltas: Iterable[Delta]) -> DeltaSet:
    """Edits that take today's file to the state the deltas wanted.

    An insert whose row is already there (the save committed just before a crash) and an
    update whose values the file already has drop out; a row deleted since cannot be
    edited and drops out; anything else starts from the file's current values.
    """
    items = list(deltas)
    rows = current_rows(store, items)
    full_rows: dict[tuple[str, str], dict] = {}
    deletes = [d for d in items if d.kind == "delete" and d.key in rows]
    for table in {d.table for d in deletes}:
        got = store.get_rows(table, [d.uuid for d in deletes if d.table == table])
        full_rows.update({(table, u): r for u, r in got.items()})
    out = DeltaSet()
    for d in items:
        row = rows.get(d.key)
        if d.kind == "insert":
            assert d.new is not None
            if row is None:
                out.add(d)
                continue
            changed = {k: v for k, v in d.new.items() if k in row and not values_equal(v, row[k])}
            if changed:
                out.add(Delta(d.table, d.uuid, {k: row[k] for k in changed}, changed))
        elif d.kind == "delete":
            if d.key in full_rows:
                out.add(Delta(d.table, d.uuid, full_rows[d.key], None))
        elif row is not None:
            assert d.new is not None
            changed = {k: v for k, v in d.new.items() if k in row and not values_equal(v, row[k])}
            if changed:
                out.add(Delta(d.table, d.uuid, {k: row[k] for k in changed}, changed))
    return out
