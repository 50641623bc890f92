"""Import end to end: dry-run reports, one-transaction imports, updates by source_id, undo."""

from __future__ import annotations

import hashlib
import json

import pytest

from citymgr_desktop.core.errors import CancelledError, ReadOnlyError
from citymgr_desktop.core.importing import ImportMapping, suggest_mapping
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing.sources import SourceOptions, describe_layer
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from tests.core import import_sources as src
from tests.gpkg_checks import assert_valid_gpkg


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _suggested(path, table, options=None):
    return suggest_mapping(describe_layer(path, options), table)


def _count(store, table):
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def project(tmp_path):
    return src.new_project(tmp_path / "project.gpkg")


def test_dry_run_reports_everything_and_changes_nothing(tmp_path, project):
    roads = src.geojson_roads(tmp_path)
    before = _digest(project)
    with Store.open(project) as store:
        res = importer.run_import(store, roads, _suggested(roads, "road_segment"), dry_run=True)
    assert _digest(project) == before
    r = res.report
    assert (r.read, r.inserted, r.updated, r.unchanged) == (8, 6, 0, 0)
    assert r.skipped.counts == {
        "no geometry": 1,
        "invalid geometry that collapses when repaired": 1,
        "duplicate source id in the source (the first one is imported)": 1,
    }
    assert [e.source_id for e in r.skipped.examples["no geometry"]] == ["R7"]
    assert dict(r.unmatched["condition"]) == {"差不多": 1}
    assert dict(r.unmatched["road_class"]) == {"小街": 1}
    assert r.invalid["lanes"].counts == {"not a whole number": 1}
    assert r.empty["condition"] == 4  # R3's two parts (unknown word), R4 "", R5 "未知"
    assert r.geometry.counts["split into 2 parts"] == 1
    assert r.geometry.counts["multi-part line merged"] == 1
    assert r.geometry.counts["Z/M values dropped"] == 1
    assert r.obj_codes == ("4201060201000001", "4201060201000006")
    text = r.to_text()
    assert "dry run: 8 feature(s) read; would insert 6" in text and "'差不多' ×1" in text
    json.dumps(r.to_dict(), ensure_ascii=False)  # the --report file is plain JSON


def test_import_writes_values_and_keeps_the_file_valid(tmp_path, project):
    roads = src.geojson_roads(tmp_path)
    with Store.open(project) as store:
        res = importer.run_import(store, roads, _suggested(roads, "road_segment"), user="tester")
        gdf = store.read("road_segment").set_index("source_id")
    assert res.report.applied and res.report.inserted == 6
    assert sorted(gdf.index) == ["R1", "R2", "R3#1", "R3#2", "R4", "R5"]
    r1 = gdf.loc["R1"]
    assert (r1["name"], r1["road_class"], r1["condition"], r1["lanes"], r1["width_m"],
            r1["pavement"], r1["updated_by"]) == ("中山路", "arterial", 1, 4, 24.5, "asphalt",
                                                  "tester")
    assert gdf.loc["R2", "condition"] == 3 and gdf.loc["R2", "lanes"] == 2
    assert gdf.loc["R3#1", "pavement"] == "block"
    assert gdf.loc["R5", "condition"] != gdf.loc["R5", "condition"]  # NaN: not assessed
    assert gdf.crs.to_epsg() == 4547
    ex, ey = src.xy(0, 0)
    start = gdf.loc["R1"].geometry.coords[0]
    assert abs(start[0] - ex) < 0.01 and abs(start[1] - ey) < 0.01
    assert_valid_gpkg(project)


