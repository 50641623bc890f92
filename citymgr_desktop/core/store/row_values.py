"""Checked values of rows about to be written: one row at a time (:func:`prepare_row`, for
updates and small batches) or a batch of new rows column by column (:func:`new_rows`).

Both give the same values: every value normalised against the model, geometries checked
(right type, valid, not empty; a Polygon made Multi), and for new rows the key, ``obj_code``
(the next serials, or the given ones checked), the stamps and a green space's area. Column
by column, each distinct (field, value) is normalised once and the geometries are checked
for the batch at once, without a dict per row; when anything is wrong the rows are checked
again one by one, so the error is the one a row-by-row check gives (the first row's).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.errors import GeometryError, ValidationError
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.model.values import normalise

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


def stamp_fields(table: sc.Table) -> bool:
    names = table.field_names()
    return "updated_at" in names and "updated_by" in names


def prepare_row(table: sc.Table, values: dict[str, Any],
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


def fit_as_they_are(table: sc.Table, geoms: list[Any]) -> set[int]:
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


def _plain_limits(table: sc.Table) -> dict[str, int]:
    limits = _PLAIN_TEXT.get(table.name)
    if limits is None:
        limits = _PLAIN_TEXT[table.name] = {
            f.name: f.max_length or 0 for f in table.fields
            if f.type is sc.FieldType.TEXT and f.get_domain() is None}
    return limits


# -- new rows ----------------------------------------------------------------------------------
@dataclass
class NewRows:
    """A batch of new rows, checked, as columns: ``names`` with one column each (None where a
    row has no value; ``partial`` names the columns some row had no value for at all), the
    geometries (None for a table without) and the keys."""

    names: list[str]
    columns: list[list[Any]]
    geoms: list[Any] | None
    uuids: list[str]
    partial: set[str]


def new_rows(conn: sqlite3.Connection, district_code: str, table: sc.Table,
             deltas: list[Delta], user: str, stamp: str) -> NewRows:
    """The rows that ``deltas`` (inserts into ``table``) add, checked and completed (see the
    module docstring). A failure is raised as checking the rows one by one raises it."""
    news = [d.new or {} for d in deltas]
    present = Counter(k for new in news for k in new)  # rows with a value, per column
    raw = {k: [new.get(k, _MISSING) for new in news] for k in present}
    try:
        return _by_columns(conn, district_code, table, raw, present, [d.uuid for d in deltas],
                           user, stamp)
    except (ValidationError, GeometryError):
        one_by_one(conn, district_code, table, deltas, user, stamp)  # the first row's error
        raise


def new_rows_of_columns(conn: sqlite3.Connection, district_code: str, table: sc.Table,
                        given: Mapping[str, Sequence[Any]], uuids: Sequence[str], user: str,
                        stamp: str) -> NewRows:
    """:func:`new_rows` for rows given as columns, one value per row in each (None: the row
    has no value there, as if the column were left out of its delta), without a dict per
    row; the same checks, values and errors."""
    raw: dict[str, list[Any]] = {}
    present: dict[str, int] = {}
    for name, column in given.items():
        count = len(column) - column.count(None)
        if count:
            raw[name] = [_MISSING if v is None else v for v in column]
            present[name] = count
    try:
        return _by_columns(conn, district_code, table, raw, present, list(uuids), user, stamp)
    except (ValidationError, GeometryError):
        one_by_one(conn, district_code, table, rows_as_deltas(table.name, given, uuids), user,
                   stamp)  # the first row's error
        raise


def rows_as_deltas(table: str, given: Mapping[str, Sequence[Any]], uuids: Sequence[str]
                   ) -> list[Delta]:
    """Rows given as columns (None: no value) as the insert deltas that add them."""
    names = list(given)
    return [Delta(table, uuid, None, {n: v for n, v in zip(names, values, strict=True)
                                      if v is not None})
            for uuid, values in zip(uuids, zip(*given.values(), strict=True), strict=True)]


_MISSING: Any = object()


def _by_columns(conn: sqlite3.Connection, district_code: str, table: sc.Table,
                raw: dict[str, list[Any]], present: Mapping[str, int], uuids: list[str],
                user: str, stamp: str) -> NewRows:
    """``raw``: the rows' values column by column, ``_MISSING`` where a row has none;
    ``present``: how many rows have a value, per column."""
    count = len(uuids)
    names = [k for k in raw if k != sc.GEOMETRY_COLUMN]
    given_geoms = raw.get(sc.GEOMETRY_COLUMN)
    geoms = _geometries(table, [None] * count if given_geoms is None else
                        [None if g is _MISSING else g for g in given_geoms])
    columns: dict[str, list[Any]] = {}
    partial: set[str] = set()
    for name in names:
        columns[name] = _normalised(table, name, raw[name])
        if present[name] < count:
            partial.add(name)
    if table.name == "green_space":
        _add_areas(columns, partial, geoms)
    columns[table.key] = uuids
    partial.discard(table.key)
    if table.is_asset:
        for i, g in enumerate(geoms):
            if g is None:
                raise GeometryError("new {table} {uuid} has no geometry",
                                    table=table.name, uuid=uuids[i])
        columns["obj_code"] = _codes(conn, district_code, table,
                                     columns.get("obj_code", [None] * count))
        partial.discard("obj_code")
    if stamp_fields(table):
        if "updated_at" in columns:
            given = columns["updated_at"]
            columns["updated_at"] = [stamp if v is _MISSING else v for v in given]
        else:
            columns["updated_at"] = [stamp] * count
        by = columns.get("updated_by")
        columns["updated_by"] = [user] * count if user or by is None else [
            None if v is _MISSING else v for v in by]
        partial -= {"updated_at", "updated_by"}
    elif "created_at" in table.field_names():
        for name, value in (("created_at", stamp), ("created_by", user or None)):
            kept = columns.get(name)
            columns[name] = [value] * count if kept is None else [
                value if v is _MISSING else v for v in kept]
            partial.discard(name)
    for name, values in columns.items():
        if name in partial:
            columns[name] = [None if v is _MISSING else v for v in values]
    return NewRows(list(columns), list(columns.values()),
                   geoms if table.is_asset else None, uuids, partial)


def _geometries(table: sc.Table, given: list[Any]) -> list[Any]:
    """Each row's geometry checked (None where it has none)."""
    fit = fit_as_they_are(table, given)
    return [g if g is None or id(g) in fit else check_geometry(table, g) for g in given]


