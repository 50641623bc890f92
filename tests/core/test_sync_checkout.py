"""Check-out of a field package: what goes out, the file QGIS/QField gets, what the master
remembers, and clear refusals of bad requests."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import zipfile

import pytest

from citymgr_desktop.core.errors import BadFileError, NotFoundError, ReadOnlyError, ValidationError
from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import Store, validate_file
from citymgr_desktop.core.sync.checkout import create_package, parse_bbox
from tests.core.sync_support import checkout, count, dump, edit
from tests.gpkg_checks import assert_valid_gpkg


def test_district_package_is_a_valid_self_contained_geopackage(district, tmp_path):
    pkg = tmp_path / "out" / "中华路.gpkg"
    pkg.parent.mkdir()
    res = checkout(district, pkg, district="中华路街道", surveyor="王五")
    assert_valid_gpkg(pkg)
    assert [p for p in validate_file(pkg, check_geometry=True) if p.level == "error"] == []
    for t in ("road_segment", "bridge", "green_space", "litter_bin"):
        expected = count(district, t, "district = '中华路街道' AND retired_at IS NULL")
        assert count(pkg, t) == expected == res.counts[t]
        assert count(pkg, t, "district != '中华路街道'") == 0
    assert res.counts["litter_bin"] > 50
    conn = sqlite3.connect(pkg)
    meta = dict(conn.execute("SELECT key, value FROM citymgr_meta"))
    assert meta["package_uuid"] == res.package_uuid and meta["package_surveyor"] == "王五"
    assert meta["package_area"] == "district 中华路街道"
    # domains and styles travel with the data; the embedded project names this file
    assert conn.execute("SELECT count(*) FROM gpkg_data_column_constraints").fetchone()[0] > 20
    assert conn.execute("SELECT count(*) FROM layer_styles").fetchone()[0] >= 4
    qgs = qgis_project.embedded_qgs(conn)
    assert qgs is not None and "./中华路.gpkg|layername=litter_bin" in qgs
    assert 'referencingLayer="maintenance_record' in qgs


def test_qgz_beside_the_package_has_relative_sources_and_the_history_relation(district,
                                                                                tmp_path):
    pkg = tmp_path / "p.gpkg"
    res = checkout(district, pkg, layers=["litter_bin", "bridge"])
    assert res.qgz == tmp_path / "p.qgz" and res.qgz.exists()
    with zipfile.ZipFile(res.qgz) as z:
        qgs = z.read(z.namelist()[0]).decode()
    assert "./p.gpkg|layername=litter_bin" in qgs and "./p.gpkg|layername=bridge" in qgs
    assert "layername=road_segment" not in qgs
    assert "maintenance_record_litter_bin" in qgs  # the relation that shows the history
    assert count(pkg, "road_segment") == 0 and count(pkg, "green_space") == 0


def test_rows_keep_their_master_fids_and_history_goes_along(district, tmp_path):
    pkg = tmp_path / "p.gpkg"
    checkout(district, pkg, district="南湖街道", history_years=2)
    m, p = sqlite3.connect(district), sqlite3.connect(pkg)
    rows = p.execute("SELECT fid, asset_uuid FROM litter_bin").fetchall()
    for fid, uuid in rows[:50]:
        assert m.execute("SELECT asset_uuid FROM litter_bin WHERE fid=?", (fid,)).fetchone()[0] \
            == uuid
    since = (dt.date.today() - dt.timedelta(days=2 * 366)).isoformat()
    recs = p.execute("SELECT asset_uuid, record_date FROM maintenance_record").fetchall()
    assert recs and all(d >= since for _, d in recs)
    assets = {u for t in ("road_segment", "bridge", "green_space", "litter_bin")
              for (u,) in p.execute(f"SELECT asset_uuid FROM {t}")}
    assert all(u in assets for u, _ in recs)
    expected = m.execute(
        "SELECT count(*) FROM maintenance_record r JOIN litter_bin b USING (asset_uuid) "
        "WHERE b.district = '南湖街道' AND b.retired_at IS NULL AND r.record_date >= ?",
        (min(d for _, d in recs),)).fetchone()[0]
    assert p.execute("SELECT count(*) FROM maintenance_record WHERE asset_class = "
                     "'litter_bin'").fetchone()[0] == expected
    # the rtree entries came along
    n = p.execute("SELECT count(*) FROM rtree_litter_bin_geom").fetchone()[0]
    assert n == count(pkg, "litter_bin")


def test_no_history_and_bbox(district, tmp_path):
    conn = sqlite3.connect(district)
    minx, miny, maxx, maxy = conn.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='litter_bin'"
    ).fetchone()
    box = (minx, miny, minx + (maxx - minx) / 3, miny + (maxy - miny) / 3)
    pkg = tmp_path / "p.gpkg"
    res = checkout(district, pkg, bbox=box, history_years=0)
    assert count(pkg, "maintenance_record") == 0
    p = sqlite3.connect(pkg)
    for x0, x1, y0, y1 in p.execute("SELECT minx, maxx, miny, maxy FROM rtree_litter_bin_geom"):
        assert x1 >= box[0] - 1 and x0 <= box[2] + 1 and y1 >= box[1] - 1 and y0 <= box[3] + 1
    assert 0 < res.counts["litter_bin"] < count(district, "litter_bin")


def test_retired_assets_stay_home(district, tmp_path):
    with edit(district) as c:
        c.execute("UPDATE litter_bin SET retired_at = '2026-01-01T00:00:00.000Z' "
                  "WHERE fid <= 10")
    pkg = tmp_path / "p.gpkg"
    checkout(district, pkg)
    assert count(pkg, "litter_bin", "fid <= 10") == 0


def test_master_remembers_the_package_and_keeps_a_frozen_base(district, tmp_path):
    pkg = tmp_path / "p.gpkg"
    res = checkout(district, pkg, district="粮道街道", surveyor="赵六", user="office")
    assert res.base.exists()
    assert res.base.parent.parent.parent == district.with_name(district.name + ".sync")
    assert dump(res.base) == dump(pkg)
    conn = sqlite3.connect(district)
    name, surveyor, area, layers, shash, base_file, n = conn.execute(
        "SELECT name, surveyor, area, layers, schema_hash, base_file, feature_count "
        "FROM field_package WHERE package_uuid = ?", (res.package_uuid,)).fetchone()
    assert (name, surveyor, area, base_file) == ("p.gpkg", "赵六", "district 粮道街道",
                                                 "base.gpkg")
    assert layers.split(",") == ["road_segment", "bridge", "green_space", "litter_bin"]
    assert n == sum(v for k, v in res.counts.items() if k in layers.split(","))
    assert len(shash) == 16


def test_bad_requests_are_refused_with_the_allowed_values(district, tmp_path):
    with Store.open(district) as store:
        with pytest.raises(ValidationError, match=r"sub-districts: .*中华路街道"):
            create_package(store, tmp_path / "a.gpkg", district="不存在街道")
        with pytest.raises(NotFoundError, match="allowed: road_segment, bridge"):
            create_package(store, tmp_path / "a.gpkg", layers=["bins"])
        with pytest.raises(ValidationError, match=r"must be a \.gpkg"):
            create_package(store, tmp_path / "a.zip")
        (tmp_path / "b.gpkg").write_bytes(b"x")
        with pytest.raises(BadFileError, match="already exists"):
            create_package(store, tmp_path / "b.gpkg")
        with pytest.raises(ValidationError, match="itself"):
            create_package(store, district, overwrite=True)
    with pytest.raises(ValidationError, match="four numbers"):
        parse_bbox("1,2,3")
    with pytest.raises(ValidationError, match="min must be below max"):
        parse_bbox("5,5,1,1")
    assert not (tmp_path / "a.gpkg").exists()
    assert count(district, "field_package") == 0


def test_read_only_master_cannot_check_out(district, tmp_path):
    os.chmod(district, 0o444)
    try:
        with Store.open(district) as store, pytest.raises(ReadOnlyError):
            create_package(store, tmp_path / "p.gpkg")
    finally:
        os.chmod(district, 0o644)


def test_whole_file_package_is_a_trimmed_copy_equal_to_a_built_one(district, tmp_path):
    """The whole-file fast path (copy, then remove) gives the rows the general path gives."""
    from citymgr_desktop.core.progress import Progress
    from citymgr_desktop.core.sync.package import Selection, build, history_since

    with edit(district) as c:
        c.execute("UPDATE litter_bin SET retired_at = '2026-01-01T00:00:00.000Z' "
                  "WHERE fid IN (SELECT fid FROM litter_bin WHERE asset_uuid IN "
                  "(SELECT asset_uuid FROM maintenance_record) LIMIT 5)")
    pkg = tmp_path / "whole.gpkg"
    res = checkout(district, pkg, history_years=2)
    assert_valid_gpkg(pkg)
    for t in ("work_order", "work_order_asset", "work_order_event", "field_package",
              "sync_run"):
        assert count(pkg, t) == 0
    assert count(pkg, "litter_bin", "retired_at IS NOT NULL") == 0
    with Store.open(district) as store:
        sel = Selection(("road_segment", "bridge", "green_space", "litter_bin"),
                        history_since=history_since(2))
        built = tmp_path / "built.gpkg"
        counts = build(built, district, "built.gpkg", sel, store.project_crs(),
                       store.district_code, {}, Progress())
    assert counts == res.counts
    a, b = dump(pkg), dump(built)
    for t in ("road_segment", "bridge", "green_space", "litter_bin", "maintenance_record",
              "attachment", "rtree_litter_bin_geom"):
        assert a[t] == b[t], t
