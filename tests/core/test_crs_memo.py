"""The facts of a file's CRS that a map needs (name, WKT, geographic, unit) are pyproj's own,
remembered by the stored definition (``core/store/crs_memo.py``): a second process asks no
pyproj for them, a definition pyproj cannot read is an error every time, and a memo file that
is damaged or from elsewhere is only a memo missed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from pyproj import CRS

from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.store import Store, crs_memo


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CITYMGR_CACHE_DIR", str(folder))
    monkeypatch.setattr(crs_memo, "_memory", {})
    return folder


def test_the_facts_are_pyprojs(small_district, cache):
    with Store.open(small_district, read_only=True) as store:
        crs = store.project_crs()
        facts = store.crs_facts(4547)
        names = {info.name: info.crs_name for info in store.layers() if info.geometry_type}
    assert facts == crs_memo.CrsFacts(crs.name, crs.to_wkt(), False, 1.0)
    assert set(names.values()) == {crs.name}
    assert crs_memo.facts_of(CRS.from_epsg(4490)).geographic
    assert crs_memo.facts_of(CRS.from_epsg(2229)).unit_factor == pytest.approx(0.3048006096)


def test_another_process_reads_the_facts_without_pyproj(small_district, cache):
    script = ("import sys\n"
              "from citymgr_desktop.core.store import Store\n"
              f"with Store.open({str(small_district)!r}, read_only=True) as store:\n"
              "    facts = store.crs_facts(4547)\n"
              "    names = [i.crs_name for i in store.layers() if i.geometry_type]\n"
              "print(facts.name, set(names) == {facts.name}, 'pyproj' in sys.modules)\n")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    name = CRS.from_epsg(4547).name
    assert runs[0].stdout.strip() == f"{name} True True"  # the first asks pyproj
    assert runs[1].stdout.strip() == f"{name} True False"  # the second remembers
    assert (cache / "crs.json").is_file()


def test_a_definition_pyproj_cannot_read_is_an_error_every_time(small_district, cache):
    conn = sqlite3.connect(small_district)
    with conn:
        conn.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('bad', 99, 'x', 99, "
                     "'PROJCS[\"nonsense\"]', NULL)")
    conn.close()
    for _ in range(2):
        with Store.open(small_district, read_only=True) as store, pytest.raises(CrsError):
            store.crs_facts(99)
    memo = cache / "crs.json"
    assert not memo.exists() or "nonsense" not in memo.read_text(encoding="utf-8")


def test_a_damaged_memo_file_is_a_memo_missed(small_district, cache):
    cache.mkdir(parents=True)
    (cache / "crs.json").write_text('{"x": [1, 2', encoding="utf-8")
    with Store.open(small_district, read_only=True) as store:
        facts = store.crs_facts(4547)
    assert facts.name == CRS.from_epsg(4547).name
    crs_memo._memory.clear()
    (cache / "crs.json").write_text('["not", "a", "mapping"]', encoding="utf-8")
    with Store.open(small_district, read_only=True) as store:
        assert store.crs_facts(4547) == facts
