"""The interface every store offers, made explicit: what the commands and the app ask of a
project whether it is a GeoPackage (:class:`~citymgr_desktop.core.store.geopackage.Store`)
or a PostGIS database (:class:`~citymgr_desktop.core.store.postgis.PostgisStore`), and
:func:`open_store`, which picks the backend from the name given where a FILE is accepted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store.postgis.connection import is_database_target

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    from pyproj import CRS

    from citymgr_desktop.core.store.geopackage import LayerInfo


class ProjectStore(Protocol):
    """One open project: describe it, read its tables and rows by uuid, apply deltas in one
    transaction (a conflict with another writer's change is refused, never overwritten)."""

    path: Any  # the file, or the database's printable name
    read_only: bool
    is_database: bool  # a shared database (no journal beside a file)

    def close(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: object) -> None: ...
    def session(self) -> AbstractContextManager[Any]: ...
    def is_asset_project(self) -> bool: ...
    def require_asset_project(self) -> None: ...
    def meta(self, key: str, default: str | None = None) -> str | None: ...
    @property
    def district_code(self) -> str: ...
    def layers(self, include_internal: bool = False) -> list[LayerInfo]: ...
    def layer(self, name: str) -> LayerInfo: ...
    def crs(self, layer: str) -> CRS: ...
    def project_crs(self) -> CRS: ...
    def districts(self) -> list[str]: ...
    def domains(self) -> dict[str, dict[str, Any]]: ...
    def read(self, layer: str, *, columns: list[str] | None = None,
             include_retired: bool = True,
             bbox: tuple[float, float, float, float] | None = None
             ) -> gpd.GeoDataFrame | pd.DataFrame: ...
    def get_rows(self, table: str, uuids: Iterable[str],
                 fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]: ...
    def get_row(self, table: str, uuid: str) -> dict[str, Any]: ...
    def write_state(self) -> object: ...
    def may_change(self, layer: str, uuid: str) -> bool: ...
    def reader(self) -> Any: ...
    def apply(self, deltas: Iterable[Delta], user: str = "",
              progress: Progress | None = None) -> dict[str, dict[str, int]]: ...


def open_store(target: str | os.PathLike[str], *, read_only: bool = False) -> ProjectStore:
    """The store of ``target``: a PostGIS database for a ``postgresql://`` URL or a
    ``service=NAME``, else a GeoPackage file."""
    if is_database_target(target):
        from citymgr_desktop.core.store.postgis import PostgisStore

        return PostgisStore.open(str(target), read_only=read_only)
    from citymgr_desktop.core.store.geopackage import Store

    return Store.open(target, read_only=read_only)
