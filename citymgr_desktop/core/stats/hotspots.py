"""Hot spots for the map: how many open cases, or assets in condition 4-5, fall in each cell
of a square grid over the district. Counted in SQL from the centre of each asset's bounding
box (a GeoPackage's spatial index, so no geometry is read; PostGIS: the geometry's box; the
store's ``cell_sql``).

A cell is (i, j) = (⌊(x − x0) / size⌋, ⌊(y − y0) / size⌋) with the origin (x0, y0) on a
multiple of the cell size below the district's extent, so every index is ≥ 0 and SQL's
``CAST(… AS INTEGER)`` is the floor (PostGIS: ``floor()``). The joins are written as
CROSS JOIN, which SQLite takes as "in this order" (from the few open orders or poor assets
to the spatial index) and other databases as the plain inner join it is.

* ``open_cases``: work orders not closed or cancelled (未结案), counted once per cell in which
  one of their assets lies (so the cells add up to more than the orders; ``total`` is the
  distinct orders);
* ``poor_assets``: live assets in condition 4 (差) or 5 (危险).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.stats.assets import check_layers
from citymgr_desktop.core.workorders.states import OPEN_STATES

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore as Store

HOTSPOT_KINDS = ("open_cases", "poor_assets")
NICE_SIZES = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000,
              25_000, 50_000)
CELLS_ACROSS = 30  # an automatic cell size gives about this many cells over the long side

Extent = tuple[float, float, float, float]


@dataclass(frozen=True)
class HotspotGrid:
    """Counts per square cell: ``cells`` maps (i, j) to a count (empty cells left out)."""

    kind: str
    x0: float
    y0: float
    size: float
    cells: dict[tuple[int, int], int] = field(default_factory=dict)
    # distinct things counted over all cells: an order with assets in three cells counts in
    # each of them, so for open cases this is less than the sum of the cells
    distinct: int | None = None

    def bounds(self, i: int, j: int) -> Extent:
        x, y = self.x0 + i * self.size, self.y0 + j * self.size
        return (x, y, x + self.size, y + self.size)

    @property
    def total(self) -> int:
        """Distinct cases (or assets) over the grid, not the sum of the cells."""
        return sum(self.cells.values()) if self.distinct is None else self.distinct

    @property
    def maximum(self) -> int:
        return max(self.cells.values(), default=0)

    def top(self, n: int = 5) -> list[tuple[tuple[int, int], int]]:
        """The ``n`` fullest cells, fullest first."""
        return sorted(self.cells.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def nice_cell_size(extent: Extent, across: int = CELLS_ACROSS) -> float:
    """The smallest nice size (10, 20, 25, 50 … × 10ⁿ map units) giving at most ``across``
    cells over the extent's long side."""
    span = max(extent[2] - extent[0], extent[3] - extent[1], 1e-9)
    want = span / across
    for size in NICE_SIZES:
        if size >= want:
            return float(size)
    return float(10 ** math.ceil(math.log10(want)))


def hotspot_grid(store: Store, kind: str, *, size: float | None = None,
                 layers: Iterable[str] | None = None,
                 extent: Extent | None = None) -> HotspotGrid:
    """Counts of ``kind`` (``open_cases`` or ``poor_assets``) per grid cell of ``size``
    map units (default: :func:`nice_cell_size` of the district)."""
    if kind not in HOTSPOT_KINDS:
        raise ValidationError("unknown hot-spot kind {kind!r}; choose from {allowed}",
                              kind=kind, allowed=", ".join(HOTSPOT_KINDS))
    names = check_layers(layers)
    if size is not None and not size > 0:
        raise ValidationError("hot-spot cell size must be positive, got {size}", size=size)
    if extent is None:
        # the layers' extents as the file records them (retired assets included): the
        # grid's origin only needs to lie below every asset
        boxes = [i.extent for i in store.layers() if i.name in names and i.extent]
        if not boxes:
            return HotspotGrid(kind, 0.0, 0.0, float(size or 100.0))
        extent = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                  max(b[2] for b in boxes), max(b[3] for b in boxes))
    cell = float(size or nice_cell_size(extent))
    x0 = math.floor(extent[0] / cell) * cell
    y0 = math.floor(extent[1] / cell) * cell
    parts, params = [], []
    for name in names:
        t = gpkg.quote_ident(name)
        join, on, ci, cj = store.cell_sql(name, "a", (x0, y0), cell)
        if kind == "poor_assets":
            parts.append(f"SELECT {ci} AS i, {cj} AS j, a.fid AS item FROM {t} a "
                         f"{join} WHERE {on} "
                         "AND a.retired_at IS NULL AND a.condition IN (4, 5)")
        else:
            states = sorted(s.value for s in OPEN_STATES)
            parts.append(
                f"SELECT {ci} AS i, {cj} AS j, o.work_order_uuid AS item FROM work_order o "
                f"CROSS JOIN work_order_asset l CROSS JOIN {t} a {join} "
                "WHERE l.work_order_uuid = o.work_order_uuid AND a.asset_uuid = l.asset_uuid "
                f"AND {on} AND l.asset_class = ? "
                f"AND o.state IN ({', '.join('?' * len(states))})")
            params += [name, *states]
    counted = "count(DISTINCT item)" if kind == "open_cases" else "count(*)"
    union = " UNION ALL ".join(parts)
    sql = f"SELECT i, j, {counted} FROM ({union}) AS items GROUP BY i, j"
    cells = {(int(i), int(j)): int(n) for i, j, n in store.figure_rows(sql, params)}
    distinct = None
    if kind == "open_cases":
        distinct = int(store.figure_rows(
            f"SELECT count(DISTINCT item) FROM ({union}) AS items", params)[0][0])
    return HotspotGrid(kind, float(x0), float(y0), cell, cells, distinct)


__all__ = ["HOTSPOT_KINDS", "HotspotGrid", "hotspot_grid", "nice_cell_size"]
