"""The three-way merge: base -> field against base -> master, one table at a time.

Only rows the field changed are looked at: a row the field left alone keeps whatever the
master has. The rule for one value is a small table (after Kart's ``diff_structs``; one
definition, ``model.delta.three_way``, which the app's save uses too):

=================  ================  ===========================
field changed it   master changed it result
=================  ================  ===========================
no                 any               master's value stays
yes                no                field's value lands
yes                yes, same value   nothing to do (same edit)
yes                yes, other value  conflict (ancestor / master / field)
=================  ================  ===========================

Whole rows: field edit vs master delete, and field delete vs master edit, are conflicts; a
field delete of an untouched row deletes it (or retires it when it has history); a new field
row lands with its uuid (a package with missing or repeated uuids never gets here: see
``identity``). ``prefer`` settles
conflicts for one side; without it the master keeps its value and the conflict stays open.
Values that break the model (domain, length, geometry) never land: they stay open as
``invalid`` conflicts, with the value kept for a person.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import three_way
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.store.write import check_geometry
from citymgr_desktop.core.sync.diff import TableDiff
from citymgr_desktop.core.sync.schema import compared_columns
from citymgr_desktop.core.sync.values import GEOM, for_store, same_value

ROW = "*"  # field name of a conflict about a whole row


@dataclass(slots=True)
class Change:
    """One row change to make in the master (raw values)."""

    table: str
    uuid: str
    action: str  # insert | update | delete | retire
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conflict:
    """A disagreement kept for a person (or settled by ``prefer``), with the raw values of
    the three copies: what the merge finds, the report shows and ``sync_conflict`` stores."""

    table: str
    uuid: str
    field: str  # a column, or ROW for a whole row
    kind: str  # edit/edit, edit/delete, delete/edit, insert/insert, invalid, orphan, rejected
    ancestor: Any
    master: Any
    field_value: Any
    message: Text = ""  # a Message; stored (sync_conflict.message) as its English sentence
    resolution: str | None = None  # "master" / "field" when settled by prefer
    conflict_uuid: str | None = None  # its row in sync_conflict, once stored

    @property
    def layer(self) -> str:
        return self.table

    @property
    def asset_uuid(self) -> str | None:
        """The asset the conflict is about (a record's asset for a record row)."""
        if self.table in sc.ASSET_TABLES_BY_NAME:
            return self.uuid
        if self.table == "maintenance_record" and isinstance(self.field_value, dict):
            return self.field_value.get("asset_uuid")
        return None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)


@dataclass
class TableInput:
    """What the merge needs about one table: the field diff and the rows it touches."""

    table: sc.Table
    diff: TableDiff
    base: dict[str, dict[str, Any]]
    field: dict[str, dict[str, Any]]
    field_new: dict[int, dict[str, Any]]
    master: dict[str, dict[str, Any]]


# The sentences of conflicts found by sync itself: a stored conflict (sync_conflict.message,
# English) is shown again in the reader's language by finding its template (messages.parse).
STORED_CONFLICT_MESSAGES = (
    "the master refused the {action}: {reason}",
    "the record names {asset_class} {asset_uuid}, which is not in the master (deleted there, "
    "or rejected)",
    "obj_code {code} is already used by {owner}",
    "{table}.{column}: unreadable value ({reason})",
    "{table}: a feature needs a geometry",
)


def check_value(table: sc.Table, column: str, value: Any) -> Text | None:
    """Why ``value`` cannot be stored in ``table.column`` (None when it can)."""
    try:
        if column == GEOM:
            if value is None:
                return msg("{table}: a feature needs a geometry", table=table.name)
            check_geometry(table, for_store(GEOM, value))
        else:
            normalise(table, column, for_store(column, value))
            if column == "obj_code" and value is not None and table.is_asset:
                objcode.validate(str(value), table)
    except CitymgrError as exc:
        return exc.message
    except Exception as exc:  # an undecodable blob from another tool
        return msg("{table}.{column}: unreadable value ({reason})", table=table.name,
                   column=column, reason=exc)
    return None


