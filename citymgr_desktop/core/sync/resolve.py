"""Resolving the conflicts a sync left open: list them with their values, and apply a person's
choice per field (ancestor, master, field, or an edited value) as one journaled run that
``undo_sync`` can take back like any sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.messages import Text, parse
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.apply import apply_plan, capture_state
from citymgr_desktop.core.sync.checks import check_plan
from citymgr_desktop.core.sync.diff import all_columns, fetch_rows
from citymgr_desktop.core.sync.journal import value_json, write_journal
from citymgr_desktop.core.sync.merge import (
    ROW,
    STORED_CONFLICT_MESSAGES,
    Change,
    Conflict,
    Plan,
    check_value,
)
from citymgr_desktop.core.sync.names import conflict_names
from citymgr_desktop.core.sync.schema import compared_columns, ensure_tables
from citymgr_desktop.core.sync.values import GEOM, loads, loads_row, same_value

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

CHOICES = ("ancestor", "master", "field", "edit")
_ROW_CHOICES = {
    "edit/delete": ("ancestor", "master", "field"),  # field edited, master deleted
    "delete/edit": ("ancestor", "master", "field"),  # field deleted, master edited
    "orphan": ("master", "field"),
    "rejected": ("master", "field"),
    "invalid": ("master", "field"),
}
_COLS = ("conflict_uuid", "sync_uuid", "package_uuid", "table_name", "row_uuid", "field_name",
         "kind", "ancestor_value", "master_value", "field_value", "message", "state",
         "resolution")


@dataclass
class ConflictRecord(Conflict):
    """A stored conflict: the merge's conflict (raw values, rows as dicts for whole-row
    conflicts) with the sync run it came from and its state."""

    sync_uuid: str = ""
    sync_id: str = ""
    package_uuid: str | None = None
    state: str = "open"

    @property
    def is_row(self) -> bool:
        return self.field == ROW

    def choices(self) -> tuple[str, ...]:
        """The choices that make sense for this conflict."""
        if self.is_row:
            return _ROW_CHOICES.get(self.kind, ("master", "field"))
        if self.kind == "insert/insert" or (self.kind == "invalid" and self.ancestor is None):
            return ("master", "field", "edit") if self.field != GEOM else ("master", "field")
        return CHOICES if self.field != GEOM else ("ancestor", "master", "field")


def list_conflicts(store: Store, state: str | None = "open",
                   sync_uuid: str | None = None) -> list[ConflictRecord]:
    """Conflicts (open ones by default), oldest sync first."""
    out = []
    for d, sync_id in _stored(store.conn, state, sync_uuid):
        is_row = d["field_name"] == ROW
        dec = loads_row if is_row else loads
        out.append(ConflictRecord(
            table=d["table_name"], uuid=d["row_uuid"], field=d["field_name"], kind=d["kind"],
            ancestor=_load(dec, d["ancestor_value"]), master=_load(dec, d["master_value"]),
            field_value=_load(dec, d["field_value"]),
            message=_message(d, _load(dec, d["field_value"])),
            resolution=d["resolution"], conflict_uuid=d["conflict_uuid"],
            sync_uuid=d["sync_uuid"], sync_id=sync_id, package_uuid=d["package_uuid"],
            state=d["state"]))
    return out


def _message(d: Any, field_value: Any) -> Text:
    """A stored conflict's sentence as a Message again, so it shows in the reader's language:
    one of the stored templates, or the value check asked again (its English must be the
    stored one: the table, the field's label and the allowed values come back as words of
    both languages); else the stored text."""
    found = parse(d["message"], STORED_CONFLICT_MESSAGES)
    if found is not None:
        return found
    if d["kind"] == "invalid" and d["field_name"] != ROW and d["table_name"] in sc.TABLES_BY_NAME:
        again = check_value(sc.table(d["table_name"]), d["field_name"], field_value)
        if again is not None and str(again) == d["message"]:
            return again
    return d["message"] or ""


def conflict_listing(store: Store, state: str | None = "open") -> list[dict[str, Any]]:
    """Conflicts as stored, for a listing (``citymgr sync-list``): ``conflict_id``,
    ``sync_id``, ``layer``, ``uuid``, ``field``, ``kind``, ``ancestor``, ``master``,
    ``field_value`` (the values as their stored JSON text) and ``message``."""
    return [{"conflict_id": d["conflict_uuid"], "sync_id": sync_id, "layer": d["table_name"],
             "uuid": d["row_uuid"], "field": d["field_name"], "kind": d["kind"],
             "ancestor": d["ancestor_value"], "master": d["master_value"],
             "field_value": d["field_value"], "message": d["message"]}
            for d, sync_id in _stored(store.conn, state, None)]


def _stored(conn: Any, state: str | None,
            sync_uuid: str | None) -> list[tuple[dict[str, Any], str]]:
    """(stored columns, sync id) of each conflict, oldest sync first."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_conflict'").fetchone() \
            is None:
        return []
    where, params = [], []
    if state:
        where.append("c.state = ?")
        params.append(state)
    if sync_uuid:
        where.append("c.sync_uuid = ?")
        params.append(sync_uuid)
    sql = (f"SELECT {', '.join('c.' + c for c in _COLS)}, r.sync_id FROM sync_conflict c "
           "JOIN sync_run r USING (sync_uuid) "
           + (f"WHERE {' AND '.join(where)} " if where else "")
           + "ORDER BY r.applied_at, c.rowid")
    return [(dict(zip(_COLS, row[:-1], strict=True)), row[-1])
            for row in conn.execute(sql, params)]


