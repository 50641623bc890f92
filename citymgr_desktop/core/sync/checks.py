"""Checks of a merge plan against the whole master, before anything is written.

The merge looks at one row at a time; these rules need the rest of the file: component
codes are unique per layer, an asset with history is retired rather than deleted, a
maintenance record must name an asset that will exist after the sync, and a record with a
condition after grades its asset as the same record entered in the app does (the
inspection rule of ``core/history``).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.history import condition_before, inspection_condition, newest_per_asset
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import values_equal
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync.merge import ROW, Change, Conflict, Plan


def check_plan(conn: sqlite3.Connection, plan: Plan, stamp: str, surveyor: str) -> None:
    """Adjust ``plan`` in place: unique codes, retire instead of delete, no orphan records."""
    _unique_codes(conn, plan)
    _retire_with_history(conn, plan, stamp, surveyor)
    _orphans(conn, plan)


def _unique_codes(conn: sqlite3.Connection, plan: Plan) -> None:
    by_table: dict[str, list[Change]] = defaultdict(list)
    for ch in plan.changes:
        if ch.table in sc.ASSET_TABLES_BY_NAME and ch.values.get("obj_code") is not None:
            by_table[ch.table].append(ch)
    drop: list[Change] = []
    for name, changes in by_table.items():
        owners = dict(gpkg.select_in(conn, f'SELECT obj_code, asset_uuid FROM main."{name}" '
                                    "WHERE obj_code IN ({marks})",
                              [str(c.values["obj_code"]) for c in changes]))
        taken: set[str] = set()
        for ch in changes:
            code = str(ch.values["obj_code"])
            owner = owners.get(code)
            clash = (owner is not None and owner != ch.uuid) or code in taken
            taken.add(code)
            if not clash:
                continue
            who = msg("asset {uuid}", uuid=owner) if owner and owner != ch.uuid \
                else msg("another new asset")
            if ch.action == "insert":
                ch.values["obj_code"] = None
                plan.notes.append(msg("{table} {uuid}: obj_code {code} from the field is already "
                                      "used by {owner}; a new code was assigned", table=name,
                                      uuid=ch.uuid, code=code, owner=who))
            else:
                plan.conflicts.append(_invalid(ch, "obj_code", code,
                                               msg("obj_code {code} is already used by {owner}",
                                                   code=code, owner=who)))
                del ch.values["obj_code"]
                if not set(ch.values) - {"updated_at", "updated_by"}:
                    drop.append(ch)
    for ch in drop:
        plan.changes.remove(ch)


def _invalid(ch: Change, column: str, value: object, message: Text) -> Conflict:
    return Conflict(ch.table, ch.uuid, column, "invalid", None, None, value, message)


def _retire_with_history(conn: sqlite3.Connection, plan: Plan, stamp: str,
                         surveyor: str) -> None:
    deletes = [c for c in plan.changes if c.action == "delete"
               and c.table in sc.ASSET_TABLES_BY_NAME]
    if not deletes:
        return
    uuids = [c.uuid for c in deletes]
    # History counts as it was in the master before this sync: records the field deleted in
    # the same package do not turn a retirement into a removal.
    referenced = {r[0] for r in gpkg.select_in(
        conn, "SELECT asset_uuid FROM main.maintenance_record WHERE asset_uuid IN ({marks})",
        uuids)}
    referenced |= {r[0] for r in gpkg.select_in(
        conn, "SELECT asset_uuid FROM main.work_order_asset WHERE asset_uuid IN ({marks})",
        uuids)}
    referenced |= {c.values.get("asset_uuid") for c in plan.changes
                   if c.table == "maintenance_record" and c.action in ("insert", "update")}
    for ch in deletes:
        if ch.uuid in referenced:
            ch.action = "retire"
            ch.values = {"retired_at": stamp, "updated_at": stamp,
                         "updated_by": surveyor or None}
            plan.notes.append(msg("{table} {uuid}: deleted in the field but it has maintenance "
                                  "history or work orders; it was retired instead",
                                  table=ch.table, uuid=ch.uuid))


def _orphans(conn: sqlite3.Connection, plan: Plan) -> None:
    records = [c for c in plan.changes if c.table == "maintenance_record"
               and c.action in ("insert", "update")
               and ("asset_uuid" in c.values or "asset_class" in c.values)]
    if not records:
        return
    current = {r[0]: (r[1], r[2]) for r in gpkg.select_in(
        conn, "SELECT record_uuid, asset_uuid, asset_class FROM main.maintenance_record "
              "WHERE record_uuid IN ({marks})", [c.uuid for c in records])}
    wanted: dict[str, tuple[str, str]] = {}
    for c in records:
        cur_uuid, cur_class = current.get(c.uuid, ("", ""))
        wanted[c.uuid] = (str(c.values.get("asset_uuid", cur_uuid)),
                          str(c.values.get("asset_class", cur_class)))
    gone = {(c.table, c.uuid) for c in plan.changes if c.action == "delete"}
    added = {(c.table, c.uuid) for c in plan.changes if c.action == "insert"}
    exists: set[tuple[str, str]] = set()
    for t in sc.ASSET_TABLES:
        for (u,) in gpkg.select_in(conn, f'SELECT asset_uuid FROM main."{t.name}" '
                                  "WHERE asset_uuid IN ({marks})",
                            [w[0] for w in wanted.values()]):
            if (t.name, u) not in gone:
                exists.add((t.name, u))
    exists |= added
    for c in records:
        asset_uuid, asset_class = wanted[c.uuid]
        if (asset_class, asset_uuid) in exists:
            continue
        plan.changes.remove(c)
        column = ROW if c.action == "insert" else "asset_uuid"
        value = dict(c.values) if c.action == "insert" else asset_uuid
        plan.conflicts.append(Conflict(
            c.table, c.uuid, column, "orphan", None, None, value,
            msg("the record names {asset_class} {asset_uuid}, which is not in the master "
                "(deleted there, or rejected)", asset_class=asset_class, asset_uuid=asset_uuid)))


def apply_inspections(store: Store, plan: Plan, stamp: str, surveyor: str) -> None:
    """The inspection rule for the field's records: a new record keeps its asset's condition
    as ``condition_before``; each asset gets the condition its newest new or changed record
    grades it with, unless the asset's condition is an open conflict (that waits for a
    person)."""
    records = [c for c in plan.changes if c.table == "maintenance_record"
               and c.action in ("insert", "update")
               and (c.action == "insert" or {"condition_after", "record_date"} & set(c.values))]
    if not records:
        return
    for c in records:  # a new record keeps the condition its asset had (as in the app)
        if c.action == "insert" and c.values.get("condition_before") is None:
            change = next((a for a in plan.changes if a.table == c.values.get("asset_class")
                           and a.uuid == c.values.get("asset_uuid")), None)
            if change is None or change.action != "insert":
                c.values["condition_before"] = condition_before(c.values, _condition_now(
                    store, str(c.values.get("asset_class")), str(c.values.get("asset_uuid")),
                    None))
    updated = [c.uuid for c in records if c.action == "update"]
    current = store.get_rows("maintenance_record", updated) if updated else {}
    full = [{**current.get(c.uuid, {}), **c.values, "record_uuid": c.uuid} for c in records]
    mine = defaultdict(list)
    for rec in full:
        mine[rec.get("asset_uuid")].append(rec["record_uuid"])
    open_conflicts = {(c.table, c.uuid) for c in plan.conflicts
                      if c.field == "condition" and c.resolution is None}
    for asset_uuid, rec in newest_per_asset(full).items():
        cls = str(rec.get("asset_class"))
        if cls not in sc.ASSET_TABLES_BY_NAME:
            continue
        if (cls, asset_uuid) in open_conflicts:
            code = store.get_rows(cls, [asset_uuid], ["obj_code"]).get(asset_uuid, {})
            plan.notes.append(msg("{asset} {code}: the condition after of record {record} was "
                                  "not applied; the asset's condition is an open conflict",
                                  asset=sc.table(cls).term, code=code.get("obj_code") or asset_uuid,
                                  record=str(rec["record_uuid"])[:8]))
            continue
        change = next((c for c in plan.changes if c.table == cls and c.uuid == asset_uuid),
                      None)
        if change is not None and change.action not in ("insert", "update"):
            continue  # deleted or retired in this sync
        now = _condition_now(store, cls, asset_uuid, change)
        new = inspection_condition(store, asset_uuid, rec.get("record_date"),
                                   rec.get("condition_after"), now,
                                   exclude=mine[asset_uuid])
        if new is None:
            continue
        if change is None:
            plan.changes.append(Change(cls, asset_uuid, "update", {
                "condition": new, "updated_at": stamp, "updated_by": surveyor or None}))
        else:
            change.values["condition"] = new


def restore_condition_before(conn: sqlite3.Connection,
                             records: list[tuple[str, dict[str, Any]]]) -> list[Text]:
    """A new field record whose ``condition_before`` is the condition the surveyor gave its
    asset in the same package (QGIS and QField read the asset as edited: "5 → 5" for a bin
    that was 3) keeps the condition the asset had in the base instead. Only when the record is
    the asset's one new record of the sync: with two visits the later one rightly starts
    from the edited condition. ``records``: (uuid, values) of the sync's new records, values
    put right in place (a file's plan, a database's deltas); returns the notes. Needs the
    base (``b``) and the package (``f``) attached."""
    new = [(uuid, values) for uuid, values in records
           if values.get("condition_before") is not None
           and values.get("asset_class") in sc.ASSET_TABLES_BY_NAME]
    per_asset: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for uuid, values in new:
        per_asset[(str(values["asset_class"]), str(values.get("asset_uuid")))].append(
            (uuid, values))
    notes: list[Text] = []
    for (cls, asset_uuid), same_asset in per_asset.items():
        if len(same_asset) != 1:
            continue
        sides = [conn.execute(f"SELECT condition FROM {schema}.{gpkg.quote_ident(cls)} "
                              "WHERE asset_uuid = ?", (asset_uuid,)).fetchone()
                 for schema in ("b", "f")]
        if sides[0] is None or sides[1] is None:  # a new asset, or deleted in the field
            continue
        base, edited = sides[0][0], sides[1][0]
        ((record_uuid, values),) = same_asset
        if values_equal(base, edited) or not values_equal(values["condition_before"], edited):
            continue
        values["condition_before"] = base
        code = conn.execute(f"SELECT obj_code FROM f.{gpkg.quote_ident(cls)} WHERE "
                            "asset_uuid = ?", (asset_uuid,)).fetchone()[0]
        notes.append(msg("{asset} {code}: record {record} gave as condition before the "
                         "condition set in the same visit ({edited}); kept the one the "
                         "asset had before ({base})", asset=sc.table(cls).term,
                         code=code or asset_uuid, record=record_uuid[:8], edited=edited,
                         base="-" if base is None else base))
    return notes


def _condition_now(store: Store, cls: str, asset_uuid: str, change: Change | None) -> Any:
    if change is not None and "condition" in change.values:
        return change.values["condition"]
    if change is not None and change.action == "insert":
        return None
    row = store.get_rows(cls, [asset_uuid], ["condition"]).get(asset_uuid)
    return None if row is None else row.get("condition")
