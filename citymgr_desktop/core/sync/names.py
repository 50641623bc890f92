"""How people know the rows a sync talks about: an asset by its object code and name (a bin
has only a code), a record by its observation, a photo by its file name. One rule for the
window's conflict list and summary and for the command line's conflict lines (the uuid stays
in ``--json`` and the conflict id for ``sync-resolve``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.protocol import ProjectStore
from citymgr_desktop.core.sync.merge import Conflict

_LABEL_FIELDS = ("obj_code", "name", "observation", "file_name")


def row_label(row: Any) -> str:
    """How people know ``row`` (a dict of its values): "4201060304000010 民主大道009号", a
    record's observation, a photo's file name; "" when it has none of them."""
    if not isinstance(row, dict):
        return ""
    label = " ".join(str(row[f]) for f in ("obj_code", "name") if row.get(f))
    return label or str(row.get("observation") or row.get("file_name") or "")


def row_names(store: ProjectStore, keys: Iterable[tuple[str, str]]
              ) -> dict[tuple[str, str], str]:
    """(table, uuid) -> :func:`row_label` of the rows the master still has."""
    wanted: dict[str, list[str]] = {}
    for table, uuid in keys:
        wanted.setdefault(table, []).append(uuid)
    out: dict[tuple[str, str], str] = {}
    for table, uuids in wanted.items():
        try:
            fields = [f for f in _LABEL_FIELDS if f in sc.table(table).field_names()]
        except KeyError:
            continue
        if not fields:
            continue
        for uuid, row in store.get_rows(table, uuids, fields=fields).items():
            if label := row_label(row):
                out[(table, uuid)] = label
    return out


def conflict_names(store: ProjectStore, conflicts: Iterable[Conflict],
                   more: Iterable[tuple[str, str]] = ()) -> dict[tuple[str, str], str]:
    """(table, uuid) -> the label of each conflict's row as the master has it now, else as
    the field or the ancestor had it (a row the master does not have); ``more``: other rows
    to name from the master (a sync's removed assets)."""
    conflicts = list(conflicts)
    out = row_names(store, [*((c.table, c.uuid) for c in conflicts), *more])
    for c in conflicts:
        label = row_label(c.field_value) or row_label(c.ancestor)
        if (c.table, c.uuid) not in out and label:
            out[(c.table, c.uuid)] = label
    return out
