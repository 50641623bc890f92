"""Edits as data: a :class:`Delta` is the old and new values of one row, keyed by table and
uuid (after Kart's ``diff_structs``). Undo, saving, the recovery journal and sync all speak
deltas.

- insert: ``old is None``, ``new`` is the full row;
- delete: ``new is None``, ``old`` is the full row;
- update: ``old`` and ``new`` hold only the changed fields (the geometry under ``"geom"``).

``~delta`` is the inverse; ``d1 + d2`` squashes two deltas of the same row into one (and
may cancel out to ``None``).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.model.schema import GEOMETRY_COLUMN


@dataclass(frozen=True)
class Delta:
    table: str
    uuid: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    def __post_init__(self) -> None:
        if self.old is None and self.new is None:
            raise ValueError("a delta needs an old or a new row")

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.uuid)

    @property
    def kind(self) -> str:
        if self.old is None:
            return "insert"
        if self.new is None:
            return "delete"
        return "update"

    def __invert__(self) -> Delta:
        return Delta(self.table, self.uuid, self.new, self.old)

    def __add__(self, other: Delta) -> Delta | None:
        """This delta followed by ``other`` (same row) as one delta; None if nothing remains."""
        if other.key != self.key:
            raise ValueError(f"cannot squash deltas of {self.key} and {other.key}")
        a, b = self.kind, other.kind
        if a == "insert" and b == "delete":
            return None
        if a == "delete" and b == "insert":
            assert self.old is not None and other.new is not None
            changed = _diff(self.old, other.new)
            if not changed[0]:
                return None
            return Delta(self.table, self.uuid, changed[0], changed[1])
        if a == "insert":  # insert then update
            assert self.new is not None and other.new is not None
            return Delta(self.table, self.uuid, None, {**self.new, **other.new})
        if b == "delete":  # update then delete: the original row goes
            assert self.old is not None and other.old is not None
            return Delta(self.table, self.uuid, {**other.old, **self.old}, None)
        # update then update
        assert self.old is not None and self.new is not None
        assert other.old is not None and other.new is not None
        old = {**other.old, **self.old}
        new = {**self.new, **other.new}
        keep = [k for k in new if not values_equal(old.get(k), new[k])]
        if not keep:
            return None
        return Delta(self.table, self.uuid, {k: old.get(k) for k in keep},
                     {k: new[k] for k in keep})

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "uuid": self.uuid,
                "old": _row_to_json(self.old), "new": _row_to_json(self.new)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Delta:
        return cls(data["table"], data["uuid"], _row_from_json(data["old"]),
                   _row_from_json(data["new"]))


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in set(old) | set(new) if not values_equal(old.get(k), new.get(k))]
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


def values_equal(a: Any, b: Any) -> bool:
    """Equality for row values: NaN equals None, geometries compare exactly."""
    if a is None or (isinstance(a, float) and a != a):
        return b is None or (isinstance(b, float) and b != b)
    if b is None or (isinstance(b, float) and b != b):
        return False
    shapely = sys.modules.get("shapely")  # not loaded: no value is a geometry
    if shapely is not None and (isinstance(a, shapely.Geometry)
                                or isinstance(b, shapely.Geometry)):
        return (isinstance(a, shapely.Geometry) and isinstance(b, shapely.Geometry)
                and bool(shapely.equals_exact(a, b, 0.0)))
    return bool(a == b)


def _value_to_json(v: Any) -> Any:
    shapely = sys.modules.get("shapely")
    if shapely is not None and isinstance(v, shapely.Geometry):
        return {"$wkb": shapely.to_wkb(v, hex=True)}
    if isinstance(v, bytes):
        return {"$b64": base64.b64encode(v).decode()}
    return v


def _value_from_json(v: Any) -> Any:
    if isinstance(v, dict):
        if "$wkb" in v:
            import shapely

            return shapely.from_wkb(v["$wkb"])
        if "$b64" in v:
            return base64.b64decode(v["$b64"])
    return v


def _row_to_json(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: _value_to_json(v) for k, v in row.items()}


def _row_from_json(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: _value_from_json(v) for k, v in row.items()}


class DeltaSet:
    """An ordered set of deltas, one per row; adding a delta for a row squashes it in."""

    def __init__(self, deltas: Iterable[Delta] = ()) -> None:
        self._by_key: dict[tuple[str, str], Delta] = {}
        self._by_table: dict[str, dict[str, None]] = {}  # table -> uuids, in order
        for d in deltas:
            self.add(d)

    def add(self, delta: Delta) -> None:
        table, uuid = delta.table, delta.uuid
        key = (table, uuid)
        prev = self._by_key.pop(key, None)
        uuids = self._by_table.get(table)
        if uuids is None:
            uuids = self._by_table[table] = {}
        elif prev is not None:
            uuids.pop(uuid, None)
        merged = delta if prev is None else prev + delta
        if merged is not None:
            self._by_key[key] = merged
            uuids[uuid] = None
        elif not uuids:
            del self._by_table[table]

    def extend(self, deltas: Iterable[Delta]) -> None:
        add = self.add
        for d in deltas:
            add(d)

    def __iter__(self) -> Iterator[Delta]:
        return iter(list(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def __invert__(self) -> DeltaSet:
        return DeltaSet(~d for d in reversed(list(self._by_key.values())))

    def get(self, table: str, uuid: str) -> Delta | None:
        return self._by_key.get((table, uuid))

    def tables(self) -> set[str]:
        return set(self._by_table)

    def counts(self) -> dict[str, dict[str, int]]:
        """table -> {"insert": n, "update": n, "delete": n}, for the tables with deltas."""
        out: dict[str, dict[str, int]] = {}
        for d in self._by_key.values():
            counts = out.setdefault(d.table, {"insert": 0, "update": 0, "delete": 0})
            counts[d.kind] += 1
        return out

    def for_table(self, table: str) -> list[Delta]:
        """The deltas of one table, in the order they were (last) made."""
        return [self._by_key[(table, u)] for u in self._by_table.get(table, ())]

    def to_json(self) -> str:
        return json.dumps([d.to_json() for d in self], ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DeltaSet:
        return cls(Delta.from_json(d) for d in json.loads(text))


GEOM = GEOMETRY_COLUMN


def three_way(base: Mapping[str, Any], ours: Mapping[str, Any],
              theirs: Mapping[str, Any],
              equal: Callable[[str, Any, Any], bool] | None = None,
              ) -> tuple[dict[str, Any], list[str]]:
    """Merge our change of one row (``base`` -> ``ours``, the fields we changed) into the
    row as another writer left it (``theirs``), one field at a time, by the rule table of
    the field sync: they left the field alone -> ours lands; both made the same change ->
    nothing to do; both changed it differently -> a conflict. The field sync
    (``core/sync/merge.py``), the app's save and crash recovery
    (``core/editing/conflicts.py``) and the database store's versioned save merge with it.

    ``equal(field, a, b)``: when two values of a field are the same (default
    :func:`values_equal`; the sync compares raw values by meaning).
    Returns the values to write and the names of the conflicting fields.
    """
    same = equal or (lambda _name, a, b: values_equal(a, b))
    take: dict[str, Any] = {}
    conflicting: list[str] = []
    for name, value in ours.items():
        if same(name, theirs.get(name), value):
            continue  # they made the same change (or the field already has our value)
        if same(name, base.get(name), theirs.get(name)):
            take[name] = value
        else:
            conflicting.append(name)
    return take, conflicting
