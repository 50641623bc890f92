"""The QGIS project of a GeoPackage as real QGIS (3.22, PyQGIS) opens it: embedded in the file or
beside it as a .qgz, with the layers' styles, forms and relations, its sources following the
file when it is moved, renamed or copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.qgis import project as qgis_project
from tests.core.qgis_support import (
    ASSETS,
    BRIDGE_WITH_HISTORY,
    COUNTS,
    ROAD_WITH_HISTORY,
    check_asset_style,
    check_form,
)
from tests.gpkg_checks import PROJECT_REPORT_SCRIPT, assert_valid_gpkg, run_pyqgis


def _check_project(rep: dict, folder: Path) -> None:
    assert rep["ok"]
    assert rep["crs"] == "EPSG:4547"
    assert set(rep["layers"]) == set(qgis_project.DEFAULT_LAYERS)
    for t, layer in rep["layers"].items():
        assert layer["valid"], (t, layer["source"])
        assert Path(layer["source"].split("|")[0]).parent == folder
    for t in ASSETS:
        assert rep["layers"][t]["count"] == COUNTS[t]
        check_asset_style(t, rep["layers"][t])
        check_form(t, rep["layers"][t])
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
