"""A spatial index written as a packed tree holds exactly what SQLite's own inserts make of the
same entries (the same rounded boxes, the same answers to box queries), passes SQLite's
``rtreecheck`` and stays right through later inserts, updates and deletes; an import fills
the index once, with the trigger put back as it was, and QGIS finds the features by box."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from citymgr_desktop.core.gpkg import fill_rtree, fill_rtree_from, rtree_pack, tables
from citymgr_desktop.core.gpkg.rtree_pack import packable, write_packed
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import describe_layer
from citymgr_desktop.core.store import Store, bulk_insert
from tests.core import import_sources as src
from tests.gpkg_checks import assert_valid_gpkg, run_pyqgis

ALL = "SELECT id, minx, maxx, miny, maxy FROM rtree_t_geom ORDER BY id"
BOX = ("SELECT id FROM rtree_t_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? "
       "ORDER BY id")


def _rtree() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE rtree_t_geom USING rtree(id, minx, maxx, miny, maxy)")
    return conn


def _entries(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points and small boxes around a Gauss-Kruger-like origin, some negative, ids shuffled."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(38_500_000, 3000, n), rng.normal(-3000, 3000, n)
    size = rng.random(n) * 50 * (rng.random(n) < 0.3)
    ids = rng.permutation(np.arange(1, n + 1) * 3)
    return ids, np.column_stack([x, y, x + size, y + size])


def _inserted(ids: np.ndarray, bounds: np.ndarray) -> sqlite3.Connection:
    conn = _rtree()
    conn.executemany("INSERT INTO rtree_t_geom VALUES (?,?,?,?,?)", zip(
        ids.tolist(), bounds[:, 0].tolist(), bounds[:, 2].tolist(), bounds[:, 1].tolist(),
        bounds[:, 3].tolist(), strict=True))
    return conn


def _check(conn: sqlite3.Connection) -> None:
    assert conn.execute("SELECT rtreecheck('rtree_t_geom')").fetchone()[0] == "ok"


def _assert_as_inserted(packed: sqlite3.Connection, ids: np.ndarray, bounds: np.ndarray,
                        seed: int) -> None:
    """The packed tree passes ``rtreecheck`` and holds what SQLite's own inserts of the same
    entries make: the same rounded boxes, the same answers to 20 random box queries."""
    inserted = _inserted(ids, bounds)
    _check(packed)
    assert packed.execute(ALL).fetchall() == inserted.execute(ALL).fetchall()
    rng = np.random.default_rng(seed)
    for _ in range(20):
        cx, cy, r = rng.normal(38_500_000, 3000), rng.normal(-3000, 3000), rng.random() * 2000
        box = (cx + r, cx - r, cy + r, cy - r)
        assert packed.execute(BOX, box).fetchall() == inserted.execute(BOX, box).fetchall()


@pytest.mark.parametrize("n", [0, 1, 51, 52, 2601, 2602, 30_000])
def test_packed_tree_holds_what_inserts_make(n):
    ids, bounds = _entries(n, n)
    packed = _rtree()
    assert packable(packed, "rtree_t_geom")
    write_packed(packed, "rtree_t_geom", ids, bounds)
    _assert_as_inserted(packed, ids, bounds, seed=1)
    if n:  # SQLite keeps it right afterwards
        packed.executemany("DELETE FROM rtree_t_geom WHERE id = ?",
                           [(int(i),) for i in ids[: n // 2]])
        packed.executemany("INSERT INTO rtree_t_geom VALUES (?,?,?,?,?)",
                           [(10**7 + i, i, i + 1.0, -i, 1.0 - i) for i in range(n // 3 + 1)])
        packed.executemany("UPDATE rtree_t_geom SET minx = minx - 5 WHERE id = ?",
                           [(int(i),) for i in ids[n // 2 :: 7]])
        _check(packed)


@pytest.mark.parametrize("pack_max", [250_000, 8000])  # the second: inserts past 8000
def test_fill_rtree_packs_with_what_is_there_or_inserts(monkeypatch, pack_max):
    monkeypatch.setattr(tables, "PACK_MAX", pack_max)
    ids, bounds = _entries(12_000, 7)
    expected = _inserted(ids, bounds).execute(ALL).fetchall()
    conn = _rtree()
    fill_rtree(conn, "t", ids[:6000], bounds[:6000])  # empty: packed
    fill_rtree(conn, "t", ids[6000:9000], bounds[6000:9000])  # read back, packed again
    fill_rtree(conn, "t", ids[9000:9500], bounds[9000:9500])  # few: SQLite inserts them
    fill_rtree(conn, "t", ids[9500:], bounds[9500:])
    _check(conn)
    assert conn.execute(ALL).fetchall() == expected
    with pytest.raises(sqlite3.IntegrityError):  # an id already there is an error, as before
        fill_rtree(conn, "t", ids[:3000], bounds[:3000])


@pytest.mark.parametrize("n", [1, 51, 52, 2601, 2602, 30_000])
def test_packed_from_a_scratch_table_holds_what_inserts_make(monkeypatch, n):
    """Past the cap the entries wait in a temp table and the tree is packed from it a few
    leaves at a time (here two, so even small trees are written in many pieces)."""
    monkeypatch.setattr(rtree_pack, "STREAM_NODES", 2)
    ids, bounds = _entries(n, n)
    packed = _rtree()
    scratch = rtree_pack.create_scratch(packed)
    rtree_pack.add_to_scratch(packed, scratch, ids, bounds)
    rtree_pack.write_packed_from(packed, "rtree_t_geom", scratch)
    _assert_as_inserted(packed, ids, bounds, seed=2)


def test_fill_rtree_from_packs_with_what_is_there_or_inserts(monkeypatch):
    monkeypatch.setattr(rtree_pack, "STREAM_NODES", 3)
    ids, bounds = _entries(12_000, 9)
    expected = _inserted(ids, bounds).execute(ALL).fetchall()
    conn = _rtree()
    for a, b in ((0, 6000), (6000, 9000), (9000, 9500), (9500, 12_000)):  # packed, packed
        scratch = rtree_pack.create_scratch(conn)  # again, SQLite inserts, packed again
        rtree_pack.add_to_scratch(conn, scratch, ids[a:b], bounds[a:b])
        fill_rtree_from(conn, "t", scratch)
        _check(conn)
    assert conn.execute(ALL).fetchall() == expected
    scratch = rtree_pack.create_scratch(conn)
    rtree_pack.add_to_scratch(conn, scratch, ids[:3000], bounds[:3000])
    with pytest.raises(sqlite3.IntegrityError):  # an id already there is an error, as before
        fill_rtree_from(conn, "t", scratch)


def test_not_packable_is_filled_by_inserts():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE rtree_t_geom USING rtree_i32(id, minx, maxx, miny, maxy)")
    assert not packable(conn, "rtree_t_geom")
    ids, bounds = _entries(2000, 3)
    fill_rtree(conn, "t", ids, bounds)
    assert conn.execute("SELECT count(*) FROM rtree_t_geom").fetchone()[0] == 2000


def _bins(folder, n):
    rng = np.random.default_rng(5)
    points = [src.ll(float(a) * 40, float(b) * 40) for a, b in rng.random((n, 2))]
    props = [{"编号": f"B{i}", "名称": f"箱{i}", "状况": "好"} for i in range(n)]
    return src.geojson_points(folder, "bins", points, props)


def test_import_fills_the_index_once_and_puts_the_trigger_back(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_FEATURES", 700)  # several batches, one fill
    source = _bins(tmp_path, 3000)
    project = src.new_project(tmp_path / "p.gpkg")
    triggers = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    with Store.open(project) as store:
        before = store.conn.execute(triggers).fetchall()
        mapping = suggest_mapping(describe_layer(source), "litter_bin")
        importer.run_import(store, source, mapping)
        conn = store.conn
        assert conn.execute(triggers).fetchall() == before
        assert conn.execute("SELECT rtreecheck('rtree_litter_bin_geom')").fetchone()[0] == "ok"
        entries = conn.execute("SELECT * FROM rtree_litter_bin_geom ORDER BY id").fetchall()
        by_trigger = conn.execute(  # what the per-row trigger would have written
            "SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) "
            "FROM litter_bin ORDER BY fid").fetchall()
    assert len(entries) == 3000
    check = _rtree()
    check.executemany("INSERT INTO rtree_t_geom VALUES (?,?,?,?,?)", by_trigger)
    assert entries == check.execute(ALL).fetchall()
    assert_valid_gpkg(project)
    (x0, y0, x1, y1) = (min(e[1] for e in entries[:10]), min(e[3] for e in entries[:10]),
                        max(e[2] for e in entries[:10]), max(e[4] for e in entries[:10]))
    found = run_pyqgis(QGIS_BOX, project, x0, y0, x1, y1)
    inside = [e[0] for e in entries if e[1] <= x1 and e[2] >= x0 and e[3] <= y1 and e[4] >= y0]
    assert sorted(found["fids"]) == sorted(inside) and found["has_index"]


def test_an_import_past_the_cap_writes_what_one_under_it_writes(tmp_path, monkeypatch):
    """An import of more new rows than ``PACK_AT_END_MAX`` (lowered here to 500; 250,000
    really) keeps their bounds in a temp table, not in memory, and packs the index from it:
    the same rows and the same index entries as under the cap, as few nodes (packed, not
    inserted one by one), every row found by a box
    query, ``rtreecheck`` and GDAL's validator pass, no temp table is left behind."""
    monkeypatch.setattr(importer, "BATCH_FEATURES", 700)
    monkeypatch.setattr(rtree_pack, "STREAM_NODES", 2)
    source = _bins(tmp_path, 3000)
    written = {}
    for cap in (250_000, 500):
        monkeypatch.setattr(bulk_insert, "PACK_AT_END_MAX", cap)
        monkeypatch.setattr(tables, "PACK_MAX", cap)  # what is packed from memory at once
        project = src.new_project(tmp_path / f"p{cap}.gpkg")
        with Store.open(project) as store:
            importer.run_import(store, source, suggest_mapping(describe_layer(source),
                                                               "litter_bin"))
            assert store.conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
        conn = sqlite3.connect(project)
        assert conn.execute("SELECT rtreecheck('rtree_litter_bin_geom')").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        entries = conn.execute("SELECT * FROM rtree_litter_bin_geom ORDER BY id").fetchall()
        for fid, x0, x1, y0, y1 in entries[::97]:
            assert (fid,) in conn.execute(BOX.replace("rtree_t_geom", "rtree_litter_bin_geom"),
                                          (x1, x0, y1, y0)).fetchall()
        rows = conn.execute("SELECT fid, geom, obj_code, name, condition, bin_type, source_id "
                            "FROM litter_bin ORDER BY fid").fetchall()
        nodes = conn.execute("SELECT count(*) FROM rtree_litter_bin_geom_node").fetchone()
        written[cap] = rows, entries, nodes  # the same entries, packed as tightly
        assert_valid_gpkg(project)
    assert len(written[500][0]) == len(written[500][1]) == 3000
    assert written[500] == written[250_000]


QGIS_BOX = """
import sys
from qgis.core import QgsFeatureRequest, QgsRectangle, QgsVectorLayer, QgsFeatureSource
path, x0, y0, x1, y1 = sys.argv[1], *map(float, sys.argv[2:])
layer = QgsVectorLayer(f"{path}|layername=litter_bin", "bins", "ogr")
request = QgsFeatureRequest().setFilterRect(QgsRectangle(x0, y0, x1, y1))
request.setFlags(QgsFeatureRequest.ExactIntersect)
fids = [f.id() for f in layer.getFeatures(request)]
has_index = layer.hasSpatialIndex() == QgsFeatureSource.SpatialIndexPresent
emit({"fids": fids, "has_index": has_index})
"""
