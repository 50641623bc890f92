"""Row-level writes for the store: apply a batch of deltas inside the store's transaction.

Inserts, updates and deletes are keyed by the table's uuid column; fids and untouched rows
stay as they were; ``updated_at``/``updated_by`` are set; GeoPackage rtree triggers keep the
index right; ``gpkg_contents`` gets its extent and ``last_change`` updated. The cost follows
the number of deltas: nothing here scans a whole layer.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.errors import GeometryError, NotFoundError, ValidationError
from citymgr_desktop.core.gpkg.geometry import encode
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store.bulk_insert import insert_rows

_GEOM_TYPES = {
    "POINT": ("Point",),
    "LINESTRING": ("LineString",),
    "MULTIPOLYGON": ("MultiPolygon", "Polygon"),
}


def check_geometry(table: sc.Table, geom: Any) -> Any:
    """Validate a geometry for ``table``: right type, valid, not empty; Polygon -> Multi."""
    if geom is None:
        return None
    import shapely  # NumPy and Shapely load with the first geometry written, not at start-up

    if not isinstance(geom, shapely.Geometry):
        raise GeometryError("{table}: geometry must be a Shapely geometry, got {geom!r}",
                            table=table.name, geom=geom)
    allowed = _GEOM_TYPES.get(table.geometry_type or "", ())
    if geom.geom_type not in allowed:
        raise GeometryError("{table} holds {geometry_type} geometries, got {geom_type}",
                            table=table.name, geometry_type=table.geometry_type,
                            geom_type=geom.geom_type)
    if geom.is_empty:
        raise GeometryError("{table}: empty geometry", table=table.name)
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if not geom.is_valid:
        raise GeometryError("{table}: invalid geometry ({reason})",
                            table=table.name, reason=shapely.is_valid_reason(geom))
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


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


def _stamp_fields(table: sc.Table) -> bool:
    names = table.field_names()
    return "updated_at" in names and "updated_by" in names


def _prepare(table: sc.Table, values: dict[str, Any],
             memo: dict[tuple[str, type, Any], Any] | None = None,
             checked: set[int] | None = None) -> dict[str, Any]:
    """Checked values of one row; ``memo`` remembers the normalised value of each (field,
    value) already seen in this batch (normalising is a pure function of the two), and
    ``checked`` holds the ids of geometries already found fit as they are."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k == sc.GEOMETRY_COLUMN:
            out[k] = v if checked is not None and id(v) in checked else check_geometry(table, v)
        elif memo is None or not isinstance(v, (str, int, float, type(None))):
            out[k] = normalise(table, k, v)
        elif isinstance(v, str) and _plain_text(table, k, v):
            out[k] = v  # what normalise returns for it, without its checks' cost per row
        else:
            key = (k, type(v), v)
            if key not in memo:
                memo[key] = normalise(table, k, v)
            out[k] = memo[key]
    if table.name == "green_space" and out.get(sc.GEOMETRY_COLUMN) is not None \
            and "area_m2" not in values:
        out["area_m2"] = round(float(out[sc.GEOMETRY_COLUMN].area), 1)
    return out


def _fit_as_they_are(table: sc.Table, geoms: list[Any]) -> set[int]:
    """Ids of the geometries :func:`check_geometry` would return unchanged (a 2-D, valid,
    non-empty geometry of the layer's type, not a Polygon to be made Multi), checked for
    the whole batch at once; the others are checked one by one."""
    import numpy as np
    import shapely

    kinds = [k for k in _GEOM_TYPES.get(table.geometry_type or "", ()) if k != "Polygon"]
    shapes = [g for g in geoms if isinstance(g, shapely.Geometry)]
    if not kinds or not shapes:
        return set()
    arr = np.asarray(shapes, dtype=object)
    ids = [int(shapely.GeometryType[k.upper()]) for k in kinds]
    ok = np.isin(shapely.get_type_id(arr), ids) & ~shapely.is_empty(arr) \
        & ~shapely.has_z(arr)
    ok &= shapely.is_valid(arr)
    return {id(g) for g, fit in zip(shapes, ok.tolist(), strict=True) if fit}


