"""The one helper of the best-effort cache files (``core/cache.py``: the integrity cache, the
PROJ and CRS memos, the QGIS project memo, shiboken's code): a damaged file is an empty cache
and is rewritten whole by the next entry, the oldest entries go past the bound, a write is
atomic and not flushed, and a cache that cannot be written is no error."""

from __future__ import annotations

import json
import marshal
import os

import pytest

from citymgr_desktop.core import cache


def _is_int(_key, value) -> bool:
    return isinstance(value, int)


@pytest.mark.parametrize("damage", [b'{"a": 1, "b', b"\xff\xfe\x00garbage", b'["a", "list"]',
                                    b"", b"null"])
def test_a_damaged_json_file_is_an_empty_cache_and_rewritten(tmp_path, damage):
    path = tmp_path / "memo.json"
    path.write_bytes(damage)
    assert cache.load(path, _is_int) == {}
    cache.remember(path, "new", 7, 10, _is_int)
    assert json.loads(path.read_text(encoding="utf-8")) == {"new": 7}


def test_a_damaged_marshal_file_is_an_empty_cache_and_rewritten(tmp_path):
    path = tmp_path / "code.marshal"
    path.write_bytes(marshal.dumps({("a", b"x"): b"code"})[:-3])  # cut short
    assert cache.load(path, binary=True) == {}
    path.write_bytes(marshal.dumps([1, 2, 3]))  # not a mapping
    assert cache.load(path, binary=True) == {}
    cache.store(path, {("a", b"x"): b"code"}, 10, binary=True)
    assert marshal.loads(path.read_bytes()) == {("a", b"x"): b"code"}


def test_entries_the_check_refuses_are_left_out(tmp_path):
    path = tmp_path / "memo.json"
    path.write_text(json.dumps({"a": 1, "b": "two", "c": [3], "d": 4}), encoding="utf-8")
    assert cache.load(path, _is_int) == {"a": 1, "d": 4}
    assert cache.load(path, lambda _k, v: v[0] == 3) == {"c": [3]}  # a check that raises: out
    cache.remember(path, "e", 5, 10, _is_int)
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1, "d": 4, "e": 5}


def test_the_oldest_entries_go_past_the_bound(tmp_path):
    path = tmp_path / "memo.json"
    for i in range(8):
        cache.remember(path, f"k{i}", i, 5)
    assert list(cache.load(path)) == ["k3", "k4", "k5", "k6", "k7"]
    cache.remember(path, "k3", 33, 5)  # renewed: the newest now
    assert cache.load(path) == {"k4": 4, "k5": 5, "k6": 6, "k7": 7, "k3": 33}
    cache.store(path, {f"s{i}": i for i in range(9)}, 3)
    assert cache.load(path) == {"s6": 6, "s7": 7, "s8": 8}


def test_a_write_is_atomic_and_not_flushed(tmp_path, monkeypatch):
    flushed = []
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(fd))
    path = tmp_path / "deep" / "folder" / "memo.json"  # the folder is made
    cache.remember(path, "a", 1, 10)
    assert cache.load(path) == {"a": 1}
    assert flushed == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["memo.json"]  # no .part left


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    cache.remember(blocked / "memo.json", "a", 1, 10)  # its folder cannot be made
    assert cache.load(blocked / "memo.json") == {}
    folder = tmp_path / "folder-as-target"
    folder.mkdir()
    cache.store(folder, {"a": 1}, 10)  # the target is a folder
    assert folder.is_dir()


def test_the_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYMGR_CACHE_DIR", str(tmp_path / "here"))
    assert cache.folder() == tmp_path / "here"
    monkeypatch.delenv("CITYMGR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name != "nt":
        assert cache.folder() == tmp_path / "xdg" / "citymgr"
