"""A small, safe expression language for filters and the field calculator (docs/expressions.md).

``Expression.compile("condition >= 4 and bin_type in ('厨余垃圾', 'other')", fields)`` parses
with the project's own tokenizer and parser (never ``eval``), checks names and types against
the layer's fields, and then either

- compiles to parameterised SQL (:meth:`Expression.to_sql`) to filter a million rows inside
  SQLite (:func:`filter_fids`: the matching fids as a compact int64 ``array``, no NumPy), or
- evaluates vectorised over a DataFrame (:meth:`Expression.evaluate` / :meth:`mask`; pandas
  and NumPy load here, not with the SQL back end).

Both give the same answers (three-valued logic: a row whose value is empty matches neither
``condition = 3`` nor ``not condition = 3``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.expression.fields import BOOL, NULL, FieldInfo, Fields
from citymgr_desktop.core.expression.parser import Node, check_nesting, parse
from citymgr_desktop.core.expression.sql import to_sql
from citymgr_desktop.core.expression.typecheck import FUNCTIONS, Checker

if TYPE_CHECKING:  # the pandas back end loads when a frame is evaluated, not with SQL
    import numpy as np
    import pandas as pd

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "FieldInfo", "Fields", "filter_fids",
           "filter_rows"]


@dataclass(frozen=True)
class Expression:
    """A parsed and type-checked expression, bound to a set of fields."""

    text: str
    node: Node
    fields: Fields = field(repr=False, compare=False)
    used_fields: frozenset[str] = frozenset()

    @classmethod
    def compile(cls, text: str, fields: Fields, *, want: str | None = BOOL,
                today: dt.date | None = None) -> Expression:
        """Parse and check ``text``. ``want=BOOL`` (a filter) refuses a non-condition;
        ``want=None`` accepts any value (the field calculator)."""
        checker = Checker(fields, today)
        node = checker.check(parse(text))
        check_nesting(node)
        if want == BOOL and node.type != BOOL:
            raise ExpressionError(
                "expression error: a filter must be a condition that is true or false, "
                "e.g. condition >= 4")
        return cls(text, node, fields, frozenset(checker.used))

    @property
    def type(self) -> str:
        return self.node.type

    @property
    def is_null(self) -> bool:
        return self.node.type == NULL

    def to_sql(self) -> tuple[str, list[Any]]:
        """``(sql, params)``: a fragment for ``WHERE`` (or a SELECT list) and its parameters."""
        return to_sql(self.node)

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The value for every row of ``frame`` (nullable dtypes; NA for empty)."""
        from citymgr_desktop.core.expression.dataframe import evaluate

        return evaluate(self.node, frame)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """For a filter: a boolean array, True where the condition holds (NULL -> False)."""
        result = self.evaluate(frame)
        return result.astype("boolean").fillna(False).to_numpy(dtype=bool)


def filter_fids(conn: sqlite3.Connection, table: str, expression: Expression | None,
                *, extra_where: str = "", extra_params: Sequence[Any] = (),
                order_by: str = "fid", descending: bool = False) -> array[int]:
    """The fids of ``table`` whose row matches ``expression``, in ``order_by`` order, as an
    int64 ``array`` (8 bytes a row; ``np.frombuffer(fids, dtype=np.int64)`` views it in
    NumPy without a copy).

    ``order_by`` must be a field of the expression's field set (or ``fid``); ``extra_where``
    is SQL written by the code itself (e.g. ``retired_at IS NULL``), never user text, with
    its own ``?`` parameters in ``extra_params``.
    """
    fids, _ = filter_rows(conn, table, expression, extra_where=extra_where,
                          extra_params=extra_params, order_by=order_by, descending=descending)
    return fids


def filter_rows(conn: sqlite3.Connection, table: str, expression: Expression | None,
                *, key: str | None = None, extra_where: str = "",
                extra_params: Sequence[Any] = (), order_by: str = "fid",
                descending: bool = False) -> tuple[array[int], list[Any] | None]:
    """:func:`filter_fids`, and with ``key`` (a column name) that column's values too, in
    the same order: ``(fids, keys)`` (``keys`` is None without ``key``)."""
    if order_by != "fid":
        fields = expression.fields if expression is not None else \
            Fields.from_sqlite(conn, table)
        if order_by not in fields:
            raise ExpressionError("cannot sort by unknown field {order_by!r}", order_by=order_by)
    clauses: list[str] = []
    params: list[Any] = []
    if expression is not None:
        sql, params = expression.to_sql()
        clauses.append(sql)
    if extra_where:
        clauses.append(f"({extra_where})")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    direction = "DESC" if descending else "ASC"
    order = f"{gpkg.quote_ident(order_by)} {direction}"
    if order_by != "fid":
        order += f", fid {direction}"
    columns = "fid" if key is None else f"fid, {gpkg.quote_ident(key)}"
    cur = conn.execute(f"SELECT {columns} FROM {gpkg.quote_ident(table)}{where} ORDER BY {order}",
                       [*params, *extra_params])
    fids: array[int] = array("q")  # int64
    keys: list[Any] | None = None if key is None else []
    while True:
        rows = cur.fetchmany(65536)
        if not rows:
            break
        fids.extend(array("q", [r[0] for r in rows]))
        if keys is not None:
            keys += [r[1] for r in rows]
    return fids, keys
