"""pandas back end of the expression language: evaluates a checked AST over a DataFrame,
vectorised, with SQL's three-valued logic (NULL -> pandas ``NA``).

Numbers are ``Float64``, text and ISO dates ``string[pyarrow]``, truth values ``boolean``
(Kleene logic for and/or/not, like SQL). Used for rows that are not in the file yet
(pending edits) and by the field calculator; :mod:`citymgr_desktop.core.expression.sql`
compiles the same AST for SQLite, with the same results.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.expression.fields import BOOL, DATE, DATETIME, NULL, NUMBER, TEXT
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
)

STRING = "string[pyarrow]"
_DTYPES = {NUMBER: "Float64", TEXT: STRING, DATE: STRING, DATETIME: STRING, BOOL: "boolean"}
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_COMPARE = {"=": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__",
            ">=": "__ge__"}


def like_regex(pattern: str) -> re.Pattern[str]:
    """SQLite ``LIKE`` as a regex: % any run, _ one character, ASCII letters fold case."""
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE | re.ASCII)


class FrameEvaluator:
    """Evaluates checked expressions over one DataFrame (columns are converted once)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.index = frame.index
        self._columns: dict[str, pd.Series] = {}

    # -- values -------------------------------------------------------------------------------
    def full(self, value: Any, type_: str) -> pd.Series:
        dtype = _DTYPES.get(type_, "Float64")
        if value is None:
            return pd.Series(pd.NA, index=self.index, dtype=dtype)
        return pd.Series(value, index=self.index, dtype=dtype)

    def column(self, name: str, type_: str) -> pd.Series:
        if name in self._columns:
            return self._columns[name]
        if name == "fid" and "fid" not in self.frame.columns:
            raw = pd.Series(self.index, index=self.index)
        elif name in self.frame.columns:
            raw = self.frame[name]
        else:
            raise ExpressionError("expression error: the data has no column '{name}'", name=name)
        self._columns[name] = out = _convert(raw, type_)
        return out

    def eval(self, node: Node) -> pd.Series:
        if isinstance(node, Literal):
            return self.full(node.value, node.type)
        if isinstance(node, Name):
            return self.column(node.name, node.type)
        if isinstance(node, Unary):
            v = self.eval(node.operand)
            return ~v if node.op == "not" else -v
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, IsNull):
            isna = self.eval(node.operand).isna()
            return (~isna if node.negated else isna).astype("boolean")
        if isinstance(node, In):
            return self.in_(node)
        if isinstance(node, Like):
            v = self.eval(node.operand).astype(STRING)
            regex = like_regex(str(node.pattern.value))  # type: ignore[attr-defined]
            out = v.str.fullmatch(regex.pattern, flags=regex.flags).astype("boolean")
            return ~out if node.negated else out
        if isinstance(node, Between):
            v = self.eval(node.operand)
            out = _boolean(v >= self.eval(node.low)) & _boolean(v <= self.eval(node.high))
            return ~out if node.negated else out
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def binary(self, node: Binary) -> pd.Series:
        op = node.op
        left, right = self.eval(node.left), self.eval(node.right)
        if op == "and":
            return _boolean(left) & _boolean(right)
        if op == "or":
            return _boolean(left) | _boolean(right)
        if op in _COMPARE:
            return _boolean(getattr(left, _COMPARE[op])(right))
        if op == "||":
            return (left.astype(STRING) + right.astype(STRING)).astype(STRING)
        dates = (DATE, DATETIME)
        if node.left.type in dates and node.type == DATE:
            days = pd.to_timedelta(right.astype("float64"), unit="D")
            moved = _timestamps(left) + (days if op == "+" else -days)
            return _date_text(moved)
        if op == "-" and node.left.type in dates and node.right.type in dates:
            delta = _timestamps(left) - _timestamps(right)
            return _numbers(delta.dt.total_seconds() / 86400.0)
        if op == "/":
            out = left.astype("Float64") / right.astype("Float64")
            return _numbers(out.mask(right == 0))
        if op == "+":
            return _numbers(left + right)
        if op == "-":
            return _numbers(left - right)
        return _numbers(left * right)

    def in_(self, node: In) -> pd.Series:
        v = self.eval(node.operand)
        if all(isinstance(i, Literal) for i in node.items):
            values = [i.value for i in node.items]  # type: ignore[attr-defined]
            out = v.isin(values).astype("boolean").mask(v.isna())
        else:  # x in (a, b) is x = a or x = b, with the same NULL rules
            out = self.full(False, BOOL)
            for item in node.items:
                out = out | _boolean(v == self.eval(item))
        return ~out if node.negated else out

    def call(self, node: Call) -> pd.Series:
        name = node.name
        args = [self.eval(a) for a in node.args]
        if name == "lower":
            return args[0].str.translate(_LOWER).astype(STRING)
        if name == "upper":
            return args[0].str.translate(_UPPER).astype(STRING)
        if name == "trim":
            return args[0].str.strip(" ").astype(STRING)
        if name == "length":
            return args[0].str.len().astype("Float64")
        if name == "substr":
            start = int(node.args[1].value) - 1  # type: ignore[attr-defined]
            stop = None if len(args) == 2 else start + int(node.args[2].value)  # type: ignore[attr-defined]
            return args[0].str.slice(start, stop).astype(STRING)
        if name == "abs":
            return args[0].abs()
        if name == "round":
            digits = int(node.args[1].value) if len(args) == 2 else 0  # type: ignore[attr-defined]
            return _round(args[0], digits)
        if name in ("year", "month", "day"):
            stamps = _timestamps(args[0])
            return _numbers(getattr(stamps.dt, name).astype("Float64"))
        if name == "date":
            return _date_text(_timestamps(args[0]))
        if name == "coalesce":
            out = args[0]
            for nxt in args[1:]:
                out = out.where(out.notna(), nxt)
            return out.astype(_DTYPES.get(node.type, "Float64")) if node.type != NULL else out
        if name == "if":
            cond = _boolean(args[0]).fillna(False).astype(bool)
            out = args[1].where(cond, args[2])
            return out.astype(_DTYPES.get(node.type, "Float64")) if node.type != NULL else out
        raise TypeError(f"unknown function {name}")  # pragma: no cover


