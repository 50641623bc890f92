"""What both stores (the GeoPackage's and the PostGIS one) answer the same way, written once:
:class:`LayerInfo` and :class:`StoreCommon`, a base of both store classes whose methods are
built on each store's own questions (``layers()``, ``path``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.store.crs_memo import CrsFacts, facts

if TYPE_CHECKING:
    from pyproj import CRS


@dataclass(frozen=True)
class LayerInfo:
    """What a layer panel or ``citymgr info`` shows about one table."""

    name: str
    data_type: str  # "features" or "attributes"
    geometry_type: str | None
    srs_id: int | None
    crs_name: str | None
    count: int  # -1: not counted (``layers(counted=False)``)
    extent: tuple[float, float, float, float] | None  # minx, miny, maxx, maxy
    is_asset: bool
    description: str = ""


def like_contains(text: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern matching values that contain ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# the newest order (by case number: YYYYMMDD + serial) of each class that names a disposal
# unit: one grouped pass and a join on the unique case number (not a subquery per row)
_NEWEST_UNITS = ("SELECT o.asset_class, o.case_no, o.assignee FROM work_order o JOIN "
                 "(SELECT asset_class, max(case_no) AS latest FROM work_order WHERE assignee "
                 "IS NOT NULL AND assignee <> '' GROUP BY asset_class) m "
                 "ON o.asset_class = m.asset_class AND o.case_no = m.latest")


class StoreCommon:
    """A base of both store classes (see the module docstring); each store class provides
    the attributes and methods declared here."""

    path: Any
    conn: Any  # sqlite3 or psycopg: the plain SQL below reads alike on both
    layers: Callable[..., list[LayerInfo]]  # include_internal=False: the project's tables
    # (table, uuids, columns=None) -> {uuid: row} of the rows found
    get_rows: Callable[..., dict[str, dict[str, Any]]]
    crs_for_srs: Callable[[int], CRS]  # a CrsError when the definition is unusable

    def layer(self, name: str) -> LayerInfo:
        """One table's :class:`LayerInfo`; a name the project lacks is a NotFoundError."""
        for info in self.layers():
            if info.name == name:
                return info
        raise NotFoundError("{path} has no layer {name!r}", path=self.path, name=name)

    def get_row(self, table: str, uuid: str) -> dict[str, Any]:
        """One row of ``table`` by its uuid; a uuid the table lacks is a NotFoundError."""
        rows = self.get_rows(table, [uuid])
        if uuid not in rows:
            raise NotFoundError("{table} has no row {uuid}", table=table, uuid=uuid)
        return rows[uuid]

    def newest_units(self) -> dict[str, tuple[str, str]]:
        """{asset class: (case number, disposal unit)} of each class's newest work order
        that names a unit."""
        return {c: (n, a) for c, n, a in self.conn.execute(_NEWEST_UNITS)}

    def crs_facts(self, srs_id: int) -> CrsFacts:
        """Name, WKT, kind and unit of the CRS ``srs_id`` (those of ``crs_for_srs``),
        remembered by its stored definition (``crs_memo``): no pyproj once known."""
        return facts(self.srs_definition(srs_id), lambda: self.crs_for_srs(srs_id))

    def srs_definition(self, srs_id: int) -> tuple[Any, ...] | None:
        """What ``crs_for_srs(srs_id)`` is made from, for remembering its facts (None: not
        remembered; a store that does not say is asked every time)."""
        return None
