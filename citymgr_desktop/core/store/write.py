"""Row-level writes for the store: apply a batch of deltas inside the store's transaction.

Inserts, updates and deletes are keyed by the table's uuid column; fids and untouched rows
stay as they were; ``updated_at``/``updated_by`` are set; GeoPackage rtree triggers keep the
index right; ``gpkg_contents`` gets its extent and ``last_change`` updated. The cost follows
the number of deltas: nothing here scans a whole layer.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.gpkg.geometry import encode
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.bulk_insert import (
    columns_with_default,
    insert_columns,
    insert_rows,
)
from citymgr_desktop.core.store.row_values import (
    NewRows,
    fit_as_they_are,
    new_rows,
    new_rows_of_columns,
    one_by_one,
    prepare_row,
    rows_as_deltas,
    stamp_fields,
)
from citymgr_desktop.core.store.row_values import (
    check_geometry as check_geometry,  # editing and sync check a geometry here
)


def apply_deltas(conn: sqlite3.Connection, district_code: str, deltas: list[Delta], user: str,
                 progress: Progress | None) -> dict[str, dict[str, int]]:
    """Apply ``deltas`` (the caller holds the transaction).

    Deletes go first, links and records before the assets they free (the reverse of the
    model's table order); then inserts and updates, assets before the records, orders and
    links that point at them. So one batch can hold a new asset with its first record, or a
    record removed with the asset it was the last reference of.
    """
    prog = ensure(progress)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"insert": 0, "update": 0,
                                                              "delete": 0})
    stamp = now_iso()
    srs_cache: dict[str, int] = {}
    by_table: dict[str, list[Delta]] = defaultdict(list)
    for d in deltas:
        by_table[d.table].append(d)
    order = [t.name for t in sc.ALL_TABLES]
    names = sorted(by_table, key=lambda n: order.index(n) if n in order else len(order))
    for name in names:
        table = sc.table(name)
        if not table.key and not table.link:
            raise ValidationError("{name} rows have no uuid key; edit them through their "
                                  "owner", name=name)
        if table.is_asset:
            srs_cache[name] = conn.execute(
                "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name=?", (name,)
            ).fetchone()[0]
    done = 0
    for name in reversed(names):
        table = sc.table(name)
        deletes = [d for d in by_table[name] if d.kind == "delete"]
        if table.link:
            _links(conn, table, deletes)
        else:
            _deletes(conn, table, deletes)
        counts[name]["delete"] += len(deletes)
        done += len(deletes)
        if deletes:
            prog.update(done, len(deltas), name)
    for name in names:
        table = sc.table(name)
        items = by_table[name]
        inserts = [d for d in items if d.kind == "insert"]
        updates = [d for d in items if d.kind == "update"]
        if table.link:
            _links(conn, table, inserts + updates)
        else:
            _inserts(conn, district_code, table, inserts, user, stamp, srs_cache.get(name))
            _updates(conn, table, updates, user, stamp, srs_cache.get(name))
        counts[name]["insert"] += len(inserts)
        counts[name]["update"] += len(updates)
        if table.is_asset and items:
            gpkg.touch_contents(conn, name)
        done += len(inserts) + len(updates)
        prog.update(done, len(deltas), name)
    return dict(counts)


def _links(conn: sqlite3.Connection, table: sc.Table, deltas: list[Delta]) -> None:
    """Rows of a link table (no uuid key): deletes first, then inserts; a link is never
    updated (remove it and add another)."""
    name = gpkg.quote_ident(table.name)
    where = " AND ".join(f"{gpkg.quote_ident(f)} = ?" for f in table.link)
    conn.executemany(f"DELETE FROM {name} WHERE {where}",
                     [[(d.old or {})[f] for f in table.link] for d in deltas
                      if d.kind == "delete"])
    inserts = [d for d in deltas if d.kind == "insert"]
    if inserts:
        names = table.field_names()
        cols = ", ".join(gpkg.quote_ident(n) for n in names)
        try:
            conn.executemany(f"INSERT INTO {name} ({cols}) VALUES ({','.join('?' * len(names))})",
                             [[normalise(table, n, (d.new or {}).get(n)) for n in names]
                              for d in inserts])
        except sqlite3.DatabaseError as exc:
            raise ValidationError("cannot link the rows of {table}: {reason}",
                                  table=table.name, reason=str(exc)) from None
    if any(d.kind == "update" for d in deltas):
        raise ValidationError("{table} rows are links: remove one and add another",
                              table=table.name)


def _inserts(conn: sqlite3.Connection, district_code: str, table: sc.Table, deltas: list[Delta],
             user: str, stamp: str, srs_id: int | None) -> None:
    if not deltas:
        return
    batch = new_rows(conn, district_code, table, deltas, user, stamp)
    _write_new(conn, district_code, table, batch, lambda: deltas, user, stamp, srs_id)


def insert_new_rows(conn: sqlite3.Connection, district_code: str, table: sc.Table,
                    columns: Mapping[str, Sequence[Any]], uuids: Sequence[str],
                    user: str) -> None:
    """Add new rows given as columns (an import's batch; None: the row has no value there)
    with the same checks, completion and writes as their insert deltas through
    :func:`apply_deltas`, without a delta per row (the caller holds the transaction)."""
    if not uuids:
        return
    stamp = now_iso()
    srs_id = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name=?",
                          (table.name,)).fetchone()[0] if table.is_asset else None
    batch = new_rows_of_columns(conn, district_code, table, columns, uuids, user, stamp)
    _write_new(conn, district_code, table, batch,
               lambda: rows_as_deltas(table.name, columns, uuids), user, stamp, srs_id)
    if table.is_asset:
        gpkg.touch_contents(conn, table.name)


def _write_new(conn: sqlite3.Connection, district_code: str, table: sc.Table, batch: NewRows,
               deltas: Callable[[], list[Delta]], user: str, stamp: str,
               srs_id: int | None) -> None:
    """Write checked new rows; ``deltas`` gives them as deltas for the row-by-row path."""
    if batch.partial & columns_with_default(conn, table):  # left out, not NULL: row by row
        rows, geoms = one_by_one(conn, district_code, table, deltas(), user, stamp)
        insert_rows(conn, table, rows, batch.uuids, geoms if table.is_asset else None,
                    srs_id or 0)
    else:
        geoms = batch.geoms or []
        insert_columns(conn, table, batch.names, batch.columns, batch.uuids, batch.geoms,
                       srs_id or 0)
    if table.is_asset:
        import numpy as np
        import shapely

        b = shapely.total_bounds(np.asarray(geoms, dtype=object))
        if not np.isnan(b).any():
            gpkg.expand_extent(conn, table.name, (float(b[0]), float(b[1]), float(b[2]),
                                                  float(b[3])))
    if table.name == "road_segment":
        _derive_pci_grade(conn, batch.uuids)


def _updates(conn: sqlite3.Connection, table: sc.Table, deltas: list[Delta], user: str,
             stamp: str, srs_id: int | None) -> None:
    if not deltas:
        return
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    # each distinct (field, value) normalised once for the batch, the geometries checked
    # for the batch at once: the same checks as one row at a time (``one_by_one``)
    memo: dict[tuple[str, type, Any], Any] = {}
    geoms = [d.new[sc.GEOMETRY_COLUMN] for d in deltas
             if d.new is not None and d.new.get(sc.GEOMETRY_COLUMN) is not None]
    checked = fit_as_they_are(table, geoms) if geoms else None
    for d in deltas:
        assert d.new is not None
        row = prepare_row(table, dict(d.new), memo, checked)
        if table.is_asset and "obj_code" in row and row["obj_code"] is not None:
            objcode.validate(row["obj_code"], table)
        if stamp_fields(table):
            row.setdefault("updated_at", stamp)
            row["updated_by"] = user or row.get("updated_by")
        if sc.GEOMETRY_COLUMN in row:
            geom = row[sc.GEOMETRY_COLUMN]
            row[sc.GEOMETRY_COLUMN] = encode(geom, srs_id or 0)
            if geom is not None:
                gpkg.expand_extent(conn, table.name, geom.bounds)
        groups[tuple(sorted(row))].append((d.uuid, row))
    key = gpkg.quote_ident(table.key)
    for names, rows in groups.items():
        sets = ", ".join(f"{gpkg.quote_ident(n)} = ?" for n in names)
        sql = f"UPDATE {gpkg.quote_ident(table.name)} SET {sets} WHERE {key} = ?"
        params = [[r[n] for n in names] + [u] for u, r in rows]
        try:
            before = conn.total_changes
            conn.executemany(sql, params)
        except sqlite3.IntegrityError as exc:
            raise ValidationError("cannot update {table}: {reason}", table=table.name,
                                  reason=exc) from None
        if conn.total_changes - before < len(rows):
            missing = _missing(conn, table, [u for u, _ in rows])
            if missing:
                raise NotFoundError("{table} has no row(s) {uuids}",
                                    table=table.name, uuids=', '.join(missing[:5]))
    if table.name == "road_segment":
        touched = [d.uuid for d in deltas
                   if d.new and ({"pci", "road_class"} & set(d.new))]
        _derive_pci_grade(conn, touched)


def _deletes(conn: sqlite3.Connection, table: sc.Table, deltas: list[Delta]) -> None:
    if not deltas:
        return
    key = gpkg.quote_ident(table.key)
    try:
        conn.executemany(f"DELETE FROM {gpkg.quote_ident(table.name)} WHERE {key} = ?",
                         [(d.uuid,) for d in deltas])
    except sqlite3.IntegrityError as exc:
        raise ValidationError("cannot delete from {table}: {reason}", table=table.name,
                              reason=exc) from None
    except sqlite3.DatabaseError as exc:
        if "retire it" in str(exc):
            raise ValidationError(
                "cannot delete from {table}: the asset has maintenance history or work orders; "
                "retire it instead", table=table.name) from None
        raise


def _missing(conn: sqlite3.Connection, table: sc.Table, uuids: list[str]) -> list[str]:
    key = gpkg.quote_ident(table.key)
    found = {r[0] for r in gpkg.select_in(
        conn, f"SELECT {key} FROM {gpkg.quote_ident(table.name)} WHERE {key} IN ({{marks}})",
        uuids)}
    return [u for u in uuids if u not in found]


def pci_grade_case_sql(row: str = "") -> str:
    """An SQL CASE that derives ``pci_grade`` from ``pci`` and ``road_class`` (of the row
    ``row``, e.g. ``NEW.`` in a PostgreSQL trigger)."""
    pci, road_class = f"{row}pci", f"{row}road_class"
    parts = []
    for cls, (a, b, c) in dm._PCI_THRESHOLDS.items():
        parts.append(
            f"WHEN {road_class} = '{cls}' THEN CASE WHEN {pci} >= {a} THEN 'excellent' "
            f"WHEN {pci} >= {b} THEN 'good' WHEN {pci} >= {c} THEN 'fair' ELSE 'poor' END"
        )
    a, b, c = dm._PCI_THRESHOLDS["secondary"]
    default = (f"CASE WHEN {pci} >= {a} THEN 'excellent' WHEN {pci} >= {b} THEN 'good' "
               f"WHEN {pci} >= {c} THEN 'fair' ELSE 'poor' END")
    return f"CASE WHEN {pci} IS NULL THEN NULL {' '.join(parts)} ELSE {default} END"


def _derive_pci_grade(conn: sqlite3.Connection, uuids: list[str]) -> None:
    case = pci_grade_case_sql()
    conn.executemany(f"UPDATE road_segment SET pci_grade = {case} WHERE asset_uuid = ?",
                     [(u,) for u in uuids])


def restore_row(conn: sqlite3.Connection, table: sc.Table, uuid: str,
                values: dict[str, Any] | None, *, insert: bool = False) -> None:
    """Put a row back exactly as recorded (undo and redo of a sync): ``values`` None deletes
    it, ``insert`` adds it (its fid too, when given), else its columns but the fid are set.
    No stamps, no checks, no derived values: the caller restores a state that was valid."""
    name, key = gpkg.quote_ident(table.name), gpkg.quote_ident(table.key)
    if values is None:
        conn.execute(f"DELETE FROM {name} WHERE {key} = ?", (uuid,))
    elif insert:
        cols = list(values)
        conn.execute(f"INSERT INTO {name} ({', '.join(map(gpkg.quote_ident, cols))}) VALUES "
                     f"({','.join('?' * len(cols))})", [values[c] for c in cols])
    else:
        cols = [c for c in values if c != "fid"]
        conn.execute(f"UPDATE {name} SET {', '.join(f'{gpkg.quote_ident(c)} = ?' for c in cols)} "
                     f"WHERE {key} = ?", [values[c] for c in cols] + [uuid])
