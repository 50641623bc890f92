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