class Merger:
    """Merges one package's changes; collects changes, conflicts and notes in ``plan``."""

    def __init__(self, prefer: str | None, surveyor: str, stamp: str) -> None:
        if prefer not in (None, "master", "field"):
            raise ValueError(f"prefer must be master or field, not {prefer!r}")
        self.prefer = prefer
        self.surveyor = surveyor
        self.stamp = stamp
        self.plan = Plan()

    # -- one table -------------------------------------------------------------------------
    def merge_table(self, inp: TableInput) -> None:
        t = inp.table
        for uuid, cols in inp.diff.updated.items():
            b, f, m = inp.base[uuid], inp.field[uuid], inp.master.get(uuid)
            if m is None:
                self._edit_vs_delete(t, uuid, b, f)
            else:
                self._update(t, uuid, cols, b, f, m)
        for uuid in inp.diff.deleted:
            b, m = inp.base[uuid], inp.master.get(uuid)
            if m is None:
                continue  # deleted on both sides
            changed = [c for c in compared_columns(t) if not same_value(t, c, b[c], m[c])]
            if not changed:
                self._change(t, uuid, "delete")
                continue
            settle = self._settle()
            self._conflict(t, uuid, ROW, "delete/edit", _row(t, b), _row(t, m), None,
                           "deleted in the field, edited in the master "
                           f"({', '.join(changed)})", settle)
            if settle == "field":
                self._change(t, uuid, "delete")
        for new in inp.diff.inserted:
            f = inp.field_new[new.rowid]
            key = new.uuid  # never empty nor repeated: such packages are refused (identity.py)
            assert key is not None
            m = inp.master.get(key)
            if m is None:
                self._insert(t, key, f)
            else:
                self._insert_vs_insert(t, key, f, m)

    # -- cases -----------------------------------------------------------------------------
    def _update(self, t: sc.Table, uuid: str, cols: list[str], b: dict, f: dict,
                m: dict) -> None:
        take, conflicting = three_way(b, {c: f[c] for c in cols}, m,
                                      lambda c, x, y: same_value(t, c, x, y))
        for c in conflicting:
            settle = self._settle()
            self._conflict(t, uuid, c, "edit/edit", b[c], m[c], f[c],
                           "changed in the field and in the master", settle)
            if settle == "field":
                take[c] = f[c]
        take = self._valid(t, uuid, {c: take[c] for c in cols if c in take}, b, m)
        if take:
            self._stamp(t, take, b, f)
            self._change(t, uuid, "update", take)

    def _edit_vs_delete(self, t: sc.Table, uuid: str, b: dict, f: dict) -> None:
        settle = self._settle()
        self._conflict(t, uuid, ROW, "edit/delete", _row(t, b), None, _row(t, f),
                       "edited in the field, deleted in the master", settle)
        if settle == "field":
            self._insert(t, uuid, f)

    def _insert(self, t: sc.Table, uuid: str, f: dict) -> None:
        values = {c: f[c] for c in _writable(t)}
        values[t.key] = uuid
        problems = {c: why for c in values if c != t.key
                    if (why := check_value(t, c, values[c]))}
        fatal = [c for c in problems if c == GEOM or t.field(c).required]
        if fatal:
            self._conflict(t, uuid, ROW, "invalid", None, None, _row(t, f, uuid),
                           problems[fatal[0]])
            return
        for c, why in problems.items():
            if c == "obj_code":
                self.plan.notes.append(msg("{table} {uuid}: obj_code {code!r} from the field is "
                                           "not valid ({reason}); a new code was assigned",
                                           table=t.name, uuid=uuid, code=values[c], reason=why))
            else:
                self._conflict(t, uuid, c, "invalid", None, None, values[c], why)
            values[c] = None
        self._stamp(t, values, None, f)
        self._change(t, uuid, "insert", values)

    def _insert_vs_insert(self, t: sc.Table, uuid: str, f: dict, m: dict) -> None:
        take: dict[str, Any] = {}
        for c in compared_columns(t):
            if same_value(t, c, m[c], f[c]):
                continue
            settle = self._settle()
            self._conflict(t, uuid, c, "insert/insert", None, m[c], f[c],
                           "added in the field with a uuid the master already has", settle)
            if settle == "field":
                take[c] = f[c]
        take = self._valid(t, uuid, take, None, m)
        if take:
            self._stamp(t, take, None, f)
            self._change(t, uuid, "update", take)

    # -- helpers ---------------------------------------------------------------------------
    def _valid(self, t: sc.Table, uuid: str, take: dict[str, Any], b: dict | None,
               m: dict) -> dict[str, Any]:
        out = {}
        for c, v in take.items():
            why = check_value(t, c, v)
            if why:
                self._conflict(t, uuid, c, "invalid", None if b is None else b[c], m[c], v, why)
            else:
                out[c] = v
        return out

    def _stamp(self, t: sc.Table, values: dict[str, Any], b: dict | None, f: dict) -> None:
        """Who and when: the field's own stamp when it set one, else the surveyor and now."""
        names = t.field_names()
        if "updated_at" in names:
            changed = b is None or not same_value(t, "updated_at", b["updated_at"],
                                                           f["updated_at"])
            ok = f.get("updated_at") and changed and not check_value(t, "updated_at",
                                                                     f["updated_at"])
            values["updated_at"] = f["updated_at"] if ok else self.stamp
            by = f.get("updated_by")
            fresh = b is None or not same_value(t, "updated_by", b["updated_by"], by)
            values["updated_by"] = by if by and fresh else (self.surveyor or by)
        elif "created_by" in names and b is None:
            if not values.get("created_by"):
                values["created_by"] = self.surveyor or None
            if not values.get("created_at"):  # QGIS leaves it empty: when it came in
                values["created_at"] = self.stamp

    def _settle(self) -> str | None:
        return self.prefer

    def _change(self, t: sc.Table, uuid: str, action: str,
                values: dict[str, Any] | None = None) -> None:
        self.plan.changes.append(Change(t.name, uuid, action, dict(values or {})))

    def _conflict(self, t: sc.Table, uuid: str, column: str, kind: str, ancestor: Any,
                  master: Any, field_value: Any, message: Text,
                  resolution: str | None = None) -> None:
        self.plan.conflicts.append(Conflict(t.name, uuid, column, kind, ancestor, master,
                                            field_value, message, resolution))


def _writable(t: sc.Table) -> list[str]:
    """Columns a new row takes from the field (derived ones are recomputed by the store)."""
    cols = [GEOM] if t.is_asset else []
    return cols + [f.name for f in t.fields if f.name not in ("pci_grade",)]


def _row(t: sc.Table, row: dict[str, Any], uuid: str | None = None) -> dict[str, Any]:
    """A whole row as a conflict keeps it (no fid: fids are local to a file)."""
    out = {c: row.get(c) for c in _writable(t)}
    if uuid is not None:
        out[t.key] = uuid
    return out


def obj_code_owners(conn: sqlite3.Connection, t: sc.Table, codes: list[str]
                    ) -> dict[str, str]:
    """obj_code -> asset_uuid in the master for the codes given."""
    return dict(gpkg.select_in(
        conn, f'SELECT obj_code, asset_uuid FROM main."{t.name}" WHERE obj_code IN ({{marks}})',
        codes))
