"""The expression language: parsing, type checking, friendly conversions, SQL and pandas agree."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import pytest

from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.expression import Expression, Fields, filter_fids
from citymgr_desktop.core.model import schema as sc

TODAY = dt.date(2026, 11, 26)
BINS = Fields.for_table(sc.LITTER_BIN)


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "fid": [1, 2, 3, 4, 5, 6],
        "name": ["中山路001号", "Zhongshan Rd", None, "it's; DROP", "abc_def", "100%纯"],
        "condition": [1, 4, None, 5, 3, 2],
        "bin_type": ["kitchen", "other", "recyclable", None, "kitchen", "hazardous"],
        "capacity_l": [240, 120, None, 660, 240, 0],
        "install_date": ["2010-05-01", "2019-12-31", None, "2024-01-15", "2015-06-30",
                         "2026-11-01"],
        "updated_at": ["2026-01-01T08:00:00.000Z", None, "2025-12-31T23:59:59.999Z",
                       "2026-06-01T00:00:00.000Z", "2024-02-29T12:00:00.000Z",
                       "2026-11-25T10:00:00.000Z"],
        "remarks": [None, "", "x", None, "y", None],
    })


@pytest.fixture()
def db():
    df = _rows()
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE litter_bin (fid INTEGER PRIMARY KEY, name TEXT, '
                 'condition INTEGER, bin_type TEXT, capacity_l INTEGER, install_date DATE, '
                 'updated_at DATETIME, remarks TEXT)')
    conn.executemany("INSERT INTO litter_bin VALUES (?,?,?,?,?,?,?,?)",
                     [tuple(None if pd.isna(v) else v for v in r)
                      for r in df.itertuples(index=False)])
    yield conn, df.set_index("fid")
    conn.close()


def both(db, text: str) -> list[int]:
    """The matching fids by SQL and by pandas; the test fails if they differ."""
    conn, df = db
    fields = Fields.from_sqlite(conn, "litter_bin")
    expr = Expression.compile(text, fields, today=TODAY)
    by_sql = sorted(filter_fids(conn, "litter_bin", expr).tolist())
    by_pandas = sorted(df.index[expr.mask(df)].tolist())
    assert by_sql == by_pandas, (text, expr.to_sql())
    return by_sql


@pytest.mark.parametrize(("text", "expected"), [
    ("condition >= 4", [2, 4]),
    ("condition = 3 or condition = 1", [1, 5]),
    ("not condition = 1", [2, 4, 5, 6]),  # the empty condition (fid 3) matches neither
    ("condition != 1", [2, 4, 5, 6]),
    ("condition <> 1 and capacity_l > 100", [2, 4, 5]),
    ("condition is null", [3]),
    ("condition is not null and bin_type is null", [4]),
    ("bin_type in ('kitchen', 'other')", [1, 2, 5]),
    ("bin_type not in ('kitchen', 'other')", [3, 6]),
    ("name like '%路%'", [1]),
    ("name like 'zhong%'", [2]),  # ASCII letters fold case, as in SQLite
    ("name not like 'abc_def'", [1, 2, 4, 6]),
    ("name like '100%'", [6]),
    ("name = 'it''s; DROP'", [4]),
    ("capacity_l between 100 and 300", [1, 2, 5]),
    ("capacity_l not between 100 and 300", [4, 6]),
    ("install_date < '2015-06-30'", [1]),
    ("install_date >= date '2019-12-31'", [2, 4, 6]),
    ("install_date < '2016/1/1'", [1, 5]),
    ("install_date < '2016年1月1日'", [1, 5]),
    ("updated_at >= '2026-01-01'", [1, 4, 6]),
    ("updated_at < '2026-01-01 00:00:00'", [3, 5]),
    ("year(install_date) = 2019", [2]),
    ("month(updated_at) = 12", [3]),
    ("install_date > today() - 365", [6]),
    ("install_date > today() - 1100", [4, 6]),
    ("today() - install_date > 3650", [1, 5]),
    ("capacity_l / 2 >= 120", [1, 4, 5]),
    ("capacity_l * 2 - 40 = 200", [2]),
    ("capacity_l / 0 is null", [1, 2, 3, 4, 5, 6]),  # division by zero is empty, as in SQL
    ("length(name) = 12", [2]),
    ("lower(name) = 'zhongshan rd'", [2]),
    ("upper(bin_type) = 'KITCHEN'", [1, 5]),
    ("substr(name, 1, 2) = '中山'", [1]),
    ("coalesce(remarks, '-') = '-'", [1, 4, 6]),
    ("remarks = ''", [2]),
    ("if(condition >= 4, 'bad', 'ok') = 'bad'", [2, 4]),
    ("abs(condition - 3) = 2", [1, 4]),
    ("name || '!' = 'abc_def!'", [5]),
    ("fid in (2, 3) and condition is null", [3]),
    ("((condition = 1)) or (((capacity_l = 0)))", [1, 6]),
    ("true", [1, 2, 3, 4, 5, 6]),
    ("not true", []),
])
def test_filters_give_the_same_rows_in_sql_and_pandas(db, text, expected):
    assert both(db, text) == expected


@pytest.mark.parametrize(("text", "sql", "params"), [
    ("技术状况 >= 4", '("condition" >= ?)', [4]),
    ("技术状况 ＞＝ 4 and 垃圾分类 = '厨余垃圾'", '(("condition" >= ?) AND ("bin_type" = ?))',
     [4, "kitchen"]),
    ("bin_type = 'Kitchen waste'", '("bin_type" = ?)', ["kitchen"]),
    ("condition = '差'", '("condition" = ?)', [4]),
    ("condition = '4'", '("condition" = ?)', [4]),
    ("CONDITION >= 4 AND Name LIKE '%路'", '(("condition" >= ?) AND ("name" LIKE ?))',
     [4, "%路"]),
    ("“技术状况” in （1，2）", '("condition" IN (?, ?))', [1, 2]),
    ("\"obj_code\" = 4201060304000001", '("obj_code" = ?)', ["4201060304000001"]),
])
def test_aliases_labels_and_full_width_input(text, sql, params):
    expr = Expression.compile(text, BINS)
    assert expr.to_sql() == (sql, params)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("condition >=", "expected a value"),
    ("condition = 'foo'", "allowed: 1 (完好 Good)"),
    ("bin_type = '厨余'", "kitchen (厨余垃圾 Kitchen waste)"),
    ("colour = 'red'", "unknown field 'colour' in litter_bin"),
    ("condition = null", "use 'is null'"),
    ("condition", "must be a condition"),
    ("condition and name = 'x'", "compare it with something"),
    ("name > 3.5", "cannot compare name (text) with 3.5 (a number)"),
    ("name > 3", "cannot compare name (text) with 3 (a number)"),
    ("name = 'a\udcff'", "at character 10): a character that is not valid text"),
    ("obj_code between 1 and 9", "cannot compare obj_code (text) with 1 (a number)"),
    ("install_date < '2024-13-01'", "not a date"),
    ("name like condition", "quoted pattern"),
    ("bin_type in ('kitchen', null)", "null inside 'in"),
    ("nosuch(1)", "unknown function nosuch()"),
    ("round(capacity_l, 'x')", "round(x, digits)"),
    ("(condition = 1", "expected ')'"),
    ("condition = 1 condition = 2", "use 'and' / 'or'"),
    ("name = 'unterminated", "no closing '"),
    ("condition @ 1", "unexpected character '@'"),
    ("condition is 1", "'is' must be followed by 'null'"),
    ("3abc = 1", "neither a number nor a field name"),
])
def test_errors_are_one_clear_line(text, message):
    with pytest.raises(ExpressionError) as info:
        Expression.compile(text, BINS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("expression error")


def test_error_names_the_position():
    with pytest.raises(ExpressionError, match=r"at character 16"):
        Expression.compile("condition >= 4 nonsense", BINS)


def test_calculator_values(db):
    conn, df = db
    fields = Fields.from_sqlite(conn, "litter_bin")
    expr = Expression.compile("coalesce(capacity_l, 0) + 10", fields, want=None)
    assert expr.type == "number"
    assert expr.evaluate(df).tolist() == [250, 130, 10, 670, 250, 10]
    sql, params = expr.to_sql()
    got = [r[0] for r in conn.execute(f"SELECT {sql} FROM litter_bin ORDER BY fid", params)]
    assert got == [250, 130, 10, 670, 250, 10]
    text = Expression.compile("name || ' (' || bin_type || ')'", fields, want=None)
    assert text.evaluate(df).tolist()[0] == "中山路001号 (kitchen)"
    assert pd.isna(text.evaluate(df).tolist()[2])  # NULL || ... is NULL
    rounded = Expression.compile("round(capacity_l / 7, 1)", fields, want=None)
    assert rounded.evaluate(df).tolist()[0] == pytest.approx(34.3)


def test_dates_read_by_gdal_as_datetime64_are_compared_as_iso_text():
    frame = pd.DataFrame({"install_date": pd.to_datetime(["2010-05-01", None, "2024-01-15"]),
                          "updated_at": pd.to_datetime(["2026-01-01T08:00:00Z", None,
                                                        "2025-01-01T00:00:00Z"], utc=True)})
    expr = Expression.compile("install_date < '2020-01-01' or updated_at >= '2026-01-01'", BINS)
    assert expr.mask(frame).tolist() == [True, False, False]


def test_fields_from_a_foreign_table_use_declared_types():
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE "odd ""name""" (fid INTEGER PRIMARY KEY, "weird""col" TEXT, '
                 "height REAL, built DATE, blob_col BLOB)")
    conn.execute('INSERT INTO "odd ""name""" VALUES (1, \'a\', 2.5, \'2020-01-01\', x\'00\')')
    fields = Fields.from_sqlite(conn, 'odd "name"')
    assert fields.names() == ["fid", 'weird"col', "height", "built"]
    expr = Expression.compile('"weird""col" = \'a\' and height > 2 and built < today()', fields)
    assert filter_fids(conn, 'odd "name"', expr).tolist() == [1]


