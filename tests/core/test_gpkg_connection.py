"""The read-only URI of a file (``gpkg.read_only_uri``): any file name reaches SQLite as the
file's own name, for a connection and for an ATTACH, and the file is opened read-only."""

from __future__ import annotations

import sqlite3

import pytest

from citymgr_desktop.core import gpkg

AWKWARD_NAMES = [
    "with space.gpkg",
    "what?mode=rw.gpkg",
    "hash#fragment.gpkg",
    "50%20off %41.gpkg",
    "姑苏区 城管 资产台账.gpkg",
    "all of them ?#% 巡查.gpkg",
]


def _make(path, marker: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (marker,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_the_uri_opens_that_file_read_only(tmp_path, name):
    folder = tmp_path / "目录 #1 ?%"
    folder.mkdir()
    path = folder / name
    _make(path, name)
    before = sorted(p.name for p in folder.iterdir())

    conn = sqlite3.connect(gpkg.read_only_uri(path), uri=True)
    assert conn.execute("SELECT v FROM t").fetchone() == (name,)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("INSERT INTO t VALUES ('x')")
    conn.close()

    with gpkg.connect(str(path), read_only=True) as conn:
        assert conn.execute("SELECT v FROM t").fetchone() == (name,)

    attaching = sqlite3.connect(":memory:", uri=True)
    attaching.execute("ATTACH DATABASE ? AS other", (gpkg.read_only_uri(path),))
    assert attaching.execute("SELECT v FROM other.t").fetchone() == (name,)
    files = {r[1]: r[2] for r in attaching.execute("PRAGMA database_list")}
    assert files["other"] == str(path)
    attaching.close()

    assert sorted(p.name for p in folder.iterdir()) == before  # no stray file was created


def test_the_uri_is_percent_encoded_and_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _make(tmp_path / "a b?#%姑.gpkg", "relative")
    uri = gpkg.read_only_uri("a b?#%姑.gpkg")
    assert uri.startswith("file:///") and uri.endswith("?mode=ro")
    assert "a%20b%3F%23%25%E5%A7%91.gpkg?mode=ro" in uri
    assert uri.count("?") == 1 and "#" not in uri
    conn = sqlite3.connect(uri, uri=True)
    assert conn.execute("SELECT v FROM t").fetchone() == ("relative",)
    conn.close()


def test_a_percent_in_the_name_is_not_decoded_into_another_file(tmp_path):
    _make(tmp_path / "50%20off.gpkg", "literal percent")
    _make(tmp_path / "50 off.gpkg", "a space")
    conn = sqlite3.connect(gpkg.read_only_uri(tmp_path / "50%20off.gpkg"), uri=True)
    assert conn.execute("SELECT v FROM t").fetchone() == ("literal percent",)
    conn.close()
