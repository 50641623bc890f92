"""Opening files: refuse bad input with one clear line, never write anything."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
import uuid

import pytest

from citymgr_desktop.core.errors import BadFileError, ReadOnlyError, SchemaError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store import create as project


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_opens_sample_and_lists_layers(district):
    with Store.open(district) as store:
        assert store.is_asset_project()
        layers = {li.name: li for li in store.layers()}
        assert layers["road_segment"].geometry_type == "LINESTRING"
        assert layers["bridge"].geometry_type == "POINT"
        assert layers["green_space"].geometry_type == "MULTIPOLYGON"
        assert layers["litter_bin"].geometry_type == "POINT"
        assert layers["litter_bin"].count > 1000
        assert layers["litter_bin"].srs_id == 4547
        assert "Gauss-Kruger" in layers["litter_bin"].crs_name
        minx, miny, maxx, maxy = layers["road_segment"].extent
        assert 400_000 < minx < maxx < 700_000 and 3_300_000 < miny < maxy < 3_500_000
        assert layers["maintenance_record"].data_type == "attributes"
        assert store.project_crs().to_epsg() == 4547
        assert len(store.districts()) >= 6


def test_text_file_renamed_gpkg(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("this is not a geopackage\n" * 10)
    before = _digest(bad)
    with pytest.raises(BadFileError, match="not a GeoPackage"):
        Store.open(bad)
    assert _digest(bad) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.gpkg"]


def test_truncated_copy(district, tmp_path):
    cut = tmp_path / "cut.gpkg"
    data = district.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(BadFileError, match="truncated"):
        Store.open(cut)
    assert cut.stat().st_size == len(data) // 3


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BadFileError, match="no such file"):
        Store.open(tmp_path / "nope.gpkg")
    with pytest.raises(BadFileError, match="folder"):
        Store.open(tmp_path)


def test_plain_sqlite_is_not_a_geopackage(tmp_path):
    db = tmp_path / "plain.gpkg"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    with pytest.raises(BadFileError, match="not a GeoPackage"):
        Store.open(db)


def test_read_only_file_opens_read_only(district):
    district.chmod(stat.S_IRUSR | stat.S_IRGRP)
    before = _digest(district)
    try:
        with Store.open(district) as store:
            assert store.read_only
            from citymgr_desktop.core.model.delta import Delta

            uid = store.conn.execute("SELECT asset_uuid FROM bridge LIMIT 1").fetchone()[0]
            with pytest.raises(ReadOnlyError):
                store.apply([Delta("bridge", uid, {}, {"name": "x"})])
    finally:
        district.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert _digest(district) == before


def test_read_only_store_refuses_writes(district):
    before = _digest(district)
    with Store.open(district, read_only=True) as store:
        assert store.read_only
        from citymgr_desktop.core.model.delta import Delta

        uid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        with pytest.raises(ReadOnlyError, match="read-only"):
            store.apply([Delta("litter_bin", uid, {"condition": 1}, {"condition": 5})])
    assert _digest(district) == before


def test_locked_file_gives_clear_error(district):
    other = sqlite3.connect(district, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BadFileError, match="locked"):
            store = Store.open(district)
            store.conn.execute("PRAGMA busy_timeout = 100")
            with store.session():
                pass
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_foreign_geopackage_without_asset_layers(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"kind": ["tree"]}, geometry=[Point(1, 2)], crs="EPSG:4326").to_file(
        path, layer="trees", driver="GPKG")
    before = _digest(path)
    with Store.open(path) as store:
        assert not store.is_asset_project()
        assert [li.name for li in store.layers()] == ["trees"]
        assert store.read("trees").shape[0] == 1
        with pytest.raises(SchemaError, match="not a citymgr project"):
            store.require_asset_project()
        from citymgr_desktop.core.model.delta import Delta

        with pytest.raises(SchemaError):
            store.apply([Delta("litter_bin", str(uuid.uuid4()), None, {"name": "x"})])
    assert _digest(path) == before


def test_create_project_refuses_existing_and_bad_crs(tmp_path):
    from citymgr_desktop.core.errors import CrsError, ValidationError

    path = tmp_path / "new.gpkg"
    project.create_project(path)
    with pytest.raises(BadFileError, match="already exists"):
        project.create_project(path)
    with pytest.raises(CrsError, match="not a projected CRS"):
        project.create_project(tmp_path / "geo.gpkg", crs="EPSG:4326")
    with pytest.raises(CrsError, match="unknown"):
        project.create_project(tmp_path / "x.gpkg", crs="EPSG:999999")
    with pytest.raises(ValidationError, match="6 digits"):
        project.create_project(tmp_path / "y.gpkg", district_code="12")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.gpkg"]
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)


def test_renamed_file_gets_its_qgis_project_repointed_on_its_first_write(district, tmp_path):
    """Opening never writes (not even a renamed copy's project); the first write through the
    store puts the project right in the same transaction, and leaves the styles alone."""
    from citymgr_desktop.core.qgis import project as qgis_project

    renamed = tmp_path / "renamed-copy.gpkg"
    district.rename(renamed)
    conn = sqlite3.connect(renamed)
    assert qgis_project.points_elsewhere(conn) == "district.gpkg"
    styles = conn.execute("SELECT id, update_time FROM layer_styles ORDER BY id").fetchall()
    conn.close()
    before = renamed.read_bytes()
    for read_only in (True, False):
        with Store.open(renamed, read_only=read_only):
            pass
        assert renamed.read_bytes() == before
    with Store.open(renamed) as store:
        store.set_meta("note", "first write")
    conn = sqlite3.connect(renamed)
    assert qgis_project.points_elsewhere(conn) is None
    assert "./renamed-copy.gpkg|layername=" in qgis_project.embedded_qgs(conn)
    assert conn.execute("SELECT id, update_time FROM layer_styles ORDER BY id"
                        ).fetchall() == styles
    conn.close()


def test_a_failed_write_leaves_a_renamed_copy_byte_identical(district, tmp_path):
    renamed = tmp_path / "other-name.gpkg"
    district.rename(renamed)
    before = renamed.read_bytes()
    with Store.open(renamed) as store, pytest.raises(RuntimeError), store.session():
        store.conn.execute("UPDATE citymgr_meta SET value = value")
        raise RuntimeError("the command fails after its first statement")
    assert renamed.read_bytes() == before