def _normalised(table: sc.Table, name: str, raw: list[Any]) -> list[Any]:
    """A column normalised as :func:`prepare_row` normalises each value (``_MISSING`` kept)."""
    limit = _plain_limits(table).get(name)
    memo: dict[tuple[type, Any], Any] = {}

    def normalised(v: Any) -> Any:
        if not isinstance(v, (str, int, float, type(None))):
            return normalise(table, name, v)
        key = (type(v), v)
        found = memo.get(key, _MISSING)
        if found is _MISSING:
            found = memo[key] = normalise(table, name, v)
        return found

    if limit is None:
        return [v if v is _MISSING else normalised(v) for v in raw]
    # a plain text (within the length, not blank) is what normalise returns as it is
    return [v if v is _MISSING or (isinstance(v, str) and (not limit or len(v) <= limit)
                                   and v.strip() != "") else normalised(v) for v in raw]


def _add_areas(columns: dict[str, list[Any]], partial: set[str], geoms: list[Any]) -> None:
    """A green space's area where the row gives none (rounded as :func:`prepare_row` does)."""
    given = columns.get("area_m2")
    areas = [round(float(g.area), 1) if g is not None else _MISSING for g in geoms]
    if given is None:
        columns["area_m2"] = areas
        if any(a is _MISSING for a in areas):
            partial.add("area_m2")
        return
    columns["area_m2"] = [a if v is _MISSING else v for v, a in zip(given, areas, strict=True)]


def _codes(conn: sqlite3.Connection, district_code: str, table: sc.Table,
           given: list[Any]) -> list[str]:
    """The obj_code column: a given code checked, an empty one the next serial."""
    serial: int | None = None
    out: list[str] = []
    for code in given:
        if code is _MISSING or not code:
            if serial is None:
                serial = objcode.next_serial(conn, table, district_code)
            out.append(objcode.make(district_code, table, serial))
            serial += 1
        else:
            if not objcode.is_valid(code, table):
                objcode.validate(code, table)  # says what is wrong
            out.append(code)
    return out


def one_by_one(conn: sqlite3.Connection, district_code: str, table: sc.Table,
               deltas: list[Delta], user: str, stamp: str
               ) -> tuple[list[dict[str, Any]], list[Any]]:
    """The rows of ``deltas`` checked and completed one at a time: (rows, geometries)."""
    serial = None
    memo: dict[tuple[str, type, Any], Any] = {}
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    checked = fit_as_they_are(table, [d.new.get(sc.GEOMETRY_COLUMN) for d in deltas
                                       if d.new is not None])
    stamped = stamp_fields(table)
    created = "created_at" in table.field_names()
    for d in deltas:
        assert d.new is not None
        row = prepare_row(table, dict(d.new), memo, checked)
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
    return rows, geoms
