"""Our GeoPackages as GDAL's validator and real QGIS (3.22, PyQGIS) see them: valid files,
layers with our default styles and forms, the tables QGIS itself adds written as QGIS writes
them, and edits made in QGIS that keep the file valid (the embedded and standalone QGIS
projects: ``test_qgis_projects.py``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import create as project
from tests.core.qgis_support import (
    ASSETS,
    BRIDGE_WITH_HISTORY,
    COUNTS,
    ROAD_WITH_HISTORY,
    check_asset_style,
    check_form,
)
from tests.gpkg_checks import (
    LAYERS_REPORT_SCRIPT,
    PROJECT_REPORT_SCRIPT,
    assert_valid_gpkg,
    run_pyqgis,
)

GEOMETRY = {
    "road_segment": "LineString",
    "bridge": "Point",
    "green_space": "MultiPolygon",
    "litter_bin": "Point",
}


def test_project_file_passes_gdal_validator(tmp_path: Path, project_file: Path) -> None:
    empty = project.create_project(tmp_path / "empty.gpkg")
    assert_valid_gpkg(empty)
    assert_valid_gpkg(project_file)


@pytest.mark.qgis
def test_layers_open_in_qgis_with_default_style_and_forms(project_file: Path) -> None:
    tables = [*ASSETS, "maintenance_record", "work_order"]
    report = run_pyqgis(LAYERS_REPORT_SCRIPT, project_file, *tables)
    for t in ASSETS:
        rep = report[t]
        assert rep["valid"], t
        assert rep["wkb"] == GEOMETRY[t]
        assert rep["count"] == COUNTS[t]
        check_asset_style(t, rep)
        check_form(t, rep)
    road = report["road_segment"]
    assert road["labels"] and road["label_field"] == "name"
    assert road["label_placement"] == 2  # QgsPalLayerSettings.Line
    assert not report["bridge"]["labels"]
    for t in ("maintenance_record", "work_order"):
        assert report[t]["valid"] and report[t]["wkb"] == "NoGeometry"
        check_form(t, report[t])
    # 处置单位 is the disposal unit in English too (the field stays ``assignee``), trial 9
    assert report["work_order"]["aliases"]["assignee"] == "处置单位 Disposal unit"
    assert report["maintenance_record"]["count"] == 3
    assert report["maintenance_record"]["defaults"]["record_uuid"] == "uuid('WithoutBraces')"


def test_tables_are_created_as_qgis_creates_them(project_file: Path) -> None:
    conn = sqlite3.connect(project_file)
    try:
        ddl = dict(
            conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE name IN "
                "('layer_styles', 'qgis_projects')"
            ).fetchall()
        )
        contents = conn.execute(
            "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
        content, metadata = conn.execute(
            "SELECT content, metadata FROM qgis_projects WHERE name = 'citymgr'"
        ).fetchone()
    finally:
        conn.close()
    # QGIS 3.22 (through GDAL's GeoPackage driver) writes exactly this
    assert ddl["layer_styles"].replace("IF NOT EXISTS ", "") == (
        'CREATE TABLE "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
        '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, '
        '"styleSLD" TEXT, "useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), '
        '"ui" TEXT(30), "update_time" DATETIME DEFAULT '
        "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    assert ddl["qgis_projects"] == (
        "CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
    )
    assert contents == ("attributes", "layer_styles")
    assert bytes.fromhex(content)[:4] == b"PK\x03\x04"  # hex text of a zip, as QGIS stores it
    assert '"last_modified_time"' in metadata and '"last_modified_user"' in metadata

_RECORD_CLASS_SCRIPT = """
p = QgsProject.instance()
p.read(sys.argv[1])
rec = next(l for l in p.mapLayers().values() if l.source().endswith("=maintenance_record"))
fields = rec.fields()
out = {}
for uuid in sys.argv[2:]:
    feat = QgsVectorLayerUtils.createFeature(
        rec, QgsGeometry(), {fields.indexOf("asset_uuid"): uuid}, rec.createExpressionContext())
    rec.startEditing()
    rec.addFeature(feat)
    before = feat["asset_class"]
    rec.changeAttributeValue(feat.id(), fields.indexOf("crew"), "一班")
    out[uuid] = [before, rec.getFeature(feat.id())["asset_class"]]
    rec.rollBack()
