"""The statistics' questions (``core/stats``) answered by a GeoPackage, and the time-limit
table the evaluation's deadlines come from; the PostGIS twin is ``store/postgis/figures.py``. A figure is one definition, an aggregate statement in the SQL
both stores speak (``?`` marks, plain GROUP BY, CASE, ``count(DISTINCT …)``) written in
``core/stats``; what the two dialects say differently (the month of a date, the cell of an
asset's box, an IN list of any length) is asked here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from citymgr_desktop.core import gpkg


class StoreFigures:
    """A base of :class:`~citymgr_desktop.core.store.geopackage.Store`."""

    conn: Any

    def figure_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only statistics statement (``?`` marks)."""
        return self.conn.execute(sql, list(params)).fetchall()

    def figure_rows_in(self, sql: str, values: Iterable[Any]) -> list[tuple[Any, ...]]:
        """The rows of a statement with ``IN ({marks})`` over ``values`` (any number)."""
        return list(gpkg.select_in(self.conn, sql, values))

    @staticmethod
    def month_sql(column: str) -> str:
        """SQL of the month (``YYYY-MM``) of a DATE column: ISO text's first 7 characters."""
        return f"substr({column}, 1, 7)"

    def cell_sql(self, layer: str, alias: str, origin: tuple[float, float], size: float
                 ) -> tuple[str, str, str, str]:
        """(join, condition, i, j): SQL giving the grid cell (i, j) of the centre of each
        asset ``alias`` of ``layer``'s box, read from the layer's rtree. ``origin`` lies
        below every asset, so CAST's truncation is the floor."""
        rtree = gpkg.quote_ident(gpkg.rtree_name(layer))
        x0, y0 = (float(v) for v in origin)
        cell = float(size)  # floats we computed, written as literals (never user text)
        return (f"CROSS JOIN {rtree} r", f"r.id = {alias}.fid",
                f"CAST((((r.minx + r.maxx) / 2.0) - {x0!r}) / {cell!r} AS INTEGER)",
                f"CAST((((r.miny + r.maxy) / 2.0) - {y0!r}) / {cell!r} AS INTEGER)")

    # -- the time limits the deadlines (and so the evaluation) are computed from ----------
    def replace_time_limit(self, asset_class: str | None, priority: int, value: float,
                           unit: str) -> None:
        """Insert or replace one row of ``work_order_time_limit`` (in the caller's
        transaction, if there is one); the values are checked by the caller."""
        with self.session() as conn:  # type: ignore[attr-defined]
            conn.execute("DELETE FROM work_order_time_limit WHERE asset_class IS ? AND "
                         "priority = ?", (asset_class, priority))
            conn.execute("INSERT INTO work_order_time_limit (asset_class, priority, "
                         "limit_value, limit_unit) VALUES (?,?,?,?)",
                         (asset_class, priority, float(value), unit))