def test_sorting_and_extra_where(db):
    conn, _ = db
    fields = Fields.from_sqlite(conn, "litter_bin")
    expr = Expression.compile("capacity_l is not null", fields)
    assert filter_fids(conn, "litter_bin", expr, order_by="capacity_l").tolist() == \
        [6, 2, 1, 5, 4]
    assert filter_fids(conn, "litter_bin", expr, order_by="capacity_l",
                       descending=True).tolist() == [4, 5, 1, 2, 6]
    assert filter_fids(conn, "litter_bin", None, extra_where="condition IS NULL").tolist() == [3]
    with pytest.raises(ExpressionError):
        filter_fids(conn, "litter_bin", expr, order_by="fid; DROP TABLE litter_bin")


def test_the_checker_fills_today_and_now_as_parameters():
    expr = Expression.compile("install_date < today() and updated_at < now()", BINS,
                              today=dt.date(2020, 2, 29))
    sql, params = expr.to_sql()
    assert params[0] == "2020-02-29" and params[1].endswith("Z")
    assert "2020" not in sql


def test_mask_is_a_plain_boolean_array(db):
    _, df = db
    expr = Expression.compile("condition > 2", Fields.for_table(sc.LITTER_BIN))
    m = expr.mask(df)
    assert m.dtype == np.bool_ and m.tolist() == [False, True, False, True, True, False]
