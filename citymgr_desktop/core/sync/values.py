"""Row values as sync handles them: raw SQLite values (the geometry as its GeoPackage blob),
their lossless JSON form for the journal and the conflict table, geometry comparison by
content, and the readable form a report shows.

Raw values are what the journal stores, so that undo writes back exactly the bytes that were
there; the store's ``Delta`` values (Shapely geometries, normalised text) are made from them
only when a change is applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.gpkg.geometry import decode
from citymgr_desktop.core.model import schema as sc

GEOM = sc.GEOMETRY_COLUMN
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def wkb_part(blob: bytes | None) -> bytes | None:
    """The WKB inside a GeoPackage geometry blob (header, envelope and srs id stripped).

    Two blobs of the same geometry can differ in their header (an envelope written or not,
    another srs id); comparing the WKB finds only real geometry changes.
    """
    if blob is None:
        return None
    data = bytes(blob)
    if len(data) < 8 or data[:2] != b"GP":
        return data
    flags = data[3]
    if flags & 0x10:  # empty geometry: all empties are equal
        return b""
    return data[8 + _ENVELOPE_BYTES.get((flags >> 1) & 0x07, 0):]


def register_functions(conn: sqlite3.Connection) -> None:
    """``citymgr_wkb(blob)`` for SQL comparisons of geometries by content."""
    conn.create_function("citymgr_wkb", 1, wkb_part, deterministic=True)


# SQL that brings a date or a timestamp written by another tool to our form, for comparison
# of a layer whose column types were changed by a rewrite (DATE stored as DATETIME, ...).
_NORMAL_SQL = {
    "date": "date({})",
    "datetime": "strftime('%Y-%m-%dT%H:%M:%fZ', {})",
}


def differs_sql(left: str, right: str, column: str, normal: str | None = None) -> str:
    """An SQL expression true when ``left.column`` and ``right.column`` hold different values.

    Plain columns compare with ``IS NOT`` (NULL-safe, numeric 3 equals 3.0); the geometry is
    compared byte-wise first and only by its WKB when the bytes differ (cheap in C).
    ``normal`` ("date" / "datetime") compares dates by their value, not their spelling.
    """
    c = '"' + column.replace('"', '""') + '"'
    if column == GEOM:
        return (f"({left}.{c} IS NOT {right}.{c} AND "
                f"citymgr_wkb({left}.{c}) IS NOT citymgr_wkb({right}.{c}))")
    if normal in _NORMAL_SQL:
        fn = _NORMAL_SQL[normal]
        return (f"({left}.{c} IS NOT {right}.{c} AND "
                f"{fn.format(f'{left}.{c}')} IS NOT {fn.format(f'{right}.{c}')})")
    return f"{left}.{c} IS NOT {right}.{c}"


def raw_equal(column: str, a: Any, b: Any) -> bool:
    """Equality of two raw values as the diff sees it (geometry by WKB, 3 == 3.0)."""
    if column == GEOM:
        return wkb_part(a) == wkb_part(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    if isinstance(a, (bytes, memoryview)) or isinstance(b, (bytes, memoryview)):
        return isinstance(a, (bytes, memoryview)) and isinstance(b, (bytes, memoryview)) \
            and bytes(a) == bytes(b)
    return type(a) is type(b) and a == b


def same_value(table: sc.Table, column: str, a: Any, b: Any) -> bool:
    """Equality as the merge sees it: raw equality, or equality once both values are in the
    model's form (a date written as a timestamp by another tool, 3.0 for 3)."""
    if raw_equal(column, a, b):
        return True
    if column == GEOM or a is None or b is None:
        return False
    from citymgr_desktop.core.model.values import normalise

    try:
        return raw_equal(column, normalise(table, column, for_store(column, a)),
                         normalise(table, column, for_store(column, b)))
    except Exception:  # a value the model refuses is only equal to itself
        return False


@dataclass(frozen=True)
class BlobRef:
    """Stored bytes named by their SHA-256 instead of carried: the journal's form of a photo
    a sync read from a package's folder (redo reads the file again, ``journal.py``), and how
    undo's checks see attachment content without loading it."""

    sha256: str


def blob_digest(value: Any) -> str | None:
    """The SHA-256 of stored bytes, or of the bytes a BlobRef names."""
    if isinstance(value, BlobRef):
        return value.sha256
    if isinstance(value, (bytes, memoryview)):
        return hashlib.sha256(bytes(value)).hexdigest()
    return None


def to_json_value(value: Any) -> Any:
    """A raw value as JSON data (blobs as base64), lossless for what SQLite stores."""
    if isinstance(value, (bytes, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, BlobRef):
        return {"$sha256": value.sha256}
    return value


def from_json_value(value: Any) -> Any:
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    if isinstance(value, dict) and "$sha256" in value:
        return BlobRef(value["$sha256"])
    return value


def dumps(value: Any) -> str:
    """One raw value as JSON text (the conflict table's value columns)."""
    return json.dumps(to_json_value(value), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return None if text is None else from_json_value(json.loads(text))


def dumps_row(row: Mapping[str, Any] | None) -> str | None:
    """A raw row (or part of one) as JSON text (the journal's old/new values)."""
    if row is None:
        return None
    return json.dumps({k: to_json_value(v) for k, v in row.items()}, ensure_ascii=False)


def loads_row(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    return {k: from_json_value(v) for k, v in json.loads(text).items()}


def for_store(column: str, value: Any) -> Any:
    """A raw value as the store's writers take it (the geometry as a Shapely object)."""
    if column == GEOM:
        return None if value is None else decode(bytes(value))
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def display(column: str, value: Any, max_chars: int = 2000) -> Any:
    """A value a person can read: geometries as WKT (rounded to millimetres), blobs sized."""
    if value is None:
        return None
    if column == GEOM:
        try:
            geom = decode(bytes(value))
        except Exception:  # not a GeoPackage blob: show its size, never fail a report
            return f"<{len(bytes(value))} bytes>"
        import shapely  # only for a report's WKT: a sync that shows no geometry never loads it

        text = shapely.to_wkt(geom, rounding_precision=3, trim=True)
        return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
    if isinstance(value, (bytes, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return value
