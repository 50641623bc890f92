"""Our GeoPackages as GDAL's validator and real QGIS (3.22, PyQGIS) see them: valid files,
layers with our default styles and forms, and the embedded / standalone QGIS projects with
their relations.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import shapely

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import create as project
from tests.gpkg_checks import (
    LAYERS_REPORT_SCRIPT,
    PROJECT_REPORT_SCRIPT,
    assert_valid_gpkg,
    run_pyqgis,
)

ASSETS = [t.name for t in sc.ASSET_TABLES]
COUNTS = {"road_segment": 3, "bridge": 2, "green_space": 2, "litter_bin": 4}
GEOMETRY = {
    "road_segment": "LineString",
    "bridge": "Point",
    "green_space": "MultiPolygon",
    "litter_bin": "Point",
}
ROAD_WITH_HISTORY = "00000000-0000-4000-8000-000000000001"
BRIDGE_WITH_HISTORY = "00000000-0000-4000-8000-000001000001"


def _geoms(table: str, n: int) -> list:
    x0, y0 = 530000.0, 3380000.0
    if table == "road_segment":
        return [
            shapely.LineString([(x0 + i * 100, y0), (x0 + i * 100 + 90, y0 + 50)]) for i in range(n)
        ]
    if table == "green_space":
        return [
            shapely.MultiPolygon([shapely.box(x0 + i * 100, y0 + 200, x0 + i * 100 + 60, y0 + 260)])
            for i in range(n)
        ]
    dy = 400 if table == "bridge" else 600
    return [shapely.Point(x0 + i * 50, y0 + dy) for i in range(n)]


def make_project_file(path: Path) -> Path:
    """A project file with a few assets of every class and some maintenance history."""
    project.create_project(path)
    conn = gpkg.connect(str(path))
    try:
        conn.execute("BEGIN")
        srs_id = conn.execute("SELECT srs_id FROM gpkg_geometry_columns LIMIT 1").fetchone()[0]
        for k, table in enumerate(sc.ASSET_TABLES):
            n = COUNTS[table.name]
            gpkg.drop_rtree_triggers(conn, table.name)
            conditions = [1, 2, 3, 4, 5, None][k : k + n] + [None] * n
            columns = {
                "asset_uuid": [f"00000000-0000-4000-8000-{k:06d}{i + 1:06d}" for i in range(n)],
                "obj_code": [
                    f"420106{table.major_code}{table.minor_code}{i + 1:06d}" for i in range(n)
                ],
                "name": [f"{table.zh}{i + 1}号" for i in range(n)],
                "condition": conditions[:n],
            }
            project.bulk_insert(conn, table, columns, _geoms(table.name, n), srs_id)
            gpkg.create_rtree_triggers(conn, table.name)
            project.refresh_extent(conn, table.name)
        records = {
            "record_uuid": [f"10000000-0000-4000-8000-00000000000{i}" for i in range(3)],
            "asset_class": ["road_segment", "road_segment", "bridge"],
            "asset_uuid": [ROAD_WITH_HISTORY, ROAD_WITH_HISTORY, BRIDGE_WITH_HISTORY],
            "record_date": ["2024-03-01", "2024-09-15", "2024-05-20"],
            "record_type": ["inspection", "repair", "inspection"],
            "condition_before": [3, 3, None],
            "condition_after": [None, 1, 2],
        }
        project.bulk_insert(conn, sc.MAINTENANCE_RECORD, records, None, srs_id)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    return make_project_file(tmp_path / "district.gpkg")


def test_project_file_passes_gdal_validator(tmp_path: Path, project_file: Path) -> None:
    empty = project.create_project(tmp_path / "empty.gpkg")
    assert_valid_gpkg(empty)
    assert_valid_gpkg(project_file)


def _check_asset_style(table: str, rep: dict) -> None:
    symbol = sy.CLASS_SYMBOLS[table]
    assert rep["renderer"] == "categorizedSymbol"
    assert rep["attr"] == "condition"
    cats = rep["categories"]
    assert len(cats) == 6
    expected = sy.condition_categories("zh")
    assert [c["value"] for c in cats] == [None if v is None else str(v) for v, _, _ in expected]
    assert [c["colour"] for c in cats] == [colour for _, _, colour in expected]
    assert [c["label"] for c in cats] == [label for _, label, _ in expected]
    layer_class = {"line": "SimpleLine", "point": "SimpleMarker", "polygon": "SimpleFill"}
    assert {c["class"] for c in cats} == {layer_class[symbol.kind]}
    if symbol.kind == "point":
        # QgsSimpleMarkerSymbolLayerBase::Shape: Diamond = 1, Circle = 8
        assert {c["shape"] for c in cats} == {{"diamond": 1, "circle": 8}[symbol.marker]}
        assert {float(c["size"]) for c in cats} == {symbol.size_mm}
    elif symbol.kind == "line":
        assert {float(c["size"]) for c in cats} == {symbol.size_mm}
    else:
        assert {c["alpha"] for c in cats} == {symbol.fill_alpha}


def _check_form(table_name: str, rep: dict) -> None:
    table = sc.table(table_name)
    for f in table.fields:
        domain = f.get_domain()
        assert rep["aliases"][f.name] == f"{f.zh} {f.en}"
        if isinstance(domain, dm.CodedDomain):
            assert rep["widgets"][f.name] == "ValueMap", f.name
            codes = [v for v in rep["value_maps"][f.name] if not v.startswith("{")]
            assert codes == [str(c.value) for c in domain.codes], f.name
        elif isinstance(domain, dm.RangeDomain):
            assert rep["widgets"][f.name] == "Range", f.name
            assert float(rep["ranges"][f.name][0]) == domain.minimum
        elif f.type in (sc.FieldType.DATE, sc.FieldType.DATETIME):
            assert rep["widgets"][f.name] == "DateTime", f.name
    if "asset_uuid" in table.field_names() and table.is_asset:
        assert rep["defaults"]["asset_uuid"] == "uuid('WithoutBraces')"


@pytest.mark.qgis
def test_layers_open_in_qgis_with_default_style_and_forms(project_file: Path) -> None:
    tables = [*ASSETS, "maintenance_record", "work_order"]
    report = run_pyqgis(LAYERS_REPORT_SCRIPT, project_file, *tables)
    for t in ASSETS:
        rep = report[t]
        assert rep["valid"], t
        assert rep["wkb"] == GEOMETRY[t]
        assert rep["count"] == COUNTS[t]
        _check_asset_style(t, rep)
        _check_form(t, rep)
    road = report["road_segment"]
    assert road["labels"] and road["label_field"] == "name"
    assert road["label_placement"] == 2  # QgsPalLayerSettings.Line
    assert not report["bridge"]["labels"]
    for t in ("maintenance_record", "work_order"):
        assert report[t]["valid"] and report[t]["wkb"] == "NoGeometry"
        _check_form(t, report[t])
    assert report["maintenance_record"]["count"] == 3
    assert report["maintenance_record"]["defaults"]["record_uuid"] == "uuid('WithoutBraces')"


def _check_project(rep: dict, folder: Path) -> None:
    assert rep["ok"]
    assert rep["crs"] == "EPSG:4547"
    assert set(rep["layers"]) == set(qgis_project.DEFAULT_LAYERS)
    for t, layer in rep["layers"].items():
        assert layer["valid"], (t, layer["source"])
        assert Path(layer["source"].split("|")[0]).parent == folder
    for t in ASSETS:
        assert rep["layers"][t]["count"] == COUNTS[t]
        _check_asset_style(t, rep["layers"][t])
        _check_form(t, rep["layers"][t])
    rels = rep["relations"]
    for t in ASSETS:
        rel = rels[f"maintenance_record_{t}"]
        assert rel["valid"]
        assert (rel["child"], rel["parent"]) == ("maintenance_record", t)
        # the class travels with the uuid (a virtual field of the asset layer)
        assert rel["pairs"] == {"asset_uuid": "asset_uuid", "asset_class": "asset_class"}
        assert rels[f"work_order_asset_{t}"]["valid"]
    assert rels["maintenance_record_road_segment"]["related"][ROAD_WITH_HISTORY] == 2
    assert rels["maintenance_record_bridge"]["related"][BRIDGE_WITH_HISTORY] == 1
    assert rels["work_order_asset_work_order"]["pairs"] == {"work_order_uuid": "work_order_uuid"}
    assert len(rep["groups"]) == 2


@pytest.mark.qgis
def test_embedded_project_opens_in_qgis_with_relations(project_file: Path) -> None:
    uri = f"geopackage:{project_file}?projectName={qgis_project.PROJECT_NAME}"
    rep = run_pyqgis(PROJECT_REPORT_SCRIPT, uri, ROAD_WITH_HISTORY, BRIDGE_WITH_HISTORY)
    _check_project(rep, project_file.parent)


@pytest.mark.qgis
def test_embedded_project_follows_a_moved_file(tmp_path: Path, project_file: Path) -> None:
    moved = tmp_path / "elsewhere" / project_file.name
    moved.parent.mkdir()
    shutil.move(project_file, moved)
    rep = run_pyqgis(
        PROJECT_REPORT_SCRIPT,
        f"geopackage:{moved}?projectName=citymgr",
        ROAD_WITH_HISTORY,
        BRIDGE_WITH_HISTORY,
    )
    _check_project(rep, moved.parent)


@pytest.mark.qgis
def test_renamed_file_is_repointed(tmp_path: Path, project_file: Path) -> None:
    renamed = tmp_path / "renamed.gpkg"
    shutil.copy(project_file, renamed)
    conn = gpkg.connect(str(renamed))
    try:
        conn.execute("BEGIN")
        assert qgis_project.repoint(conn, 4547)
        assert not qgis_project.repoint(conn, 4547)
        conn.execute("COMMIT")
    finally:
        conn.close()
    project_file.unlink()  # nothing may still read the original
    rep = run_pyqgis(
        PROJECT_REPORT_SCRIPT,
        f"geopackage:{renamed}?projectName=citymgr",
        ROAD_WITH_HISTORY,
        BRIDGE_WITH_HISTORY,
    )
    _check_project(rep, tmp_path)
    assert_valid_gpkg(renamed)


@pytest.mark.qgis
def test_standalone_qgz_opens_in_qgis(tmp_path: Path, project_file: Path) -> None:
    qgz = qgis_project.write_qgz(project_file, tmp_path / "district.qgz")
    # a field package travels as a folder: the .qgz finds its .gpkg wherever that goes
    package = tmp_path / "package"
    package.mkdir()
    shutil.move(qgz, package / qgz.name)
    shutil.move(project_file, package / project_file.name)
    rep = run_pyqgis(
        PROJECT_REPORT_SCRIPT, package / qgz.name, ROAD_WITH_HISTORY, BRIDGE_WITH_HISTORY
    )
    _check_project(rep, package)
    assert_valid_gpkg(package / project_file.name)


@pytest.mark.qgis
def test_qgz_with_a_subset_of_layers(tmp_path: Path, project_file: Path) -> None:
    qgz = qgis_project.write_qgz(
        project_file, tmp_path / "roads.qgz", layers=["road_segment", "maintenance_record"]
    )
    rep = run_pyqgis(PROJECT_REPORT_SCRIPT, qgz, ROAD_WITH_HISTORY)
    assert rep["ok"]
    assert set(rep["layers"]) == {"road_segment", "maintenance_record"}
    assert all(layer["valid"] for layer in rep["layers"].values())
    assert set(rep["relations"]) == {"maintenance_record_road_segment"}
    assert rep["relations"]["maintenance_record_road_segment"]["related"] == {ROAD_WITH_HISTORY: 2}


def test_embed_is_repeatable_and_keeps_a_users_default_style(project_file: Path) -> None:
    conn = gpkg.connect(str(project_file))
    try:
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, useAsDefault) "
            "VALUES ('', '', 'bridge', 'geom', 'mine', '<qgis/>', 1)"
        )
        conn.execute(
            "UPDATE layer_styles SET useAsDefault = 0 "
            "WHERE f_table_name = 'bridge' AND styleName = 'citymgr'"
        )
        qgis_project.embed(conn, 4547)
        conn.execute("COMMIT")
        rows = conn.execute(
            "SELECT f_table_name, styleName, useAsDefault FROM layer_styles "
            "ORDER BY f_table_name, styleName"
        ).fetchall()
        projects = conn.execute("SELECT count(*) FROM qgis_projects").fetchone()[0]
    finally:
        conn.close()
    assert ("bridge", "mine", 1) in rows and ("bridge", "citymgr", 0) in rows
    assert ("road_segment", "citymgr", 1) in rows
    assert len(rows) == len(qgis_project.DEFAULT_LAYERS) + 1
    assert projects == 1


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


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(path: Path) -> dict:
    rep = run_pyqgis(PROJECT_REPORT_SCRIPT, f"geopackage:{path}?projectName=citymgr")
    return {t: (r["valid"], r["count"], r["source"]) for t, r in rep["layers"].items()
            if t in ASSETS}


@pytest.mark.qgis
def test_a_renamed_copy_reads_itself_once_citymgr_opens_it(tmp_path: Path,
                                                          project_file: Path) -> None:
    """台账2026.gpkg beside the original: before citymgr touches it QGIS shows the original's
    data (validate says so; opening changes nothing); after citymgr's first write to it, its
    own. In another folder the layers become valid."""
    from citymgr_desktop.core.store import Store, validate_file

    copy = project_file.parent / "台账2026.gpkg"
    shutil.copy(project_file, copy)
    conn = gpkg.connect(str(copy))  # make the copy tell itself apart: one bin less
    conn.execute("BEGIN")
    conn.execute("DELETE FROM litter_bin WHERE fid = (SELECT max(fid) FROM litter_bin)")
    conn.execute("COMMIT")
    conn.close()
    problems = [p for p in validate_file(copy) if p.where == "qgis_projects"]
    assert problems and "./district.gpkg" in problems[0].message, problems
    before = _sha(copy)
    with Store.open(copy, read_only=True):
        pass
    assert _sha(copy) == before  # opening read-only never rewrites the project
    assert _counts(copy)["litter_bin"][1] == COUNTS["litter_bin"]  # the original's data
    with Store.open(copy):
        pass
    assert _sha(copy) == before  # nor opening for writing: only a write does
    with Store.open(copy) as store:
        store.set_meta("note", "the first write points the project here")
    assert [p for p in validate_file(copy) if p.where == "qgis_projects"] == []
    seen = _counts(copy)
    assert seen["litter_bin"] == (True, COUNTS["litter_bin"] - 1, f"{copy}|layername=litter_bin")
    assert all(valid for valid, _, _ in seen.values())
    elsewhere = tmp_path / "other" / "台账2026.gpkg"
    elsewhere.parent.mkdir()
    shutil.copy(project_file, elsewhere)
    assert not any(valid for valid, _, _ in _counts(elsewhere).values())  # QGIS alone: invalid
    with Store.open(elsewhere) as store:
        store.set_meta("note", "the first write points the project here")
    assert all(valid for valid, _, _ in _counts(elsewhere).values())
