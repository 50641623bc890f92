"""Import into either store: the same source into a GeoPackage project and into the same
project published to PostGIS gives the same report and the same assets; a re-import
changes nothing; ``citymgr import URL SOURCE`` imports into the database."""

from __future__ import annotations

import json

import pytest
import shapely

from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import describe_layer
from citymgr_desktop.core.store import open_store
from tests.core import import_sources as src
from tests.pg.conftest import run_citymgr


@pytest.fixture(params=["geopackage", "postgis"])
def empty_target(request, tmp_path) -> str:
    project = src.new_project(tmp_path / "project.gpkg")
    if request.param == "geopackage":
        return str(project)
    from citymgr_desktop.core.store.postgis import publish

    url = request.getfixturevalue("pg_url")
    publish(project, url)
    return url


def _assets(store, table):
    frame = store.read(table, include_retired=True).sort_values("obj_code")
    return [(r["obj_code"], r["source_id"], r["name"],
             None if r["condition"] != r["condition"] else int(r["condition"]),
             shapely.set_precision(r[frame.geometry.name], 0.001).wkt)
            for _, r in frame.iterrows()]


def _report(result):
    data = result.report.to_dict()
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


@pytest.mark.parametrize("batch", [1_000_000, 2])
def test_import_lands_alike_in_both_stores(tmp_path, empty_target, monkeypatch, batch):
    monkeypatch.setattr(importer, "BATCH_FEATURES", batch)
    roads = src.geojson_roads(tmp_path)
    mapping = suggest_mapping(describe_layer(roads), "road_segment")
    reference = src.new_project(tmp_path / "reference.gpkg")
    with open_store(reference) as store:
        expected = importer.run_import(store, roads, mapping)
        expected_rows = _assets(store, "road_segment")
    with open_store(empty_target) as store:
        dry = importer.run_import(store, roads, mapping, dry_run=True)
        result = importer.run_import(store, roads, mapping, user="王五")
        rows = _assets(store, "road_segment")
        again = importer.run_import(store, roads, mapping)
        first = next(iter(result.deltas))
        assert store.get_row("road_segment", first.uuid)["updated_by"] == "王五"
    assert _report(result) == _report(expected)
    assert dry.report.inserted == result.report.inserted == 6
    assert rows == expected_rows
    assert (again.report.inserted, again.report.updated, again.report.unchanged) == (0, 0, 6)


def test_citymgr_import_takes_a_database(tmp_path, pg_url):
    from citymgr_desktop.core.store.postgis import publish

    publish(src.new_project(tmp_path / "project.gpkg"), pg_url)
    bins = src.shapefile_bins(tmp_path)
    done = run_citymgr("import", pg_url, str(bins), "--as", "litter_bin",
                       "--set", "district=首义街道")
    assert done.returncode == 0, done.stderr
    assert "did insert 5" in done.stdout
    with open_store(pg_url) as store:
        names = sorted(store.read("litter_bin")["name"])
    assert names == ["中山路1号箱", "中山路2号箱", "胭脂路箱", "解放路1号箱", "解放路2号箱"]
    again = run_citymgr("import", pg_url, str(bins), "--as", "litter_bin")
    assert again.returncode == 0 and "leave 5 unchanged" in again.stdout


def _bins(folder, n=300):
    points = [src.ll(i % 20, i // 20) for i in range(n)]
    words = ["好", "较好", "差不多", "", "危险"]
    props = [{"编号": f"B{i}", "名称": f"箱{i}", "状况": words[i % 5]} for i in range(n)]
    return src.geojson_points(folder, "bins", points, props)


def test_many_new_rows_go_in_at_once_alike(tmp_path, empty_target):
    bins = _bins(tmp_path)
    mapping = suggest_mapping(describe_layer(bins), "litter_bin")
    reference = src.new_project(tmp_path / "reference.gpkg")
    with open_store(reference) as store:
        expected = importer.run_import(store, bins, mapping)
        expected_rows = _assets(store, "litter_bin")
    with open_store(empty_target) as store:
        result = importer.run_import(store, bins, mapping, user="王五")
        rows = _assets(store, "litter_bin")
        first = next(iter(result.deltas))
        assert store.get_row("litter_bin", first.uuid)["updated_by"] == "王五"
    assert _report(result) == _report(expected)
    assert rows == expected_rows and len(rows) == 300


def test_a_refused_row_among_many_is_named_and_nothing_lands(tmp_path, pg_url):
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.model.delta import Delta
    from citymgr_desktop.core.store.postgis import publish

    publish(src.new_project(tmp_path / "project.gpkg"), pg_url)
    deltas = [Delta("litter_bin", f"00000000-0000-4000-8000-{i:012d}", None, {
        "geom": shapely.Point(*src.xy(i, 0)), "name": f"箱{i}",
        "obj_code": f"4201060304{min(i, 148) + 1:06d}"}) for i in range(150)]
    with open_store(pg_url) as store:
        with pytest.raises(ValidationError, match="00000000-0000-4000-8000-000000000149"):
            store.apply(deltas, "王五")
        assert len(store.read("litter_bin")) == 0


def test_new_assets_take_their_neighbours_district_alike_in_both_stores(tmp_path, published,
                                                                       small_district):
    """The 街道/单元网格 a source leaves empty come from the nearest existing bin, in the
    database as in the file (core/store/neighbours.py through each store's assets_near)."""
    import geopandas as gpd

    with open_store(small_district) as store:
        near = store.read("litter_bin", columns=["district"]).geometry.iloc[:4]
    source = tmp_path / "bins.gpkg"
    gpd.GeoDataFrame({"编号": [f"N{i}" for i in range(4)], "街道": [None, "源街道", None, None]},
                     crs="EPSG:4547", geometry=[shapely.Point(p.x + 2, p.y + 1) for p in near]
                     ).to_file(source, layer="bins")
    mapping = suggest_mapping(describe_layer(source), "litter_bin")
    got = {}
    for target in (str(small_district), published):
        with open_store(target) as store:
            report = importer.run_import(store, source, mapping).report
            frame = store.read("litter_bin", columns=["district", "bgid", "source_id"])
        new = frame[frame.source_id.notna()].sort_values("source_id")
        got[target] = (report.filled, list(new.district), list(new.bgid))
    assert got[published] == got[str(small_district)]
    filled, districts, grids = got[published]
    assert filled == {"district": 3, "bgid": 4} and districts[1] == "源街道"
    assert all(grids) and all(districts)