_PLAIN_TEXT: dict[str, dict[str, int]] = {}  # table -> its text fields without a domain


def _plain_text(table: sc.Table, name: str, value: str) -> bool:
    """True when ``value`` is a non-blank text, within the length, of a text field without a
    domain: :func:`normalise` would return it as it is (names, ids, codes of an import)."""
    limits = _PLAIN_TEXT.get(table.name)
    if limits is None:
        limits = _PLAIN_TEXT[table.name] = {
            f.name: f.max_length or 0 for f in table.fields
            if f.type is sc.FieldType.TEXT and f.get_domain() is None}
    limit = limits.get(name)
    return limit is not None and (not limit or len(value) <= limit) and value.strip() != ""


def _inserts(conn: sqlite3.Connection, district_code: str, table: sc.Table, deltas: list[Delta],
             user: str, stamp: str, srs_id: int | None) -> None:
    if not deltas:
        return
    serial = None
    memo: dict[tuple[str, type, Any], Any] = {}
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    checked = _fit_as_they_are(table, [d.new.get(sc.GEOMETRY_COLUMN) for d in deltas
                                       if d.new is not None])
    stamped = _stamp_fields(table)
    created = "created_at" in table.field_names()
    for d in deltas:
        assert d.new is not None
        row = _prepare(table, dict(d.new), memo, checked)
        row[table.key] = d.uuid
        if table.is_asset:
            if row.get(sc.GEOMETRY_COLUMN) is None:
                raise GeometryError("new {table} {uuid} has no geometry",
                                    table=table.name, uuid=d.uuid)
            if not row.get("obj_code"):
                if serial is None:
                    serial = objcode.next_serial(conn, table, district_code)
                row["obj_code"] = objcode.make(district_code, table, serial)
                serial += 1
            else:
                objcode.validate(row["obj_code"], table)
        if stamped:
            row.setdefault("updated_at", stamp)
            row["updated_by"] = user or row.get("updated_by")
        elif created:
            row.setdefault("created_at", stamp)
            row.setdefault("created_by", user or None)
        geoms.append(row.pop(sc.GEOMETRY_COLUMN, None))
        rows.append(row)
    insert_rows(conn, table, rows, [d.uuid for d in deltas],
                geoms if table.is_asset else None, srs_id or 0)
    if table.is_asset:
        import numpy as np
        import shapely

        b = shapely.total_bounds(np.asarray(geoms, dtype=object))
        if not np.isnan(b).any():
            gpkg.expand_extent(conn, table.name, (float(b[0]), float(b[1]), float(b[2]),
                                                  float(b[3])))
    if table.name == "road_segment":
        _derive_pci_grade(conn, [d.uuid for d in deltas])


def _updates(conn: sqlite3.Connection, table: sc.Table, deltas: list[Delta], user: str,
             stamp: str, srs_id: int | None) -> None:
    if not deltas:
        return
    groups: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for d in deltas:
        assert d.new is not None
        row = _prepare(table, dict(d.new))
        if table.is_asset and "obj_code" in row and row["obj_code"] is not None:
            objcode.validate(row["obj_code"], table)
        if _stamp_fields(table):
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


def pci_grade_case_sql() -> str:
    """An SQL CASE that derives ``pci_grade`` from ``pci`` and ``road_class``."""
    parts = []
    for cls, (a, b, c) in dm._PCI_THRESHOLDS.items():
        parts.append(
            f"WHEN road_class = '{cls}' THEN CASE WHEN pci >= {a} THEN 'excellent' "
            f"WHEN pci >= {b} THEN 'good' WHEN pci >= {c} THEN 'fair' ELSE 'poor' END"
        )
    a, b, c = dm._PCI_THRESHOLDS["secondary"]
    default = (f"CASE WHEN pci >= {a} THEN 'excellent' WHEN pci >= {b} THEN 'good' "
               f"WHEN pci >= {c} THEN 'fair' ELSE 'poor' END")
    return f"CASE WHEN pci IS NULL THEN NULL {' '.join(parts)} ELSE {default} END"


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
