"""Reprojection for import: datum handling, area of use, missing and swapped coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer

from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.importing import ImportMapping
from citymgr_desktop.core.importing import crs as icrs
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing.sources import SourceOptions
from citymgr_desktop.core.store import Store
from tests.core import import_sources as src

P4547 = CRS.from_epsg(4547)


def _geoms(*pts):
    return np.array([shapely.Point(p) for p in pts], dtype=object)


def test_wgs84_and_cgcs2000_give_the_same_metres():
    lon, lat = src.ll(3, 3)
    a = icrs.reproject(_geoms((lon, lat)), icrs.plan_transform(CRS.from_epsg(4326), P4547))[0]
    b = icrs.reproject(_geoms((lon, lat)), icrs.plan_transform(CRS.from_epsg(4490), P4547))[0]
    assert a.distance(b) < 0.01
    x, y = Transformer.from_crs(4490, 4547, always_xy=True).transform(lon, lat)
    assert abs(a.x - x) < 0.01 and abs(a.y - y) < 0.01
    plan = icrs.plan_transform(CRS.from_epsg(4326), P4547)
    assert any("agree to about 1 m" in n for n in plan.notes)


def test_local_projected_zone_with_prefix_reprojects():
    # CGCS2000 3-degree GK zone 38 (false easting with zone number) -> CM 114E
    lon, lat = src.ll(0, 0)
    x, y = Transformer.from_crs(4490, 4526, always_xy=True).transform(lon, lat)
    assert x > 38_000_000
    plan = icrs.plan_transform(CRS.from_epsg(4526), P4547)
    p = icrs.reproject(_geoms((x, y)), plan)[0]
    ex, ey = src.xy(0, 0)
    assert abs(p.x - ex) < 0.01 and abs(p.y - ey) < 0.01


def test_beijing_1954_needs_local_parameters_or_consent():
    with pytest.raises(CrsError, match=r"no datum transformation from Beijing 1954.*towgs84"):
        icrs.plan_transform(CRS.from_epsg(2436), P4547)
    plan = icrs.plan_transform(CRS.from_epsg(2436), P4547, accept_ballpark=True)
    assert any("accepted by the user" in n for n in plan.notes)
    local = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 "
                           "+ellps=krass +towgs84=15.8,-154.4,-82.3,0,0,0,0 +units=m")
    plan = icrs.plan_transform(local, P4547)
    assert any("TOWGS84" in n for n in plan.notes) and len(plan.steps) == 2
    got = icrs.reproject(_geoms((520000.0, 3380000.0)), plan)[0]
    lon, lat = Transformer.from_crs(local, 4326, always_xy=True).transform(520000.0, 3380000.0)
    ex, ey = Transformer.from_crs(4326, 4547, always_xy=True).transform(lon, lat)
    assert abs(got.x - ex) < 0.001 and abs(got.y - ey) < 0.001
    assert got.distance(shapely.Point(520000.0, 3380000.0)) > 10  # a real datum shift


def test_outside_the_area_of_use_is_refused_with_the_extent(tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    beijing = src.geojson_points(tmp_path, "beijing", [(116.40, 39.90), (116.41, 39.91)])
    with Store.open(project) as store, pytest.raises(CrsError) as err:
        importer.run_import(store, beijing, ImportMapping("litter_bin"), dry_run=True)
    msg = str(err.value)
    assert "116.4000°–116.4100°E" in msg and "112.5°–115.5°E" in msg and "\n" not in msg


def test_partly_outside_skips_those_features(tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    pts = [src.ll(0, 0), src.ll(1, 0), (116.40, 39.90)]
    path = src.geojson_points(tmp_path, "mixed", pts)
    with Store.open(project) as store:
        res = importer.run_import(store, path, ImportMapping("litter_bin"), dry_run=True)
    assert res.report.inserted == 2
    assert res.report.skipped.counts == {"outside the project CRS's area of use": 1}


def test_wrong_declared_crs_is_caught(tmp_path):
    """Metres written into a file that says WGS 84: refused, naming the extent."""
    project = src.new_project(tmp_path / "p.gpkg")
    path = src.geojson_points(tmp_path, "metres", [src.xy(0, 0), src.xy(1, 1)])
    with Store.open(project) as store, pytest.raises(CrsError, match="not valid in WGS 84"):
        importer.run_import(store, path, ImportMapping("litter_bin"), dry_run=True)


def test_table_without_crs_lon_lat_is_assumed_wgs84(tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    with Store.open(project) as store:
        res = importer.run_import(store, src.csv_bridges(tmp_path), ImportMapping("bridge"),
                                  dry_run=True)
    assert any("WGS 84 (EPSG:4326) was assumed" in n for n in res.report.crs["notes"])
    assert res.report.inserted == 4


def test_table_in_metres_needs_its_crs(tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    path = src.csv_wkt_roads(tmp_path)
    with Store.open(project) as store:
        with pytest.raises(CrsError, match="give it with --source-crs"):
            importer.run_import(store, path, ImportMapping("road_segment"), dry_run=True)
        res = importer.run_import(store, path, ImportMapping("road_segment"),
                                  SourceOptions(source_crs="EPSG:4547"), dry_run=True)
    assert res.report.inserted == 2
    assert res.report.crs["transformation"].startswith("none")


def test_survey_convention_xy_is_swapped_back(tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    with Store.open(project) as store:
        res = importer.run_import(store, src.csv_survey_xy(tmp_path), ImportMapping("litter_bin"),
                                  SourceOptions(source_crs="EPSG:4547"))
        gdf = store.read("litter_bin")
    assert any("swapped" in n for n in res.report.crs["notes"])
    ex, ey = src.xy(0, 3)
    first = gdf.geometry.iloc[0]
    assert abs(first.x - ex) < 0.01 and abs(first.y - ey) < 0.01


def test_project_in_another_projected_crs(tmp_path):
    """Any projected CRS works for a project: here UTM 50N (WGS 84), data in CGCS2000."""
    project = src.new_project(tmp_path / "utm.gpkg", "EPSG:32650")
    with Store.open(project) as store:
        res = importer.run_import(store, src.gpkg_parks(tmp_path), ImportMapping("green_space"))
        gdf = store.read("green_space")
    assert res.report.inserted == 3 and gdf.crs.to_epsg() == 32650
    x, _ = Transformer.from_crs(4490, 32650, always_xy=True).transform(*src.ll(0, 0))
    assert abs(gdf.total_bounds[0] - x) < 0.01


def test_gcj02_web_map_points_are_moved_back_to_wgs84(tmp_path):
    """A point taken from a Chinese web map (GCJ-02) lands where its WGS 84 twin lands."""
    from citymgr_desktop.core.importing.gcj import gcj02_to_wgs84, wgs84_to_gcj02

    lon, lat = src.ll(2, 2)
    g_lon, g_lat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    offset = shapely.Point(src.xy(2, 2)).distance(shapely.Point(
        Transformer.from_crs(4326, 4547, always_xy=True).transform(g_lon[0], g_lat[0])))
    assert 300 < offset < 800  # the obfuscation is hundreds of metres
    b_lon, b_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert abs(b_lon[0] - lon) < 1e-9 and abs(b_lat[0] - lat) < 1e-9
    assert wgs84_to_gcj02(np.array([24.94]), np.array([60.17]))[0][0] == 24.94  # not China
    project = src.new_project(tmp_path / "p.gpkg")
    path = src.geojson_points(tmp_path, "amap", [(float(g_lon[0]), float(g_lat[0]))])
    with Store.open(project) as store:
        res = importer.run_import(store, path, ImportMapping("litter_bin"),
                                  SourceOptions(source_crs="GCJ-02"))
        point = store.read("litter_bin").geometry.iloc[0]
    assert point.distance(shapely.Point(src.xy(2, 2))) < 0.01
    assert any("GCJ-02" in n for n in res.report.crs["notes"])


def _plan_words(plan):
    return (plan.description, [str(n) for n in plan.notes], plan.to_report())


@pytest.mark.parametrize("source, target", [(4326, 4547), (4490, 4547), (3857, 4547),
                                            (4326, 32650), (4214, 4547)])
def test_a_pair_proj_answers_alike_everywhere_is_searched_once(source, target, monkeypatch):
    """The PROJ search (~0.1 s of an import's CPU) is remembered across processes for a pair
    whose answer cannot depend on the data's extent (``proj_memo``): a later import of
    another extent, in another process, plans and transforms exactly as PROJ's own search
    for that extent, without searching."""
    from pyproj.transformer import AreaOfInterest, TransformerGroup

    from citymgr_desktop.core.importing import proj_memo

    src_crs, dst_crs = CRS.from_epsg(source), CRS.from_epsg(target)
    aou = dst_crs.area_of_use
    first = (aou.west + 0.2, aou.south + 0.2, aou.west + 0.5, aou.south + 0.4)
    later = (aou.east - 0.9, aou.north - 0.8, aou.east - 0.1, aou.north - 0.1)
    accept = source == 4214  # Beijing 1954: a ballpark shift, refused unless accepted
    icrs.plan_transform(src_crs, dst_crs, accept, area=first)
    truth = TransformerGroup(src_crs, dst_crs, always_xy=True,
                             area_of_interest=AreaOfInterest(*later)).transformers[0]
    monkeypatch.setattr(proj_memo, "_memory", {})  # a new process: only the file is left

    def no_search(*args, **kwargs):
        raise AssertionError("PROJ searched again")

    monkeypatch.setattr(icrs, "TransformerGroup", no_search)
    monkeypatch.setattr(proj_memo, "TransformerGroup", no_search)
    plan = icrs.plan_transform(src_crs, dst_crs, accept, area=later)
    assert plan.description == truth.description and len(plan.steps) == 1
    x = np.linspace(later[0], later[2], 7)
    y = np.linspace(later[1], later[3], 7)
    if src_crs.is_projected:
        x, y = Transformer.from_crs(4326, src_crs, always_xy=True).transform(x, y)
    assert np.array_equal(plan.steps[0].transform(x, y), truth.transform(x, y))
    monkeypatch.undo()
    searched = icrs.plan_transform(src_crs, dst_crs, accept, area=later)
    assert _plan_words(plan) == _plan_words(searched)


def test_a_pair_whose_choice_follows_the_extent_is_searched_every_time():
    """Several datum shifts between the pair (S-JTSK: Slovakia's 1 m, Czechia's 6 m): the
    transformation is PROJ's choice for each extent, never a remembered one."""
    from citymgr_desktop.core.importing import proj_memo

    assert proj_memo.remembered(CRS.from_epsg(4326), CRS.from_epsg(5514)) is None
    assert proj_memo.remembered(CRS.from_epsg(4326), CRS.from_epsg(2436)) is None


def test_a_damaged_proj_memo_is_searched_past(tmp_path, monkeypatch):
    """A memo file that does not read as a pipeline (another version wrote it, a disk
    fault) is not an error: PROJ is asked again, as without the memo."""
    import json

    from citymgr_desktop.core.importing import proj_memo

    monkeypatch.setenv("CITYMGR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(proj_memo, "_memory", {})
    source = CRS.from_epsg(4326)
    key = proj_memo._key(source, P4547)
    proj_memo.memo_file().write_text(json.dumps({key: {
        "definition": "proj=no_such_thing", "description": "wrong", "names": ["wrong"],
        "accuracy": None}}), encoding="utf-8")
    plan = icrs.plan_transform(source, P4547, area=(114.2, 30.5, 114.4, 30.6))
    assert "Ballpark geographic offset from WGS 84" in plan.description
    assert plan.steps[0].transform(114.3, 30.55)[0] > 500_000


@pytest.mark.parametrize("source, words", [
    ("EPSG:4490", "仅坐标换算（同一基准，精度无损）"),
    ("EPSG:4326", "无基准转换参数，按同一基准近似（误差可达数米）"),
    ("EPSG:4214", "基准转换 Beijing 1954 to WGS 84"),
    ("EPSG:4547", "无需转换：源数据已是项目坐标系"),
])
def test_the_transformation_is_said_in_chinese(source, words):
    """PROJ's description of the plan for a real source CRS, as the Chinese report says it."""
    from citymgr_desktop.core.importing.report import transformation_text
    named = source == "EPSG:4214"  # PROJ's best for all of China, a Helmert of about 1 m
    plan = icrs.plan_transform(CRS.from_user_input(source), CRS.from_epsg(4326 if named else 4547),
                               area=None if named else (114.2, 30.5, 114.4, 30.6))
    assert transformation_text(plan.description, "zh_CN", plan.accuracy).startswith(words), \
        plan.description
    assert transformation_text(plan.description, "en", plan.accuracy) == plan.description


def test_steps_it_cannot_tell_are_never_called_a_lossless_conversion():
    """A description of steps the sentence does not know, without PROJ's accuracy of 0 m,
    is shown as PROJ wrote it, not as "仅坐标换算（精度无损）"."""
    from citymgr_desktop.core.importing.report import transformation_text
    odd = "axis order change (2D) + NTv2 grid shift of some kind + UTM zone 50N"
    assert transformation_text(odd, "zh_CN") == odd
    assert transformation_text(odd, "zh_CN", -1.0) == odd
    assert transformation_text(odd, "zh_CN", 0.0).startswith("仅坐标换算")
