"""What a project remembers of its imports, in two small tables of its own file: the values
each asset last came with (``citymgr_import_delivered``) and the mapping last used for each
source (``citymgr_import_mapping``).

A re-delivery is merged three ways (docs/import.md, *Identity*): the previous delivery (the
base), this delivery and the asset as the project has it now, by the field sync's rule
(:func:`model.delta.three_way`): a field the delivery did not change since its previous
delivery keeps the project's value; a field only the delivery changed takes it; a field
both changed keeps the project's value and is listed (unless the delivery is to win).

Both tables are plain SQLite tables outside ``gpkg_contents`` (GDAL and QGIS do not list
them; GDAL's ``validate_gpkg.py`` accepts the file). A PostGIS project keeps no memory: a
re-delivery there updates what differs, as before.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring as _string  # json.dumps's own (C) for text
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.model.delta import values_equal
from citymgr_desktop.core.store import Store

if TYPE_CHECKING:
    from citymgr_desktop.core.importing.mapping import ImportMapping
    from citymgr_desktop.core.importing.sources import SourceLayer, SourceOptions

DELIVERED = "citymgr_import_delivered"
MAPPINGS = "citymgr_import_mapping"
GEOMETRY_TOLERANCE = 1e-6  # metres, as matching compares a geometry
GEOMETRY_GRID = 1e-3  # metres: a kept geometry's digest is of its coordinates on this grid


def _has(store: Store, table: str) -> bool:
    if store.is_database:
        return False
    return store.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                              (table,)).fetchone() is not None


def _create(store: Store) -> None:
    store.conn.execute(f"CREATE TABLE IF NOT EXISTS {DELIVERED} (asset_uuid TEXT PRIMARY KEY "
                       "NOT NULL, delivered TEXT NOT NULL) WITHOUT ROWID")
    store.conn.execute(f"CREATE TABLE IF NOT EXISTS {MAPPINGS} (source TEXT PRIMARY KEY "
                       "NOT NULL, mapping TEXT NOT NULL, saved_at TEXT) WITHOUT ROWID")


def digests(geoms: Any) -> list[str | None]:
    """A short digest of each geometry, its coordinates on a 1 mm grid: what the memory
    keeps of a delivered geometry (its WKB would double the file of a point layer). Two
    geometries with the same digest are the same delivery; reprojection noise (nanometres)
    crosses a millimetre only by a rare chance, and then counts as a change."""
    arr = np.array(geoms, dtype=object)
    out: list[str | None] = [None] * len(arr)
    there = np.flatnonzero(~shapely.is_missing(arr))
    if len(there):
        given = arr[there]
        wkbs = _point_wkbs(given)
        if wkbs is None:
            grid = shapely.set_precision(given, GEOMETRY_GRID, mode="pointwise")
            wkbs = shapely.to_wkb(grid).tolist()
        for i, wkb in zip(there.tolist(), wkbs, strict=True):
            out[i] = hashlib.blake2b(wkb, digest_size=8).hexdigest()
    return out


_SCALE = float(round(1 / GEOMETRY_GRID))  # as GEOS's precision model snaps it (1000.0)
_POINT_WKB = np.dtype([("order", "u1"), ("kind", "<u4"), ("xy", "<f8", (2,))])


def _point_wkbs(geoms: Any) -> list[bytes] | None:
    """The WKB of ``geoms`` on the grid as :func:`digests` hashes it, built from their
    coordinates when all are non-empty 2D points (a point layer's import: GEOS's precision
    and WKB writer a geometry at a time cost more than the rest of the memory); None
    otherwise. The same bytes as ``to_wkb(set_precision(g, GEOMETRY_GRID))``: GEOS rounds
    ``v * scale`` half up (Java's ``Math.round``) and divides by the scale."""
    if not (shapely.get_type_id(geoms) == 0).all() or shapely.is_empty(geoms).any() or (
            shapely.has_z(geoms).any() or shapely.has_m(geoms).any()):
        return None
    scaled = shapely.get_coordinates(geoms) * _SCALE
    frac, _ = np.modf(scaled)
    down = np.where(scaled >= 0, np.abs(frac) < 0.5, np.abs(frac) > 0.5)
    packed = np.empty(len(scaled), dtype=_POINT_WKB)
    packed["order"], packed["kind"] = 1, 1  # little-endian, Point
    packed["xy"] = np.where(down, np.floor(scaled), np.ceil(scaled)) / _SCALE
    data = packed.tobytes()
    size = _POINT_WKB.itemsize
    return [data[k:k + size] for k in range(0, len(data), size)]


def encode_columns(columns: Mapping[str, list[Any]], rows: list[int], geoms: list[Any],
                   geometry: str) -> list[str]:
    """What many assets were delivered with, as the memory keeps it: compact JSON of their
    non-empty values from a batch's value columns (``rows``: the assets' rows of them), the
    geometry as its digest (:func:`digests`) under ``geometry``."""
    parts: list[list[str | None]] = []  # a column's "name":value pairs, None where empty
    for name in sorted({*columns, geometry}):
        key = json.dumps(name, ensure_ascii=False) + ":"
        if name == geometry:
            enc = [None if d is None else f'{key}"{d}"' for d in digests(geoms)]
        else:
            column = columns[name]
            picked = [column[r] for r in rows]
            as_json = _ONE_KIND.get(frozenset(map(type, picked)) - {type(None)}, _json_value)
            enc = [None if v is None else key + as_json(v) for v in picked]
        parts.append(enc)
    return ["{" + ",".join(filter(None, pairs)) + "}" for pairs in zip(*parts, strict=True)]


# a column of one kind, as _json_value encodes it (a float may be NaN: json.dumps's way)
_ONE_KIND: dict[frozenset[type], Callable[[Any], str]] = {
    frozenset({str}): _string, frozenset({int}): int.__repr__}


def _json_value(v: Any) -> str:
    """``json.dumps(v, ensure_ascii=False, default=str)`` of one value, the usual kinds
    without its machinery."""
    kind = type(v)
    if kind is str:
        return _string(v)
    if kind is int:
        return int.__repr__(v)
    if kind is float and math.isfinite(v):
        return float.__repr__(v)
    return json.dumps(v, ensure_ascii=False, default=str)


def carry(text: str, base: Mapping[str, Any], given: Mapping[str, Any]) -> str:
    """``text`` (this delivery, :func:`encode_columns`) with the values of ``base`` (the
    previous delivery, decoded) for the fields ``given`` (this delivery's values) has no
    value for -- left empty, invalid or not mapped, so the project kept its own: the memory
    holds the last value a delivery gave, not an empty one that would be a change next time."""
    old = {k: v for k, v in base.items() if given.get(k) is None}
    if not old:
        return text
    values = {**decode(text), **old}
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _json_value(values[k])
                          for k in sorted(values)) + "}"