def _convert(raw: pd.Series, type_: str) -> pd.Series:
    """A column as the language's dtype; dates read by GDAL as datetime64 become ISO text."""
    if type_ in (DATE, DATETIME) and pd.api.types.is_datetime64_any_dtype(raw):
        stamps = raw if getattr(raw.dt, "tz", None) is None else raw.dt.tz_convert("UTC")
        fmt = "%Y-%m-%d" if type_ == DATE else "%Y-%m-%dT%H:%M:%S.%f"
        text = stamps.dt.strftime(fmt)
        if type_ == DATETIME:
            text = text.str.slice(0, 23) + "Z"
        return text.astype(STRING)
    if type_ == NUMBER:
        return pd.to_numeric(raw, errors="coerce").astype("Float64")
    if type_ == BOOL:
        return raw.astype("boolean")
    if raw.dtype == object:
        raw = raw.map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
    return raw.astype(STRING)


def _boolean(s: Any) -> pd.Series:
    return s.astype("boolean")


def _numbers(s: pd.Series) -> pd.Series:
    """Float64 with NaN and +-inf turned into NA (SQLite has no NaN: it gives NULL)."""
    s = s.astype("Float64")
    arr = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(arr)
    return s.mask(bad) if bad.any() else s


def _timestamps(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.astype(STRING), format="ISO8601", utc=True, errors="coerce")


def _date_text(stamps: pd.Series) -> pd.Series:
    return stamps.dt.strftime("%Y-%m-%d").astype(STRING)


def _round(s: pd.Series, digits: int) -> pd.Series:
    """SQLite's round(): half away from zero for 0 digits, printf-style ("%.nf") otherwise."""
    arr = s.to_numpy(dtype="float64", na_value=np.nan)
    if digits == 0:
        out = np.sign(arr) * np.floor(np.abs(arr) + 0.5)
    else:
        out = np.array([v if v != v else float(f"{v:.{digits}f}") for v in arr], dtype=float)
    return pd.Series(out, index=s.index).astype("Float64")


def evaluate(node: Node, frame: pd.DataFrame) -> pd.Series:
    """Evaluate a checked expression over ``frame`` (a Series aligned with its index)."""
    return FrameEvaluator(frame).eval(node)
