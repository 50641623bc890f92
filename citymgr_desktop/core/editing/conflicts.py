"""Pending edits against the file as it is now, field by field like a sync (a three-way
merge: the value an edit started from, the file's value now, the edit's value).

Used before a save (another program, QGIS or ``citymgr edit``, may have changed what we
edit) and when the edits of a crashed session are restored from the journal: a field the
file still has at its starting value takes our edit; one the file already has at our value
drops out; one both changed, differently, is a :class:`Conflict` a person decides
("mine" or "theirs"). Nothing is overwritten silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.messages import Message, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet, three_way, values_equal

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

MINE, THEIRS = "mine", "theirs"


@dataclass(frozen=True)
class Conflict:
    """One field (or a whole row) both sides changed.

    ``kind``: ``value`` (both changed the field), ``deleted`` (we edit a row the file no
    longer has: only "theirs" can be chosen), ``changed`` (we delete a row the file changed
    since).
    """

    table: str
    uuid: str
    field: str  # "" for a whole row
    ours_old: Any  # the value our edit started from (the common ancestor)
    theirs: Any  # the file's value now (None when the row is gone)
    mine: Any = None  # our value
    kind: str = "value"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.table, self.uuid, self.field)

    def describe(self) -> Message:
        if self.kind == "deleted":
            return msg("{table} {uuid} was deleted in the file", table=self.table, uuid=self.uuid)
        if self.kind == "changed":
            return msg("{table} {uuid} was changed in the file after you deleted it",
                       table=self.table, uuid=self.uuid)
        return msg("{table} {uuid} {field}: the edit started from {old}, the file now has {now}",
                   table=self.table, uuid=self.uuid, field=self.field,
                   old=_show(self.ours_old), now=_show(self.theirs))


def _show(v: Any) -> str | Message:
    if v is None:
        return msg("empty")
    if hasattr(v, "geom_type"):
        return msg("another {geometry_type}", geometry_type=v.geom_type.lower())
    return repr(v)


@dataclass
class Merge:
    """Edits merged with today's file: what applies cleanly, and the conflicts."""

    clean: DeltaSet
    conflicts: list[Conflict] = field(default_factory=list)
    dropped: int = 0  # edits the file already has

    def resolved(self, choices: Mapping[tuple[str, str, str], str] | None = None,
                 default: str = MINE) -> DeltaSet:
        """The edits to keep once every conflict is decided (``choices`` by
        :attr:`Conflict.key`; undecided ones take ``default``)."""
        out = DeltaSet(self.clean)
        for c in self.conflicts:
            choice = (choices or {}).get(c.key, default)
            if choice != MINE or c.kind == "deleted":
                continue
            if c.kind == "changed":  # delete what the file has now
                out.add(Delta(c.table, c.uuid, c.theirs, None))
            else:
                out.add(Delta(c.table, c.uuid, {c.field: c.theirs}, {c.field: c.mine}))
        return out


def current_rows(store: Store, deltas: Iterable[Delta], *, whole: bool = False
                 ) -> dict[tuple[str, str], dict]:
    """The file's rows keyed by (table, uuid): the fields the deltas touch, or every field
    with ``whole``. Link rows (no uuid key) are looked up by their link fields."""
    want: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    links: list[Delta] = []
    for d in deltas:
        if not sc.table(d.table).key:
            links.append(d)
            continue
        want[d.table][d.uuid] |= set((d.old or {}).keys()) | set((d.new or {}).keys())
    out: dict[tuple[str, str], dict] = {}
    for table, by_uuid in want.items():
        t = sc.table(table)
        if whole:
            rows = store.get_rows(table, list(by_uuid))
        else:
            names = set().union(*by_uuid.values()) | {t.key}
            names = {n for n in names if n == sc.GEOMETRY_COLUMN or n in t.field_names()}
            geom_first = sorted(names, key=lambda n: (n != sc.GEOMETRY_COLUMN, n))
            rows = store.get_rows(table, list(by_uuid), fields=geom_first)
        for uuid, row in rows.items():
            out[(table, uuid)] = row
    if links:
        out.update(store.link_rows(links[0].table, [d.uuid for d in links]))
    return out


def merge(store: Store, deltas: Iterable[Delta]) -> Merge:
    """Three-way merge of ``deltas`` (their ``old`` values are where they started) with the
    file as it is now."""
    items = list(deltas)
    rows = current_rows(store, items)
    deleted = [d for d in items if d.kind == "delete" and d.key in rows]
    whole = current_rows(store, deleted, whole=True) if deleted else {}
    out = Merge(DeltaSet())
    for d in items:
        row = rows.get(d.key)
        if d.kind == "insert":
            _merge_insert(out, d, row)
        elif d.kind == "delete":
            if row is None:
                out.dropped += 1  # gone already
                continue
            changed = [k for k, v in (d.old or {}).items()
                       if k in row and not values_equal(v, row[k])]
            full = whole.get(d.key, row)
            if changed:
                out.conflicts.append(Conflict(d.table, d.uuid, "", d.old, full, None,
                                              "changed"))
            else:
                out.clean.add(Delta(d.table, d.uuid, full, None))
        elif row is None:
            out.conflicts.append(Conflict(d.table, d.uuid, "", d.old, None, d.new, "deleted"))
        else:
            _merge_update(out, d, row)
    return out


def _merge_insert(out: Merge, d: Delta, row: dict | None) -> None:
    assert d.new is not None
    if row is None:
        out.clean.add(d)
        return
    out.dropped += 1  # the row is there (a save committed just before a crash)
    for k, v in d.new.items():
        if k in row and not values_equal(v, row[k]):
            out.conflicts.append(Conflict(d.table, d.uuid, k, None, row[k], v))


def _merge_update(out: Merge, d: Delta, row: dict) -> None:
    assert d.old is not None and d.new is not None
    mine = {k: v for k, v in d.new.items() if k in row}
    take, conflicting = three_way(d.old, mine, row)
    for k in conflicting:
        out.conflicts.append(Conflict(d.table, d.uuid, k, d.old.get(k), row[k], mine[k]))
    if take:
        out.clean.add(Delta(d.table, d.uuid, {k: row[k] for k in take}, take))
    elif not conflicting:
        out.dropped += 1


def conflicts(store: Store, deltas: list[Delta], limit: int = 50) -> list[Conflict]:
    """Edits whose starting values the file no longer has and that disagree with it
    (first ``limit``)."""
    return merge(store, deltas).conflicts[:limit]


def rebase(store: Store, deltas: Iterable[Delta]) -> DeltaSet:
    """Edits that take today's file to the state the deltas wanted ("mine" for every
    conflict; edits of rows deleted since drop out)."""
    return merge(store, deltas).resolved(default=MINE)
