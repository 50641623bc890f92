"""The statistics' questions (``core/stats``) answered by PostgreSQL: the twin of
``store/figures.py``. The statements are the same (``?`` marks become psycopg's ``%s``);
the month of a ``date`` is ``to_char``, an asset's box is ``ST_XMin``…, an IN list is
``= ANY(array)``.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Sequence
from typing import Any

_IN_MARKS = re.compile(r"\bIN \(\{marks\}\)")


def _marks(sql: str) -> str:
    # our statements carry no "?" inside string literals (values are always parameters)
    return sql.replace("%", "%%").replace("?", "%s")


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """sum() of a bigint is numeric in PostgreSQL: give back the int or float SQLite gives."""
    return tuple((int(v) if v == v.to_integral_value() else float(v))
                 if isinstance(v, decimal.Decimal) else v for v in row)


class PostgisFigures:
    """A base of :class:`~citymgr_desktop.core.store.postgis.PostgisStore`."""

    conn: Any

    def figure_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only statistics statement (``?`` marks)."""
        return [_plain(r) for r in self.conn.execute(_marks(sql), list(params)).fetchall()]

    def figure_rows_in(self, sql: str, values: Iterable[Any]) -> list[tuple[Any, ...]]:
        """The rows of a statement with ``IN ({marks})`` over ``values`` (any number)."""
        statement = _IN_MARKS.sub("= ANY(%s)", sql.replace("%", "%%"))
        return [_plain(r) for r in self.conn.execute(statement, (list(values),)).fetchall()]

    @staticmethod
    def month_sql(column: str) -> str:
        """SQL of the month (``YYYY-MM``) of a DATE column."""
        return f"to_char({column}, 'YYYY-MM')"

    def cell_sql(self, layer: str, alias: str, origin: tuple[float, float], size: float
                 ) -> tuple[str, str, str, str]:
        """(join, condition, i, j): the grid cell (i, j) of the centre of each asset's box,
        as ``store/figures.py`` (the box from the geometry: no rtree table here)."""
        x0, y0 = (float(v) for v in origin)
        cell = float(size)
        g = f"{alias}.geom"
        return ("", "true",
                f"floor(((ST_XMin({g}) + ST_XMax({g})) / 2.0 - {x0!r}) / {cell!r})::int",
                f"floor(((ST_YMin({g}) + ST_YMax({g})) / 2.0 - {y0!r}) / {cell!r})::int")

    # -- the time limits the deadlines (and so the evaluation) are computed from ----------
    def replace_time_limit(self, asset_class: str | None, priority: int, value: float,
                           unit: str) -> None:
        """Insert or replace one row of ``work_order_time_limit`` (in the caller's
        transaction, if there is one); the values are checked by the caller."""
        with self.session() as conn:  # type: ignore[attr-defined]
            conn.execute("DELETE FROM work_order_time_limit WHERE asset_class IS NOT DISTINCT "
                         "FROM %s AND priority = %s", (asset_class, priority))
            conn.execute("INSERT INTO work_order_time_limit (asset_class, priority, "
                         "limit_value, limit_unit) VALUES (%s, %s, %s, %s)",
                         (asset_class, priority, float(value), unit))
