"""Values between the model and PostgreSQL: what psycopg returns becomes what the GeoPackage
store returns (dates as ``YYYY-MM-DD`` text, geometries as Shapely), and back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.ddl import ident


def select_column(name: str) -> str:
    """The select-list item of one column: geometries as WKB."""
    if name == sc.GEOMETRY_COLUMN:
        return f"ST_AsBinary({ident(name)}) AS {ident(name)}"
    return ident(name)


def from_db(name: str, value: Any) -> Any:
    """A value read from PostgreSQL in the model's form."""
    if value is None:
        return None
    if name == sc.GEOMETRY_COLUMN:
        import shapely  # loaded with the first geometry, not with the store

        return shapely.from_wkb(bytes(value))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def to_db(name: str, value: Any) -> Any:
    """A model value as a query parameter (geometries as WKB for ``ST_GeomFromWKB``; WKB
    bytes, as publish reads them from the file, pass as they are)."""
    if name == sc.GEOMETRY_COLUMN and value is not None and not isinstance(value, bytes):
        import shapely

        return shapely.to_wkb(value)
    return value


def placeholder(name: str, srid: int) -> str:
    """The parameter placeholder of one column in an INSERT or UPDATE."""
    if name == sc.GEOMETRY_COLUMN:
        return f"ST_GeomFromWKB(%s, {int(srid)})"
    return "%s"