def test_second_import_updates_instead_of_duplicating(tmp_path, project):
    roads = src.geojson_roads(tmp_path)
    mapping = _suggested(roads, "road_segment")
    with Store.open(project) as store:
        importer.run_import(store, roads, mapping)
        again = importer.run_import(store, roads, mapping)
        assert (again.report.inserted, again.report.updated, again.report.unchanged) == (0, 0, 6)
        # the app assesses R4 (empty in the source): a re-import must not erase that
        uid = store.conn.execute(
            "SELECT asset_uuid FROM road_segment WHERE source_id='R4'").fetchone()[0]
        from citymgr_desktop.core.model.delta import Delta

        store.apply([Delta("road_segment", uid, {"condition": None}, {"condition": 2})])
        text = roads.read_text(encoding="utf-8").replace('"技术状况": "较差"', '"技术状况": "危险"')
        roads.write_text(text, encoding="utf-8")
        third = importer.run_import(store, roads, mapping)
        assert (third.report.inserted, third.report.updated, third.report.unchanged) == (0, 1, 5)
        rows = dict(store.conn.execute("SELECT source_id, condition FROM road_segment"))
        assert _count(store, "road_segment") == 6
    assert rows["R2"] == 5 and rows["R4"] == 2


def test_serials_continue_after_existing_assets(tmp_path, small_district):
    bins = src.shapefile_bins(tmp_path)
    with Store.open(small_district) as store:
        before = store.conn.execute(
            "SELECT max(obj_code) FROM litter_bin").fetchone()[0]
        n = _count(store, "litter_bin")
        res = importer.run_import(store, bins, _suggested(bins, "litter_bin"))
        assert _count(store, "litter_bin") == n + 5
    first = res.report.obj_codes[0]
    assert first[:10] == before[:10] and int(first[10:]) == int(before[10:]) + 1


def test_gbk_shapefile_bins_with_constants_and_dirty_values(tmp_path, project):
    bins = src.shapefile_bins(tmp_path)
    mapping = _suggested(bins, "litter_bin")
    assert mapping.fields["bin_type"] == "分类" and mapping.fields["capacity_l"] == "容量"
    mapping.constants = {"district": "首义街道", "maintainer_dept": "武昌区环卫所"}
    with Store.open(project) as store:
        res = importer.run_import(store, bins, mapping)
        gdf = store.read("litter_bin").set_index("source_id")
    r = res.report
    assert r.inserted == 5
    assert dict(r.unmatched["bin_type"]) == {"大件垃圾": 1}
    assert dict(r.unmatched["mount"]) == {"不知道": 1}
    assert r.invalid["capacity_l"].counts == {"outside [5, 1100] L": 1}
    assert gdf.loc["B001", "name"] == "中山路1号箱" and gdf.loc["B001", "mount"] == "pole"
    assert gdf.loc["B002", "mount"] == "freestanding" and gdf.loc["B002", "condition"] == 2
    assert set(gdf["district"]) == {"首义街道"}
    assert gdf.loc["B003", "capacity_l"] != gdf.loc["B003", "capacity_l"]  # left empty
    assert r.empty["condition"] == 1 and r.empty["bin_type"] == 1


def test_unmatched_words_can_skip_the_feature(tmp_path, project):
    bins = src.shapefile_bins(tmp_path)
    mapping = _suggested(bins, "litter_bin")
    mapping.on_unmatched = "skip"
    mapping.values["bin_type"]["大件垃圾"] = "other"  # a person decided this one
    with Store.open(project) as store:
        res = importer.run_import(store, bins, mapping, dry_run=True)
    assert res.report.skipped.counts == {"value matches no code (mount: '不知道')": 1}
    assert res.report.inserted == 4


def test_csv_bridges_domain_words(tmp_path, project):
    csv = src.csv_bridges(tmp_path)
    mapping = _suggested(csv, "bridge")
    assert mapping.fields["source_id"] == "桥梁编号" and mapping.fields["length_m"] == "桥长"
    with Store.open(project) as store:
        res = importer.run_import(store, csv, mapping)
        gdf = store.read("bridge").set_index("source_id")
    assert res.report.skipped.counts == {
        "coordinates are not numbers: 经度='abc', 纬度='30.55'": 1,
        "no geometry: 经度/纬度 empty": 1}
    assert list(gdf["maint_class"]) == ["I", "II", "III", "V"]
    assert list(gdf["structure"].fillna("-")) == ["cable_stayed", "beam", "arch", "-"]
    assert list(gdf["condition"].fillna(0)) == [2, 2, 0, 5]
    assert dict(res.report.unmatched["structure"]) == {"钢桁架": 1}
    assert res.report.invalid["length_m"].counts == {"not a number": 1}


