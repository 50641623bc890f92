"""Row values of a database sync in their other forms: the journal's JSON (geometries as
WKB in hex, bytes in base64; lossless for what the store returns) and the raw form the sync
report shows (a geometry as a GeoPackage blob, as the file sync's conflicts carry it)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import shapely

from citymgr_desktop.core.gpkg.geometry import encode
from citymgr_desktop.core.model import schema as sc


def _to_json(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return {"$wkb": shapely.to_wkb(value, hex=True)}
    if isinstance(value, (bytes, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "$wkb" in value:
        return shapely.from_wkb(value["$wkb"])
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    return value


def to_journal(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A row (or part of one) as JSON data."""
    return None if row is None else {k: _to_json(v) for k, v in row.items()}


def from_journal(data: Mapping[str, Any] | None) -> dict[str, Any]:
    return {} if data is None else {k: _from_json(v) for k, v in data.items()}


def to_raw(column: str, value: Any) -> Any:
    """A store value as the file sync holds it (the report's ``display`` reads it)."""
    if column == sc.GEOMETRY_COLUMN and isinstance(value, shapely.Geometry):
        return encode(value, 0)
    return value
