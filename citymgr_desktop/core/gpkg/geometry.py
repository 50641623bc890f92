"""GeoPackage geometry blobs: encode Shapely geometries, decode envelopes, and the ``ST_*``
SQL functions that the GeoPackage rtree triggers need on a plain ``sqlite3`` connection.
"""

from __future__ import annotations

import math
import sqlite3
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NumPy and Shapely load on the first geometry: a one-row attribute edit
    import numpy as np  # through a plain connection (the ST_* functions) needs neither

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_POINT_FLAGS = 0x01  # little-endian, no envelope (points carry their own coordinates)
_ENVELOPE_FLAGS = 0x03  # little-endian, xy envelope
_EMPTY_FLAGS = 0x11  # little-endian, empty, no envelope


def encode_many(geoms: Sequence[Any] | np.ndarray, srs_id: int) -> list[bytes | None]:
    """Encode geometries (Shapely objects or None) as GeoPackage blobs, vectorised."""
    import numpy as np
    import shapely

    arr = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(arr)
    if len(arr) == 0:
        return out
    missing = shapely.is_missing(arr)
    wkb = shapely.to_wkb(arr, byte_order=1, output_dimension=2).tolist()
    empty = shapely.is_empty(arr) & ~missing
    is_point = shapely.get_type_id(arr) == 0
    point_head = struct.pack("<2sBBi", b"GP", 0, _POINT_FLAGS, srs_id)
    if is_point.all() and not empty.any():  # a layer of points: no envelopes
        return [point_head + w for w in wkb]
    bounds = np.ascontiguousarray(shapely.bounds(arr)[:, [0, 2, 1, 3]], dtype="<f8")
    env = bounds.tobytes()
    env_head = struct.pack("<2sBBi", b"GP", 0, _ENVELOPE_FLAGS, srs_id)
    empty_head = struct.pack("<2sBBi", b"GP", 0, _EMPTY_FLAGS, srs_id)
    # plain lists: a NumPy scalar per geometry costs as much as the encoding
    missing_at, empty_at, point_at = missing.tolist(), empty.tolist(), is_point.tolist()
    for i, w in enumerate(wkb):
        if missing_at[i]:
            continue
        if empty_at[i]:
            out[i] = empty_head + w
        elif point_at[i]:
            out[i] = point_head + w
        else:
            out[i] = env_head + env[i * 32 : i * 32 + 32] + w
    return out


def encode(geom: Any, srs_id: int) -> bytes | None:
    """Encode one geometry (or None) as a GeoPackage blob."""
    return encode_many([geom], srs_id)[0]


def _wkb_offset(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_BYTES.get((flags >> 1) & 0x07, 0)


def wkb(blob: bytes | None) -> bytes | None:
    """The WKB inside a GeoPackage blob, not decoded (None stays None): for a database's
    ``ST_GeomFromWKB`` (a million rows of publish skip two Shapely conversions each)."""
    if blob is None:
        return None
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    return bytes(blob[_wkb_offset(blob):])


def decode(blob: bytes | None) -> Any:
    """Decode a GeoPackage blob to a Shapely geometry (None stays None)."""
    if blob is None:
        return None
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    import shapely

    return shapely.from_wkb(bytes(blob[_wkb_offset(blob) :]))


def decode_many(blobs: Sequence[bytes | None], on_invalid: str = "raise") -> np.ndarray:
    """Decode many GeoPackage blobs to a Shapely array (``on_invalid="ignore"``: a blob that
    cannot be read becomes None instead of raising)."""
    import numpy as np
    import shapely

    wkbs = [None if b is None or len(b) < 8 else bytes(b[_wkb_offset(b) :]) for b in blobs]
    return shapely.from_wkb(np.asarray(wkbs, dtype=object), on_invalid=on_invalid)


def blob_srs_id(blob: bytes | None) -> int | None:
    """The srs_id written in a blob's header (None for no blob or a foreign one)."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    (srs_id,) = struct.unpack_from("<i" if blob[3] & 0x01 else ">i", blob, 4)
    return int(srs_id)


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, read from its header when it has one."""
    if blob is None or len(blob) < 8:
        return None
    flags = blob[3]
    if flags & 0x10:  # empty
        return None
    little = flags & 0x01
    env = (flags >> 1) & 0x07
    if env:
        fmt = "<4d" if little else ">4d"
        minx, maxx, miny, maxy = struct.unpack_from(fmt, blob, 8)
        return minx, maxx, miny, maxy
    off = 8
    order = "<" if blob[off] == 1 else ">"
    (gtype,) = struct.unpack_from(order + "I", blob, off + 1)
    if gtype == 1:  # 2D point: read the coordinates directly
        x, y = struct.unpack_from(order + "2d", blob, off + 5)
        if math.isnan(x):
            return None
        return x, x, y, y
    g = decode(blob)
    if g is None or g.is_empty:
        return None
    b = g.bounds
    return b[0], b[2], b[1], b[3]


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return 1 if envelope(blob) is None else 0


def _coord(index: int):
    def fn(blob: bytes | None) -> float | None:
        e = envelope(blob)
        return None if e is None else e[index]

    return fn


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ST_IsEmpty/ST_MinX/... so GeoPackage rtree triggers work on this connection."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    conn.create_function("ST_MinX", 1, _coord(0), deterministic=True)
    conn.create_function("ST_MaxX", 1, _coord(1), deterministic=True)
    conn.create_function("ST_MinY", 1, _coord(2), deterministic=True)
    conn.create_function("ST_MaxY", 1, _coord(3), deterministic=True)
    # GDAL registers this one too; QGIS/GDAL-written files may reference it in triggers.
    conn.create_function("GPKG_IsAssignable", 2, lambda a, b: 1, deterministic=True)