def test_parks_repaired_and_refused(tmp_path, project):
    parks = src.gpkg_parks(tmp_path)
    mapping = _suggested(parks, "green_space")
    assert mapping.fields["category"] == "CATEGORY" and mapping.fields["maint_level"] == "LEVEL"
    with Store.open(project) as store:
        res = importer.run_import(store, parks, mapping)
        gdf = store.read("green_space")
    r = res.report
    assert r.inserted == 3
    assert r.skipped.counts == {"LineString cannot become an area (green spaces)": 1}
    assert any(str(k).startswith("repaired (Self-intersection") for k in r.geometry.counts)
    assert "maint_level" not in r.unmatched  # "四级" was on the skipped path
    assert "area_m2" not in mapping.fields  # computed from the geometry, not AREA
    assert list(gdf["category"]) == ["park", "park", "park"]
    assert list(gdf["maint_level"].fillna(0)) == [1, 2, 3]
    assert gdf.geometry.is_valid.all() and (gdf.geom_type == "MultiPolygon").all()
    assert abs(gdf["area_m2"].iloc[0] - round(gdf.geometry.iloc[0].area, 1)) < 0.1


def test_curves_into_roads_and_green_spaces(tmp_path, project):
    curves = src.gpkg_curves(tmp_path)
    with Store.open(project) as store:
        roads = importer.run_import(store, curves, ImportMapping("road_segment"))
        green = importer.run_import(store, curves, ImportMapping("green_space"))
    assert roads.report.inserted == 1 and green.report.inserted == 1
    assert "Polygon cannot become a line (road segments)" in roads.report.skipped.counts
    assert roads.report.geometry.counts["curved CircularString linearised"] == 1
    assert "LineString cannot become an area (green spaces)" in green.report.skipped.counts


def test_kml_points_with_altitude(tmp_path, project):
    kml = src.kml_bins(tmp_path)
    with Store.open(project) as store:
        res = importer.run_import(store, kml, _suggested(kml, "litter_bin"))
    assert res.report.inserted == 4 and res.report.geometry.counts["Z/M values dropped"] == 4


def test_polygons_become_bridge_points(tmp_path, project):
    parks = src.gpkg_parks(tmp_path)
    with Store.open(project) as store:
        res = importer.run_import(store, parks, ImportMapping("bridge"), dry_run=True)
    assert res.report.inserted == 4
    assert res.report.geometry.counts["area made a point (inside it)"] == 3


def test_source_obj_codes_kept_when_free_and_replaced_when_taken(tmp_path, project):
    pts = [src.ll(i, 0) for i in range(3)]
    props = [{"id": 1, "部件编码": "4201060304000050"}, {"id": 2, "部件编码": "4201060304000050"},
             {"id": 3, "部件编码": "4201060201000001"}]
    path = src.geojson_points(tmp_path, "coded", pts, props)
    mapping = ImportMapping("litter_bin", fields={"source_id": "id", "obj_code": "部件编码"})
    with Store.open(project) as store:
        res = importer.run_import(store, path, mapping)
        codes = dict(store.conn.execute("SELECT source_id, obj_code FROM litter_bin"))
    assert codes == {"1": "4201060304000050", "2": "4201060304000051", "3": "4201060304000052"}
    assert res.report.invalid["obj_code"].total() == 2


def test_failure_mid_import_rolls_everything_back(tmp_path, project, monkeypatch):
    roads = src.geojson_roads(tmp_path)
    monkeypatch.setattr(importer, "APPLY_CHUNK", 2)
    calls = {"n": 0}
    real_add = Store.add_rows  # new assets are written as columns, APPLY_CHUNK at a time

    def failing_add(self, table, columns, uuids, user=""):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_add(self, table, columns, uuids, user)

    monkeypatch.setattr(Store, "add_rows", failing_add)
    with Store.open(project) as store:
        with pytest.raises(OSError):
            importer.run_import(store, roads, _suggested(roads, "road_segment"))
        assert _count(store, "road_segment") == 0
        assert not store.in_session


