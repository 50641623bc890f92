"""Rows read from the file, seen through unsaved edits given as data (a :class:`DeltaSet`):
the one way every core reader (history, work orders, identify) shows pending edits, so an
unsaved record, order or attachment looks saved. The edits come in as data, so a reader
needs nothing of ``core/editing``, which sits above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet

Row = dict[str, Any]


def pending_of(pending: DeltaSet | Iterable[Delta] | None, table: str) -> list[Delta]:
    """The pending deltas of ``table`` (none when ``pending`` is None)."""
    if pending is None:
        return []
    if isinstance(pending, DeltaSet):
        return pending.for_table(table)
    return [d for d in pending if d.table == table]


def full_row(table: str, delta: Delta) -> Row:
    """The row a pending insert adds: every field of the table (empty where not given)."""
    t = sc.table(table)
    row: Row = {n: None for n in t.field_names()}
    row.update(delta.new or {})
    if t.key:
        row[t.key] = delta.uuid
    return row


def overlay_rows(table: str, rows: Mapping[str, Row], pending: DeltaSet | Iterable[Delta] | None,
                 *, wanted: Iterable[str] | None = None,
                 match: Callable[[Row], bool] | None = None) -> dict[str, Row]:
    """``rows`` (file rows by key) as they look with the pending edits of ``table``.

    Deleted rows drop out, updated ones take their new values. New rows are added when
    their key is in ``wanted`` or, for a question like "records of asset X", when ``match``
    says so; with ``match``, updated rows are judged again by their new values.
    """
    deltas = pending_of(pending, table)
    out = {k: dict(v) for k, v in rows.items()}
    if not deltas:
        return out
    want = set(wanted) if wanted is not None else None
    for d in deltas:
        if d.kind == "delete":
            out.pop(d.uuid, None)
        elif d.kind == "insert":
            row = full_row(table, d)
            if (want is not None and d.uuid in want) or (match is not None and match(row)):
                out[d.uuid] = row
        elif d.uuid in out:
            out[d.uuid].update(d.new or {})
            if match is not None and not match(out[d.uuid]):
                del out[d.uuid]
    return out


def touched(pending: DeltaSet | Iterable[Delta] | None, table: str) -> list[str]:
    """Keys of the rows of ``table`` that pending edits change (any kind)."""
    return [d.uuid for d in pending_of(pending, table)]


def is_new(pending: DeltaSet | Iterable[Delta] | None, table: str, key: str) -> bool:
    return any(d.uuid == key and d.kind == "insert" for d in pending_of(pending, table))