def _load(decode: Any, text: str | None) -> Any:
    if text is None or text == "null":
        return None
    return decode(text)


def current_value(conn: Any, c: ConflictRecord) -> Any:
    """What the master holds now for the conflict's field (or row): None if the row is gone."""
    t = sc.table(c.table)
    row = fetch_rows(conn, "main", t, [c.uuid], all_columns(t)).get(c.uuid)
    if row is None or c.is_row:
        return row
    return row.get(c.field)


def current_rows(store: Store, conflicts: Iterable[ConflictRecord]
                 ) -> dict[tuple[str, str], dict[str, Any]]:
    """What the master holds now for the rows of these conflicts, by (table, uuid); rows
    gone from the master are left out."""
    by_table: dict[str, list[str]] = {}
    for c in conflicts:
        by_table.setdefault(c.table, []).append(c.uuid)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for name, uuids in by_table.items():
        t = sc.table(name)
        for u, r in fetch_rows(store.conn, "main", t, uuids, all_columns(t)).items():
            out[(name, u)] = r
    return out


def _not_open(store: Store, conflict_uuid: str) -> NotFoundError:
    """The refusal of a conflict that is not open, naming its asset as the window does."""
    known = [c for c in list_conflicts(store, None) if c.conflict_uuid == conflict_uuid]
    if not known:
        return NotFoundError("conflict {conflict_uuid} is not open (resolved already, or its "
                             "sync was undone)", conflict_uuid=conflict_uuid)
    c, t = known[0], sc.table(known[0].table)
    return NotFoundError("conflict {conflict_uuid} ({layer} {asset} {field}) is not open "
                         "(resolved already, or its sync was undone)",
                         conflict_uuid=conflict_uuid, layer=t.term,
                         field=t.field(c.field).term if c.field in t.field_names() else c.field,
                         asset=conflict_names(store, known).get((c.table, c.uuid)) or c.uuid)


@dataclass(frozen=True)
class Resolution:
    conflict_uuid: str
    choice: str  # ancestor | master | field | edit
    value: Any = None  # the edited value for "edit"