def test_cancel_mid_import_changes_nothing(tmp_path, project, monkeypatch):
    roads = src.geojson_roads(tmp_path)
    monkeypatch.setattr(importer, "APPLY_CHUNK", 2)
    progress = Progress()

    def on_progress(done, total, message):
        if message == "importing" and done >= 2:
            progress.cancel()

    progress._callback = on_progress
    with Store.open(project) as store:
        with pytest.raises(CancelledError):
            importer.run_import(store, roads, _suggested(roads, "road_segment"), progress=progress)
        assert _count(store, "road_segment") == 0


def test_read_only_project_is_refused_before_reading(tmp_path, project):
    with Store.open(project, read_only=True) as store, pytest.raises(ReadOnlyError):
        importer.run_import(store, tmp_path / "missing.geojson", ImportMapping("bridge"))


def test_undo_and_redo_of_an_import(tmp_path, project):
    roads = src.geojson_roads(tmp_path)
    with Store.open(project) as store:
        res = importer.run_import(store, roads, _suggested(roads, "road_segment"))
        codes = sorted(r[0] for r in store.conn.execute("SELECT obj_code FROM road_segment"))
        store.apply(~res.deltas)
        assert _count(store, "road_segment") == 0
        store.apply(res.deltas)
        again = sorted(r[0] for r in store.conn.execute("SELECT obj_code FROM road_segment"))
    assert again == codes


def test_empty_source_is_a_report_not_an_error(tmp_path, project):
    path = src.geojson_points(tmp_path, "empty", [])
    with Store.open(project) as store:
        res = importer.run_import(store, path, ImportMapping("litter_bin"),
                                  SourceOptions(source_crs="EPSG:4326"))
    assert (res.report.read, res.report.inserted) == (0, 0)
    assert "0 feature(s) read" in res.report.to_text()


def test_import_is_one_undo_step_on_the_command_stack(tmp_path, project):
    from citymgr_desktop.core.commands import CommandStack

    roads = src.geojson_roads(tmp_path)
    stack = CommandStack()
    changes = []
    with Store.open(project) as store:
        res = importer.run_import(store, roads, _suggested(roads, "road_segment"))
        stack.push(importer.ImportCommand(store, res, "tester", lambda: changes.append(1)))
        assert _count(store, "road_segment") == 6  # the first do only records the import
        assert stack.undo_label() == "Import roads.geojson into road segments"
        stack.undo()
        assert _count(store, "road_segment") == 0
        stack.redo()
        assert _count(store, "road_segment") == 6
    assert len(changes) == 3
    kinds = sorted(k for _, k in res.outcomes)
    assert kinds == ["insert"] * 6 and res.extent() is not None


def test_odd_sources_end_in_reports(tmp_path, project):
    header_only = tmp_path / "header.csv"
    header_only.write_text("x,y,name\n", encoding="utf-8")
    unclosed = tmp_path / "unclosed.geojson"
    unclosed.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": 1}, "geometry": {
            "type": "Polygon", "coordinates": [[src.ll(0, 0), src.ll(1, 0), src.ll(1, 1)]]}},
        {"type": "Feature", "properties": {"id": 2, "name": ["a", "list"]}, "geometry": {
            "type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": src.ll(2, 2)},
                {"type": "LineString", "coordinates": [src.ll(2, 2), src.ll(3, 2)]}]}},
    ]}), encoding="utf-8")
    with Store.open(project) as store:
        empty = importer.run_import(store, header_only, ImportMapping("litter_bin"),
                                    dry_run=True)
        odd = importer.run_import(store, unclosed, _suggested(unclosed, "green_space"),
                                  dry_run=True)
    assert (empty.report.read, empty.report.inserted) == (0, 0)
    assert "GDAL: Non closed ring detected" in odd.report.crs["notes"]
    assert dict(odd.report.skipped.counts) == {
        "unreadable geometry (Points of LinearRing do not form a closed linestring)": 1,
        "GeometryCollection cannot become an area (green spaces)": 1}