def decode(text: str) -> dict[str, Any]:
    """The values :func:`encode_columns` kept (a geometry as its digest)."""
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def same(_name: str, a: Any, b: Any) -> bool:
    """Whether two values of a field are the same delivery value: geometries to 1 µm (a kept
    one by its digest), dates and their text alike (the memory keeps dates as text)."""
    a_geom, b_geom = isinstance(a, shapely.Geometry), isinstance(b, shapely.Geometry)
    if a_geom and b_geom:
        return a.geom_type == b.geom_type and bool(
            shapely.equals_exact(a, b, tolerance=GEOMETRY_TOLERANCE))
    if a_geom != b_geom and isinstance(a if b_geom else b, str):  # a digest and a geometry
        return digests([a if a_geom else b])[0] == (b if a_geom else a)
    if a is not None and b is not None and type(a) is not type(b) and not (
            isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return str(a) == str(b)
    return values_equal(a, b)


def recall(store: Store, uuids: list[str]) -> dict[str, str]:
    """The values each of ``uuids`` last came with, as kept (:func:`encode_columns`; :func:`decode`
    reads them): assets without a memory are left out (imported before the memory existed,
    or never imported). Compared as text first: an unchanged delivery is not decoded."""
    if not uuids or not _has(store, DELIVERED):
        return {}
    return dict(gpkg.select_in(store.conn, f"SELECT asset_uuid, delivered FROM {DELIVERED} "
                               "WHERE asset_uuid IN ({marks})", uuids))


def snapshot(store: Store, uuids: Iterable[str]) -> dict[str, str | None]:
    """The memory rows of ``uuids`` as they are (None: none), to put back on undo."""
    ids = list(uuids)
    found: dict[str, str | None] = dict.fromkeys(ids)
    if ids and _has(store, DELIVERED):
        found.update(gpkg.select_in(store.conn, f"SELECT asset_uuid, delivered FROM "
                                    f"{DELIVERED} WHERE asset_uuid IN ({{marks}})", ids))
    return found


def remember(store: Store, rows: Mapping[str, str | None]) -> None:
    """Keep (or, for None, forget) the delivered values of assets: {asset_uuid: encoded}."""
    if store.is_database or not rows:
        return
    _create(store)
    store.conn.executemany(f"INSERT OR REPLACE INTO {DELIVERED} VALUES (?, ?)",
                           [(u, t) for u, t in rows.items() if t is not None])
    gone = [(u,) for u, t in rows.items() if t is None]
    if gone:
        store.conn.executemany(f"DELETE FROM {DELIVERED} WHERE asset_uuid = ?", gone)


def source_key(path: str | Path, layer: str) -> str:
    """How the memory names a source: its file name, and its layer where the layer is not
    named after the file (as the ids of a source without an id field are prefixed)."""
    name = Path(path).name
    return name if layer in ("", Path(path).stem) else f"{name}/{layer}"


def recall_mapping(store: Store, key: str) -> tuple[dict[str, Any], str] | None:
    """The mapping (an import profile's dict) last used for the source ``key``, and when."""
    if not _has(store, MAPPINGS):
        return None
    row = store.conn.execute(f"SELECT mapping, saved_at FROM {MAPPINGS} WHERE source = ?",
                             (key,)).fetchone()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
    except ValueError:
        return None
    return (data, str(row[1] or "")) if isinstance(data, dict) else None


def remember_mapping(store: Store, key: str, data: dict[str, Any]) -> None:
    """Keep the mapping an import of the source ``key`` used (its profile's dict)."""
    if store.is_database:
        return
    _create(store)
    store.conn.execute(f"INSERT OR REPLACE INTO {MAPPINGS} VALUES (?, ?, ?)",
                       (key, json.dumps(data, ensure_ascii=False, default=str),
                        now_iso()))


def remembered_mapping(store: Store, layer: SourceLayer, target: str | None = None
                       ) -> tuple[ImportMapping, SourceOptions, str] | None:
    """The mapping and source options the previous import of ``layer``'s source used (and
    when), as the next import proposes them: fields the source no longer has are dropped;
    None when there is none (or it was into another class than ``target``)."""
    from citymgr_desktop.core.errors import CitymgrError
    from citymgr_desktop.core.importing.profile import from_profile_dict

    found = recall_mapping(store, source_key(layer.path, layer.name))
    if found is None:
        return None
    try:
        mapping, options = from_profile_dict(found[0])
    except CitymgrError:  # a memory this version cannot read: suggest afresh
        return None
    if target is not None and mapping.table != target:
        return None
    names = set(layer.field_names())
    mapping.fields = {k: v for k, v in mapping.fields.items() if v in names}
    mapping.values = {k: v for k, v in mapping.values.items() if k in mapping.fields}
    if not mapping.fields:  # none of its fields is left: the suggestions are better
        return None
    mapping.on_conflict = "project"  # the delivery wins a conflict only when told each time
    return mapping, options, found[1]