def resolve_conflicts(store: Store, resolutions: Iterable[Resolution], user: str = "",
                      progress: Progress | None = None) -> dict[str, Any]:
    """Apply the choices in one transaction, journaled as a run of kind ``resolve``."""
    store.require_asset_project()
    wanted = list(resolutions)
    if not wanted:
        raise ValidationError("no conflicts chosen to resolve")
    stamp, run_uuid = now_iso(), new_uuid()
    with store.session() as conn:
        ensure_tables(conn)
        open_ = {c.conflict_uuid: c for c in list_conflicts(store, "open")}
        plan, chosen = Plan(), []
        updates: dict[tuple[str, str], Change] = {}
        for r in wanted:
            c = open_.get(r.conflict_uuid)
            if c is None:
                raise _not_open(store, r.conflict_uuid)
            if r.choice not in c.choices():
                raise ValidationError("{table} {uuid} {field}: choose one of {choices}, not "
                                      "{choice!r}",
                                      table=c.table, uuid=c.uuid, field=c.field,
                                      choices=', '.join(c.choices()), choice=r.choice)
            value = _plan_one(conn, c, r, plan, updates, user, stamp)
            chosen.append((c, r.choice, value))
        check_plan(conn, plan, stamp, user)
        if plan.conflicts:
            raise ValidationError("{problem}; nothing was changed",
                                  problem=plan.conflicts[0].message)
        before = capture_state(conn)
        entries = apply_plan(store, plan, progress)
        if plan.conflicts:
            raise ValidationError("{problem}; nothing was changed",
                                  problem=plan.conflicts[0].message)
        write_journal(conn, run_uuid, entries)
        conn.executemany(
            "UPDATE sync_conflict SET state = 'resolved', resolution = ?, resolved_value = ?, "
            "resolved_at = ?, resolved_by = ?, resolve_sync_uuid = ? WHERE conflict_uuid = ?",
            [(choice, value_json(value), stamp, user or None, run_uuid, c.conflict_uuid)
             for c, choice, value in chosen])
        sync_id = f"resolve-{run_uuid[:8]}"
        counts: dict[str, dict[str, int]] = {}
        for ch in plan.changes:
            counts.setdefault(ch.table, {}).setdefault(ch.action, 0)
            counts[ch.table][ch.action] += 1
        reg.insert_run(conn, reg.RunRecord(
            sync_uuid=run_uuid, sync_id=sync_id, kind="resolve",
            package_uuid=chosen[0][0].package_uuid, parent_sync_uuid=None, base_file=None,
            source_path=None, applied_at=stamp, applied_by=user or None, prefer=None,
            state="applied", counts=counts, conflict_count=0,
            restore_state={"before": before, "after": capture_state(conn),
                           "resolved": [[c.conflict_uuid, choice, value_json(value)]
                                        for c, choice, value in chosen]}))
    return {"sync_id": sync_id, "sync_uuid": run_uuid, "resolved": len(chosen),
            "rows_changed": len(entries)}


def _plan_one(conn: Any, c: ConflictRecord, r: Resolution, plan: Plan,
              updates: dict[tuple[str, str], Change], user: str, stamp: str) -> Any:
    """Add what the choice means to ``plan``; returns the value chosen (for the record)."""
    t = sc.table(c.table)
    now = current_value(conn, c)
    if r.choice == "master":
        return now
    if not c.is_row:
        if now is None and not fetch_rows(conn, "main", t, [c.uuid], [t.key]):
            raise ValidationError("{table} {uuid} is no longer in the master; keep the master's "
                                  "side", table=c.table, uuid=c.uuid)
        value = {"ancestor": c.ancestor, "field": c.field_value}.get(r.choice, r.value)
        if r.choice == "edit" and isinstance(value, str) and not value.strip():
            value = None
        why = check_value(t, c.field, value)
        if why:
            raise ValidationError("{problem}", problem=why)
        if not same_value(t, c.field, now, value):
            ch = updates.get((c.table, c.uuid))
            if ch is None:
                ch = updates[(c.table, c.uuid)] = Change(c.table, c.uuid, "update", {})
                plan.changes.append(ch)
            ch.values[c.field] = value
            _stamp(t, ch.values, user, stamp)
        return value
    row = c.ancestor if r.choice == "ancestor" else c.field_value
    if c.kind == "delete/edit" and r.choice == "field":
        plan.changes.append(Change(c.table, c.uuid, "delete"))
        return None
    if not isinstance(row, dict):
        raise ValidationError("{table} {uuid}: no {choice} row to take",
                              table=c.table, uuid=c.uuid, choice=r.choice)
    if now is None:  # bring the row back
        values = {k: v for k, v in row.items() if k != "fid"}
        values[t.key] = c.uuid
        _stamp(t, values, user, stamp)
        plan.changes.append(Change(c.table, c.uuid, "insert", values))
    else:  # the row is there: take the chosen values over
        cols = [x for x in compared_columns(t) if x in row]
        values = {x: row[x] for x in cols if not same_value(t, x, now.get(x), row[x])}
        if values:
            _stamp(t, values, user, stamp)
            plan.changes.append(Change(c.table, c.uuid, "update", values))
    return row


def _stamp(t: sc.Table, values: dict[str, Any], user: str, stamp: str) -> None:
    if "updated_at" in t.field_names():
        values["updated_at"] = stamp
        values["updated_by"] = user or None