emit(out)
"""


@pytest.mark.qgis
def test_record_asset_class_follows_its_asset_in_qgis(project_file: Path) -> None:
    """QGIS fills a new record's asset_class from the asset its uuid names once it is edited
    (defaults run in field order, before the relation editor's asset_uuid is known)."""
    uri = f"geopackage:{project_file}?projectName={qgis_project.PROJECT_NAME}"
    rep = run_pyqgis(_RECORD_CLASS_SCRIPT, uri, ROAD_WITH_HISTORY, BRIDGE_WITH_HISTORY)
    assert rep[ROAD_WITH_HISTORY][1] == "road_segment"
    assert rep[BRIDGE_WITH_HISTORY][1] == "bridge"

_EDIT_SCRIPT = """
p = QgsProject.instance()
p.read(sys.argv[1])
layers = {l.source().split("layername=")[-1]: l for l in p.mapLayers().values()}
road, rec = layers["road_segment"], layers["maintenance_record"]
old = next(road.getFeatures())
road.startEditing()
road.changeAttributeValue(old.id(), road.fields().indexOf("condition"), 4)
new = QgsVectorLayerUtils.createFeature(
    road, QgsGeometry.fromWkt("LineString (530000 3380000, 530500 3380500)"),
    {road.fields().indexOf("obj_code"): "4201060201999999"}, road.createExpressionContext())
road.addFeature(new)
roads_saved = road.commitChanges()
record = QgsVectorLayerUtils.createFeature(
    rec, QgsGeometry(),
    {rec.fields().indexOf("asset_uuid"): old["asset_uuid"],
     rec.fields().indexOf("record_date"): "2025-01-02",
     rec.fields().indexOf("record_type"): "repair"}, rec.createExpressionContext())
rec.startEditing()
rec.addFeature(record)
rec.changeAttributeValue(record.id(), rec.fields().indexOf("crew"), "一班")
records_saved = rec.commitChanges()
emit({"roads_saved": roads_saved, "records_saved": records_saved,
      "errors": road.commitErrors() + rec.commitErrors()})
"""


@pytest.mark.qgis
def test_edits_made_in_qgis_keep_the_file_valid(project_file: Path) -> None:
    uri = f"geopackage:{project_file}?projectName={qgis_project.PROJECT_NAME}"
    rep = run_pyqgis(_EDIT_SCRIPT, uri)
    assert rep["roads_saved"] and rep["records_saved"], rep["errors"]
    conn = sqlite3.connect(project_file)
    try:
        new_uuid = conn.execute(
            "SELECT asset_uuid FROM road_segment WHERE obj_code = '4201060201999999'"
        ).fetchone()[0]
        record = conn.execute(
            "SELECT asset_class, asset_uuid FROM maintenance_record WHERE crew = '一班'"
        ).fetchone()
        in_rtree = conn.execute(
            "SELECT count(*) FROM rtree_road_segment_geom r JOIN road_segment s ON r.id = s.fid "
            "WHERE s.obj_code = '4201060201999999' AND r.maxx > 530499 AND r.maxy > 3380499"
        ).fetchone()[0]
    finally:
        conn.close()
    assert len(new_uuid) == 36 and new_uuid.count("-") == 4  # uuid('WithoutBraces')
    assert record == ("road_segment", ROAD_WITH_HISTORY)
    assert in_rtree == 1
    assert_valid_gpkg(project_file)


@pytest.mark.qgis
def test_sample_district_opens_in_qgis(small_district: Path) -> None:
    assert_valid_gpkg(small_district)
    rep = run_pyqgis(PROJECT_REPORT_SCRIPT, f"geopackage:{small_district}?projectName=citymgr")
    assert rep["ok"] and rep["crs"] == "EPSG:4547"
    assert set(rep["layers"]) == set(qgis_project.DEFAULT_LAYERS)
    assert all(layer["valid"] for layer in rep["layers"].values())
    assert all(rep["layers"][t]["count"] > 0 for t in ASSETS)
    assert all(rel["valid"] for rel in rep["relations"].values())
