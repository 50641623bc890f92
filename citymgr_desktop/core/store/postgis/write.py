"""Saving deltas to PostGIS without a lost update.

Every row carries a ``version``. An update is ``UPDATE … SET …, version = version + 1 WHERE
key = … AND version = <the version the editor read>``; when another writer saved the row
meanwhile the update matches nothing, the row is locked (``FOR UPDATE``) and our change is
merged into it field by field with the sync's rule table (:func:`model.delta.three_way`):
fields only we changed land, the same field changed two ways is a :class:`SaveConflict`
(the database keeps its value). Deletes need the version too. All of one save is one
transaction (the caller's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.errors import (
    GeometryError,
    NotFoundError,
    ReadOnlyError,
    ValidationError,
)
from citymgr_desktop.core.messages import Message, msg
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, three_way, values_equal
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.store.postgis.bulk import copy_to_stage, staged_columns
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, ident
from citymgr_desktop.core.store.postgis.values import from_db, placeholder, select_column, to_db
from citymgr_desktop.core.store.write import check_geometry, pci_grade_case_sql

BULK_INSERT_ROWS = 100  # from this many new rows of a table on, COPY instead of INSERTs
Versions = Mapping[tuple[str, str], int]  # (table, uuid) -> the version an editor read


@dataclass(frozen=True)
class SaveConflict:
    """A field both we and another writer changed since we read the row."""

    table: str
    uuid: str
    field: str  # "" for the whole row (deleted by the other writer)
    ours_old: Any
    theirs: Any
    ours_new: Any

    def describe(self) -> Message:
        if not self.field:
            return msg("{table} {uuid} was deleted in the database", table=self.table,
                       uuid=self.uuid)
        return msg("{table} {uuid} {field}: changed by another user to {theirs!r} while "
                   "this edit changed {old!r} to {new!r}", table=self.table, uuid=self.uuid,
                   field=self.field, theirs=self.theirs, old=self.ours_old, new=self.ours_new)


@dataclass
class SaveOutcome:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    merged: int = 0  # rows another writer changed meanwhile, merged field by field
    conflicts: list[SaveConflict] = field(default_factory=list)


def _prepare(table: sc.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = check_geometry(table, v) if k == sc.GEOMETRY_COLUMN else normalise(table, k, v)
    return out


def _stamp(table: sc.Table, row: dict[str, Any], user: str, stamp: str) -> None:
    names = table.field_names()
    if "updated_at" in names and "updated_by" in names:
        row["updated_at"] = stamp
        row["updated_by"] = user or row.get("updated_by")
    elif "created_at" in names:
        row.setdefault("created_at", stamp)
        row.setdefault("created_by", user or None)


def save_deltas(conn: Any, deltas: list[Delta], versions: Versions, user: str, srid: int,
                district_code: str) -> SaveOutcome:
    """Apply ``deltas`` (the caller holds the transaction); see the module docstring."""
    outcome = SaveOutcome()
    stamp = now_iso()
    order = [t.name for t in sc.ALL_TABLES]
    by_table: dict[str, list[Delta]] = defaultdict(list)
    for d in deltas:
        by_table[d.table].append(d)
    names = sorted(by_table, key=lambda n: order.index(n) if n in order else len(order))
    # deletes first, records before the assets they free; then the rest, assets before the
    # records that point at them (the history triggers check both ways)
    steps = [(n, "delete") for n in reversed(names)] + [(n, "rest") for n in names]
    for name, step in steps:
        table = sc.table(name)
        counts = outcome.counts.setdefault(name, {"insert": 0, "update": 0, "delete": 0})
        many = [d for d in by_table[name] if d.kind == "insert"] if step == "rest" else []
        if table.key and len(many) >= BULK_INSERT_ROWS:
            _insert_many(conn, table, many, user, stamp, srid, district_code)
            counts["insert"] += len(many)
        else:
            many = []
        for d in by_table[name]:
            if (d.kind == "delete") != (step == "delete") or (many and d.kind == "insert"):
                continue
            if d.kind == "insert":
                _insert(conn, table, d, user, stamp, srid, district_code)
            elif not table.key:
                raise ValidationError("{name} rows have no uuid key; edit them through their "
                                      "owner", name=name)
            elif d.kind == "update":
                _update(conn, table, d, versions.get(d.key), user, stamp, srid, outcome)
            else:
                _delete(conn, table, d, versions.get(d.key), outcome)
            counts[d.kind] += 1
    return outcome


def _insert(conn: Any, table: sc.Table, d: Delta, user: str, stamp: str, srid: int,
            district_code: str) -> None:
    row = _new_row(table, d, user, stamp, district_code,
                   lambda: _next_serial(conn, table, district_code))
    names = list(row)
    sql = (f"INSERT INTO {ident(table.name)} ({', '.join(map(ident, names))}) VALUES "
           f"({', '.join(placeholder(n, srid) for n in names)})")
    import psycopg

    try:
        with conn.transaction():  # a savepoint: the error leaves the save usable
            conn.execute(sql, [to_db(n, row[n]) for n in names])
    except psycopg.errors.IntegrityError as exc:
        _refuse_older_code(conn, table, row, d.uuid, exc)
        raise ValidationError("cannot add {table} {uuid}: {reason}", table=table.name,
                              uuid=d.uuid, reason=exc.diag.message_primary or exc) from None
    except psycopg.errors.InsufficientPrivilege:
        raise ReadOnlyError("{what}: the database does not let {user} add it "
                            "(row-level security: it belongs to another sub-district)",
                            what=_named(conn, table, d.uuid, row), user=conn.info.user
                            ) from None
    _derive(conn, table, d.uuid)


def _new_row(table: sc.Table, d: Delta, user: str, stamp: str, district_code: str,
             serial: Callable[[], int]) -> dict[str, Any]:
    """A new row's values as every insert checks them: normalised, keyed, an asset with its
    geometry and a valid object code (a new one from ``serial()`` when it has none),
    stamped."""
    assert d.new is not None
    row = _prepare(table, d.new)
    if table.key:  # a link row (work_order_asset) is keyed by its link fields instead
        row[table.key] = d.uuid
    if table.is_asset:
        if row.get(sc.GEOMETRY_COLUMN) is None:
            raise GeometryError("new {table} {uuid} has no geometry", table=table.name,
                                uuid=d.uuid)
        if row.get("obj_code"):
            objcode.validate(row["obj_code"], table)
        else:
            row["obj_code"] = objcode.make(district_code, table, serial())
    _stamp(table, row, user, stamp)
    return row


def _insert_many(conn: Any, table: sc.Table, deltas: list[Delta], user: str, stamp: str,
                 srid: int, district_code: str) -> None:
    """New rows of one table at once (an import): the same checks as :func:`_insert`, then
    ``COPY`` into a staging table and one ``INSERT … SELECT``. A row the database refuses
    sends the batch through :func:`_insert` one by one, which names it."""
    import psycopg

    taken: list[int] = []  # the serials given so far (the first one asked of the table)

    def serial() -> int:
        taken.append(taken[-1] + 1 if taken else _next_serial(conn, table, district_code))
        return taken[-1]

    rows = [_new_row(table, d, user, stamp, district_code, serial) for d in deltas]
    names = list(dict.fromkeys(n for row in rows for n in row))  # absent = NULL (no defaults)
    try:
        with conn.transaction():  # a savepoint
            stage = copy_to_stage(conn, table, names, [[r.get(n) for n in names] for r in rows],
                                  f"_insert_{table.name}")
            conn.execute(f"INSERT INTO {ident(table.name)} ({', '.join(map(ident, names))}) "
                         f"SELECT {staged_columns(names, srid)} FROM {stage} s")
            conn.execute(f"DROP TABLE {stage}")
    except psycopg.errors.IntegrityError:
        for d in deltas:
            _insert(conn, table, d, user, stamp, srid, district_code)
        return
    if table.name == "road_segment":
        conn.execute(f"UPDATE road_segment SET pci_grade = {pci_grade_case_sql()} "
                     "WHERE asset_uuid = ANY(%s)", ([d.uuid for d in deltas],))


def _refuse_older_code(conn: Any, table: sc.Table, row: dict[str, Any], uuid: str,
                       exc: Any) -> None:
    """A value the database refused because its code list is older than the model's (made
    before the code; this login may not bring it up to date: ``postgis/upgrade.py``)."""
    found = missing_code(conn, table, row, exc.diag.constraint_name)
    if found is not None:
        raise ReadOnlyError("{table} {uuid}: the database was made before {field} had the "
                            "code {value}, and {user} may not add it; the database's owner "
                            "adds it by opening the database once with this version of "
                            "citymgr (the app, or any command that writes)",
                            table=table.name, uuid=uuid, field=found[0], value=found[1],
                            user=conn.info.user)


def missing_code(conn: Any, table: sc.Table, row: dict[str, Any], constraint: str | None
                 ) -> tuple[str, Any] | None:
    """(field, value) when the CHECK ``constraint`` that refused ``row`` is a coded column's
    (its column looked up in ``pg_constraint``, whatever the constraint's name) and the
    model has the value: the database's list is older (this login could not renew it)."""
    if constraint is None:
        return None
    found = conn.execute(
        "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = "
        "c.conrelid AND c.conkey = ARRAY[a.attnum] WHERE c.conrelid = %s::regclass AND "
        "c.conname = %s AND c.contype = 'c'", (f"public.{ident(table.name)}", constraint)
    ).fetchone()
    field = next((f for f in table.fields if found and f.name == found[0]), None)
    domain = field.get_domain() if field else None
    if field is not None and isinstance(domain, dm.CodedDomain) and \
            row.get(field.name) in domain.values():
        return field.name, row.get(field.name)
    return None


def _next_serial(conn: Any, table: sc.Table, district_code: str) -> int:
    """The next free object-code serial of a class; the table lock keeps two concurrent
    creations from taking the same one."""
    conn.execute(f"LOCK TABLE {ident(table.name)} IN SHARE ROW EXCLUSIVE MODE")
    prefix = f"{district_code}{table.major_code}{table.minor_code}"
    row = conn.execute(f"SELECT max(substr(obj_code, 11, 6)::int) FROM {ident(table.name)} "
                       "WHERE obj_code LIKE %s", (prefix + "%",)).fetchone()
    return int(row[0] or 0) + 1


def _update(conn: Any, table: sc.Table, d: Delta, version: int | None, user: str, stamp: str,
            srid: int, outcome: SaveOutcome) -> None:
    assert d.new is not None and d.old is not None
    values = _prepare(table, d.new)
    if version is None or not _try_update(conn, table, d.uuid, values, version, user, stamp,
                                          srid):
        current = _locked_row(conn, table, d.uuid, list(values))
        if current is None:
            _refuse_if_not_ours(conn, table, d.uuid)
            outcome.conflicts.append(SaveConflict(table.name, d.uuid, "", d.old, None, d.new))
            return
        take, conflicting = three_way(d.old, values, current)
        for name in conflicting:
            outcome.conflicts.append(SaveConflict(table.name, d.uuid, name, d.old.get(name),
                                                  current.get(name), values[name]))
        take = {k: v for k, v in take.items() if k not in conflicting}
        if take:
            _try_update(conn, table, d.uuid, take, int(current[VERSION_COLUMN]), user, stamp,
                        srid)
        outcome.merged += 1


def _try_update(conn: Any, table: sc.Table, uuid: str, values: dict[str, Any], version: int,
                user: str, stamp: str, srid: int) -> bool:
    row = dict(values)
    _stamp(table, row, user, stamp)
    names = list(row)
    sets = ", ".join(f"{ident(n)} = {placeholder(n, srid)}" for n in names)
    import psycopg

    try:
        with conn.transaction():  # a savepoint: after a refusal the row can still be named
            cur = conn.execute(
                f"UPDATE {ident(table.name)} SET {sets}, {ident(VERSION_COLUMN)} = "
                f"{ident(VERSION_COLUMN)} + 1 WHERE {ident(table.key)} = %s AND "
                f"{ident(VERSION_COLUMN)} = %s",
                [*(to_db(n, row[n]) for n in names), uuid, version])
    except psycopg.errors.CheckViolation as exc:
        _refuse_older_code(conn, table, row, uuid, exc)
        raise ValidationError("cannot change {table} {uuid}: {reason}", table=table.name,
                              uuid=uuid, reason=exc.diag.message_primary or exc) from None
    except psycopg.errors.InsufficientPrivilege:  # the row's guard trigger (postgis/grant.py)
        raise _not_ours(conn, table, uuid) from None
    if cur.rowcount != 1:
        return False
    _derive(conn, table, uuid)
    return True


def _locked_row(conn: Any, table: sc.Table, uuid: str, names: list[str]) -> dict | None:
    cols = [n for n in names if n != VERSION_COLUMN] + [VERSION_COLUMN]
    row = conn.execute(f"SELECT {', '.join(map(select_column, cols))} FROM {ident(table.name)} "
                       f"WHERE {ident(table.key)} = %s FOR UPDATE", (uuid,)).fetchone()
    return None if row is None else {n: from_db(n, v) for n, v in zip(cols, row, strict=True)}


def _refuse_if_not_ours(conn: Any, table: sc.Table, uuid: str) -> None:
    """A row we can read but not lock for update is one row-level security keeps from us
    (a database granted by an older citymgr; a newer one raises: :func:`_not_ours`)."""
    sql = f"SELECT 1 FROM {ident(table.name)} WHERE {ident(table.key)} = %s"
    locked = conn.execute(sql + " FOR UPDATE", (uuid,)).fetchone()
    if locked is None and conn.execute(sql, (uuid,)).fetchone() is not None:
        raise _not_ours(conn, table, uuid)


def _not_ours(conn: Any, table: sc.Table, uuid: str) -> ReadOnlyError:
    """A row of another sub-district: refused by the database's guard trigger (the caller's
    savepoint undone, so the row can still be read and named), or (rules granted by an older
    citymgr) an update that matched nothing."""
    return ReadOnlyError("{what}: the database does not let {user} change it "
                         "(row-level security: it belongs to another sub-district)",
                         what=_named(conn, table, uuid), user=conn.info.user)


def _named(conn: Any, table: sc.Table, uuid: str, row: Mapping[str, Any] | None = None
           ) -> str:
    """A row as a refusal names it: its table with the asset's object code and name or the
    work order's case number, and its 街道 (``litter_bin 4201060304000003 紫阳二路002号
    (粮道街道)``); the uuid only for a row that has none of them. ``row``: the values of a row
    not in the database (an insert)."""
    cols = [c for c in ("obj_code", "case_no", "name", "district") if c in table.field_names()]
    if row is None and cols:
        found = conn.execute(f"SELECT {', '.join(map(ident, cols))} FROM {ident(table.name)} "
                             f"WHERE {ident(table.key)} = %s", (uuid,)).fetchone()
        row = dict(zip(cols, found, strict=True)) if found else {}
    row = row or {}
    label = " ".join(str(row[c]) for c in ("obj_code", "case_no", "name") if row.get(c))
    return f"{table.name} {label or uuid}" + (f" ({row['district']})" if row.get("district")
                                              else "")


def _delete(conn: Any, table: sc.Table, d: Delta, version: int | None,
            outcome: SaveOutcome) -> None:
    where = f"{ident(table.key)} = %s"
    params: list[Any] = [d.uuid]
    if version is None and d.old:  # no version known: the row must still have our values
        names = [n for n in d.old if n != VERSION_COLUMN
                 and (n in table.field_names() or n == sc.GEOMETRY_COLUMN)]
        current = _locked_row(conn, table, d.uuid, names)
        if current is not None and any(not values_equal(d.old[n], current.get(n))
                                       for n in names):
            outcome.conflicts.append(SaveConflict(table.name, d.uuid, "", d.old, "changed",
                                                  None))
            return
    if version is not None:
        where += f" AND {ident(VERSION_COLUMN)} = %s"
        params.append(version)
    import psycopg

    try:
        with conn.transaction():  # a savepoint: after a refusal the row can still be named
            cur = conn.execute(f"DELETE FROM {ident(table.name)} WHERE {where}", params)
    except psycopg.errors.IntegrityError:
        raise ValidationError(
            "cannot delete from {table}: the asset has maintenance history or work orders; "
            "retire it instead", table=table.name) from None
    except psycopg.errors.InsufficientPrivilege:
        raise _not_ours(conn, table, d.uuid) from None
    if cur.rowcount == 1:
        return
    exists = conn.execute(f"SELECT 1 FROM {ident(table.name)} WHERE {ident(table.key)} = %s",
                          (d.uuid,)).fetchone()
    if exists is None and version is None:
        raise NotFoundError("{table} has no row(s) {uuids}", table=table.name, uuids=d.uuid)
    if exists is not None:  # changed meanwhile (deleting it would lose that), or not ours
        _refuse_if_not_ours(conn, table, d.uuid)
        outcome.conflicts.append(SaveConflict(table.name, d.uuid, "", d.old, "changed", None))


def _derive(conn: Any, table: sc.Table, uuid: str) -> None:
    if table.name == "road_segment":
        conn.execute(f"UPDATE road_segment SET pci_grade = {pci_grade_case_sql()} "
                     "WHERE asset_uuid = %s", (uuid,))
