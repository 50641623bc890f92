"""Property-based: for random data and random expressions, SQLite (compiled SQL with bound
parameters) and pandas (vectorised evaluation) select exactly the same rows."""

from __future__ import annotations

import sqlite3

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citymgr_desktop.core.expression import Expression, Fields, filter_fids

_CHARS = st.sampled_from(list("aAbBzZ _%'\"éÉ路中1;-"))
_TEXT = st.one_of(st.none(), st.text(_CHARS, max_size=6))
_INT = st.one_of(st.none(), st.integers(-50, 50))
_REAL = st.one_of(st.none(), st.floats(-100, 100, allow_nan=False).map(lambda f: round(f, 2)))

ROWS = st.lists(st.tuples(_INT, _REAL, _TEXT, _TEXT), min_size=1, max_size=25)


def _lit_text(draw_text: str) -> str:
    return "'" + draw_text.replace("'", "''") + "'"


def _num_literal():
    return st.one_of(st.integers(-60, 60).map(str),
                     st.floats(-120, 120, allow_nan=False).map(lambda f: repr(round(f, 2))))


def _text_literal():
    return st.text(_CHARS, max_size=5).map(_lit_text)


def num_expr():
    base = st.one_of(st.sampled_from(["a", "b", "fid"]), _num_literal(),
                     st.just("length(s)"))
    return st.recursive(base, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"abs({x})"),
        inner.map(lambda x: f"-({x})"),
        st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(simple_bool(), inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
    ), max_leaves=4)


def text_expr():
    base = st.one_of(st.sampled_from(["s", "t"]), _text_literal())
    return st.recursive(base, lambda inner: st.one_of(
        inner.map(lambda x: f"lower({x})"),
        inner.map(lambda x: f"upper({x})"),
        inner.map(lambda x: f"trim({x})"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]} || {t[1]})"),
        st.tuples(inner, st.integers(1, 4), st.integers(0, 3)).map(
            lambda t: f"substr({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
    ), max_leaves=3)


def simple_bool():
    cmp = st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">="])
    return st.one_of(
        st.tuples(st.sampled_from(["a", "b"]), cmp, _num_literal()).map(" ".join),
        st.tuples(st.sampled_from(["s", "t"]), st.sampled_from(["is null", "is not null"])).map(
            " ".join),
    )


def bool_expr():
    cmp = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    like = st.text(st.sampled_from(list("aAbé%_路'")), max_size=4).map(_lit_text)
    base = st.one_of(
        st.tuples(num_expr(), cmp, num_expr()).map(" ".join),
        st.tuples(text_expr(), cmp, text_expr()).map(" ".join),
        st.tuples(st.sampled_from(["a", "b", "s", "t"]),
                  st.sampled_from(["is null", "is not null"])).map(" ".join),
        st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["in", "not in"]),
                  st.lists(_num_literal(), min_size=1, max_size=4)).map(
            lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"),
        st.tuples(st.sampled_from(["s", "t"]), st.sampled_from(["in", "not in"]),
                  st.lists(_text_literal(), min_size=1, max_size=3)).map(
            lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"),
        st.tuples(text_expr(), st.sampled_from(["like", "not like"]), like).map(" ".join),
        st.tuples(num_expr(), st.sampled_from(["between", "not between"]), _num_literal(),
                  _num_literal()).map(lambda t: f"{t[0]} {t[1]} {t[2]} and {t[3]}"),
    )
    return st.recursive(base, lambda inner: st.one_of(
        inner.map(lambda x: f"not ({x})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"),
    ), max_leaves=5)


def _load(rows):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE layer (fid INTEGER PRIMARY KEY, a INTEGER, b REAL, s TEXT, t TEXT)")
    conn.executemany("INSERT INTO layer VALUES (?,?,?,?,?)",
                     [(i + 1, *r) for i, r in enumerate(rows)])
    frame = pd.DataFrame(rows, columns=["a", "b", "s", "t"], dtype=object)
    frame.index = pd.RangeIndex(1, len(rows) + 1, name="fid")
    return conn, frame


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, bool_expr())
def test_sql_and_pandas_select_the_same_rows(rows, text):
    conn, frame = _load(rows)
    expr = Expression.compile(text, Fields.from_sqlite(conn, "layer"))
    by_sql = sorted(filter_fids(conn, "layer", expr).tolist())
    by_pandas = sorted(frame.index[expr.mask(frame)].tolist())
    assert by_sql == by_pandas, (text, expr.to_sql())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.one_of(num_expr(), text_expr()))
def test_sql_and_pandas_compute_the_same_values(rows, text):
    conn, frame = _load(rows)
    expr = Expression.compile(text, Fields.from_sqlite(conn, "layer"), want=None)
    sql, params = expr.to_sql()
    by_sql = [r[0] for r in conn.execute(f"SELECT {sql} FROM layer ORDER BY fid", params)]
    by_pandas = [None if pd.isna(v) else v for v in expr.evaluate(frame).tolist()]
    assert len(by_sql) == len(by_pandas)
    for x, y in zip(by_sql, by_pandas, strict=True):
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            assert abs(x - y) <= 1e-9 * max(1.0, abs(x)), (text, x, y)
        else:
            assert x == y, (text, expr.to_sql(), x, y)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_quoted_text_becomes_exactly_one_parameter(value):
    expr = Expression.compile(f"s = {_lit_text(value)}", Fields.from_sqlite(_load([(1, 1.0, 'x',
                                                                                   'y')])[0],
                                                                             "layer"))
    assert expr.to_sql() == ('("s" = ?)', [value])


_SMALL = st.text(st.sampled_from(list("aAéÉ_%'")), max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _SMALL), min_size=1, max_size=12), _SMALL,
       st.sampled_from(["like", "not like", "=", "<", ">="]), st.sampled_from(["s", "lower(s)",
                                                                              "upper(s)"]))
def test_like_and_case_folding_agree_on_tricky_letters(values, pattern, op, left):
    conn, frame = _load([(None, None, v, None) for v in values])
    expr = Expression.compile(f"{left} {op} {_lit_text(pattern)}",
                              Fields.from_sqlite(conn, "layer"))
    by_sql = sorted(filter_fids(conn, "layer", expr).tolist())
    assert by_sql == sorted(frame.index[expr.mask(frame)].tolist())
