"""SQL back end of the expression language: a checked AST -> an SQLite ``WHERE``/value fragment
with ``?`` placeholders and a list of bound parameters.

Every value the user typed travels as a bound parameter; identifiers are the *resolved* column
names (see :mod:`citymgr_desktop.core.expression.fields`), quoted. Nothing the user typed is
ever pasted into the SQL text. The semantics (three-valued logic, ``/`` as real division,
ASCII-only case folding in ``like``/``lower``) are mirrored exactly by
:mod:`citymgr_desktop.core.expression.dataframe`; tests check the two agree.
"""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.expression.fields import DATE, DATETIME, NULL
from citymgr_desktop.core.expression.parser import (
    Between,
    Binary,
    Call,
    In,
    IsNull,
    Like,
    Literal,
    Name,
    Node,
    Unary,
    chain_group,
)
from citymgr_desktop.core.gpkg import quote_ident

_SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "+": "+",
            "-": "-", "*": "*", "||": "||", "and": "AND", "or": "OR"}
_PARTS = {"year": "%Y", "month": "%m", "day": "%d"}


class SqlCompiler:
    """Compiles one checked expression; ``params`` fills up as fragments are produced."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def param(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            value = int(value)
        self.params.append(value)
        return "?"

    def sql(self, node: Node) -> str:
        if isinstance(node, Literal):
            return self.param(node.value)
        if isinstance(node, Name):
            return quote_ident(node.name)
        if isinstance(node, Unary):
            inner = self.sql(node.operand)
            return f"(NOT {inner})" if node.op == "not" else f"(- {inner})"
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, IsNull):
            return f"({self.sql(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"
        if isinstance(node, In):
            operand = self.sql(node.operand)
            items = ", ".join(self.sql(i) for i in node.items)
            return f"({operand} {'NOT ' if node.negated else ''}IN ({items}))"
        if isinstance(node, Like):
            operand = self.sql(node.operand)
            return f"({operand} {'NOT ' if node.negated else ''}LIKE {self.sql(node.pattern)})"
        if isinstance(node, Between):
            operand = self.sql(node.operand)  # BETWEEN evaluates it once: x >= lo AND x <= hi
            low, high = self.sql(node.low), self.sql(node.high)
            return f"({operand} {'NOT ' if node.negated else ''}BETWEEN {low} AND {high})"
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover - parser makes no others

    def binary(self, node: Binary) -> str:
        if chain_group(node.op) and not _is_date_op(node):
            return self.chain(node)
        left, right = self.sql(node.left), self.sql(node.right)
        dates = (DATE, DATETIME)
        if node.op in ("+", "-") and node.left.type in dates and node.type == DATE:
            return f"date(julianday({left}) {node.op} {right})"
        if node.op == "-" and node.left.type in dates and node.right.type in dates:
            return f"(julianday({left}) - julianday({right}))"
        if node.op == "/":
            return f"(CAST({left} AS REAL) / {right})"
        return f"({left} {_SQL_OPS[node.op]} {right})"

    def chain(self, node: Binary) -> str:
        """``a or b or c`` as one flat group: SQLite's parser stack (100 deep) would overflow
        on the left-nested brackets of a long chain. Exact, as these operators are
        left-associative with equal precedence inside a group."""
        group = chain_group(node.op)
        pieces: list[tuple[str, Node]] = []
        cur: Node = node
        while isinstance(cur, Binary) and chain_group(cur.op) == group and not _is_date_op(cur):
            pieces.append((cur.op, cur.right))
            cur = cur.left
        out = [self.sql(cur)]
        for op, operand in reversed(pieces):
            out.append(f"{_SQL_OPS[op]} {self.sql(operand)}")
        return "(" + " ".join(out) + ")"

    def call(self, node: Call) -> str:
        args = [self.sql(a) for a in node.args]
        name = node.name
        if name in _PARTS:
            return f"CAST(strftime('{_PARTS[name]}', {args[0]}) AS INTEGER)"
        if name == "if":
            return f"(CASE WHEN {args[0]} THEN {args[1]} ELSE {args[2]} END)"
        if name == "coalesce" and node.type == NULL:
            return "NULL"
        if name == "round" and len(args) == 1:
            return f"round({args[0]})"
        return f"{name}({', '.join(args)})"


def _is_date_op(node: Binary) -> bool:
    return node.left.type in (DATE, DATETIME) or node.right.type in (DATE, DATETIME)


def to_sql(node: Node) -> tuple[str, list[Any]]:
    """The SQL fragment and its parameters for a checked expression."""
    compiler = SqlCompiler()
    text = compiler.sql(node)
    return text, compiler.params
