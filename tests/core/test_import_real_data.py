"""Import on real public data (Natural Earth, public domain: tests/data/naturalearth/README.md):
source identity across files, the transformation chosen by the data's extent (compared
with GDAL's ogr2ogr), a UTF-8 Shapefile whose field name GDAL cut inside a character, and the
Tokyo-datum refusal with the real error and the missing grid."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from citymgr_desktop.cli import main
from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.importing import ImportMapping
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing.sources import SourceOptions, describe_layer
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store import create as project

NE = Path(__file__).resolve().parents[1] / "data" / "naturalearth" / "naturalearth_lowres.shp"


def _subset(folder: Path, name: str, where: str, **write) -> Path:
    frame = pyogrio.read_dataframe(NE, where=where)
    out = folder / f"{name}.shp"
    pyogrio.write_dataframe(frame, out, **write)
    return out


def _coords(path: Path, layer: str) -> np.ndarray:
    frame = pyogrio.read_dataframe(path, layer=layer)
    return shapely.get_coordinates(frame.geometry.values)


def test_feature_ids_of_different_files_never_match(tmp_path):
    """Without an id field, ``fid:N`` of one file must not update another file's assets."""
    africa = _subset(tmp_path, "Africa", "continent = 'Africa'")
    europe = _subset(tmp_path, "Europe", "continent = 'Europe'")
    gpkg = project.create_project(tmp_path / "world.gpkg", "EPSG:3857")
    bins = ImportMapping("litter_bin")  # no id field: feature ids identify the features
    with Store.open(gpkg) as store:
        first = importer.run_import(store, africa, bins, user="t").report
        before = _coords(gpkg, "litter_bin")
        second = importer.run_import(store, europe, ImportMapping("litter_bin"), user="t").report
        again = importer.run_import(store, africa, ImportMapping("litter_bin"), user="t").report
    assert first.inserted == 51 and second.updated == 0
    assert second.inserted == 39
    assert again.unchanged == 51 and again.inserted == 0 and again.updated == 0
    after = _coords(gpkg, "litter_bin")
    assert len(after) == 90 and np.allclose(after[: len(before)], before)
    assert any("Africa.shp" in w for w in first.warnings)


@pytest.fixture
def slovakia(tmp_path) -> Path:
    return _subset(tmp_path, "slovakia", "name = 'Slovakia'")


def test_transformation_is_chosen_by_the_data_extent_like_gdal(tmp_path, slovakia, capsys):
    gpkg = project.create_project(tmp_path / "sk.gpkg", "EPSG:5514")  # S-JTSK / Krovak
    assert main(["import", str(gpkg), str(slovakia), "--as", "green_space", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    chosen = rep["crs"]["transformation"]
    assert "S-JTSK to WGS 84 (4)" in chosen, chosen  # Slovakia's 1 m transformation
    assert rep["crs"]["accuracy_m"] == 1.0
    others = rep["crs"]["alternatives"]
    assert any("S-JTSK to WGS 84 (3)" in a["description"] and a["accuracy_m"] == 6.0
               for a in others)
    ours = _coords(gpkg, "green_space")
    if shutil.which("ogr2ogr"):
        gdal = tmp_path / "gdal.geojson"
        # the system's GDAL with its own PROJ database (pyogrio points PROJ_LIB at its copy)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PROJ_LIB", "PROJ_DATA", "GDAL_DATA")}
        subprocess.run(["ogr2ogr", "-f", "GeoJSON", str(gdal), str(slovakia), "-t_srs",
                        "EPSG:5514", "-lco", "COORDINATE_PRECISION=4"], check=True, env=env)
        theirs = shapely.get_coordinates(shapely.from_geojson(json.dumps(
            json.loads(gdal.read_text())["features"][0]["geometry"])))
        assert ours.shape == theirs.shape
        apart = np.hypot(*(ours - theirs).T)
        # GDAL chooses per point among the transformations whose area holds it; where the
        # Czech 1 m transformation's area (12.09-18.86°E, 48.58-51.06°N) overlaps Slovakia's,
        # GDAL 3.6 takes the Czech one and we the Slovak one: two 1 m transformations, about
        # 1 m apart. Everywhere else the same transformation gives the same coordinates.
        lonlat = shapely.get_coordinates(pyogrio.read_dataframe(slovakia).geometry.values)
        shared = (lonlat[:, 0] <= 18.86) & (lonlat[:, 1] >= 48.58)
        assert apart[~shared].max() < 0.01 and (~shared).sum() > 20
        assert apart[shared].max() < 1.5
    # the user may pick another one: the 6 m one for all of CZ+SK moves Slovakia by metres
    pick = next(i for i, a in enumerate(others, 2) if "(3)" in a["description"])
    again = tmp_path / "sk2.gpkg"
    project.create_project(again, "EPSG:5514")
    assert main(["import", str(again), str(slovakia), "--as", "green_space",
                 "--transformation", str(pick), "--json"]) == 0
    rep2 = json.loads(capsys.readouterr().out)
    assert "S-JTSK to WGS 84 (3)" in rep2["crs"]["transformation"]
    shift = np.hypot(*(ours - _coords(again, "green_space")).T)
    assert 3 < shift.max() < 30
    assert main(["import", str(again), str(slovakia), "--as", "green_space",
                 "--transformation", "9", "--dry-run"]) == 8
    assert "--transformation 9" in capsys.readouterr().err


def test_utf8_shapefile_with_a_field_name_cut_inside_a_character(tmp_path):
    frame = pyogrio.read_dataframe(NE, where="continent = 'Asia'")
    frame = frame.rename(columns={"name": "国家名称英文", "iso_a3": "代码"})
    out = tmp_path / "亚洲.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it laundered the name (undecodable)
        pyogrio.write_dataframe(frame, out, encoding="UTF-8")
    dbf = out.with_suffix(".dbf").read_bytes()
    assert "国家名".encode() + b"\xe7" in dbf[:400]  # 10 bytes: cut inside 称 (e7 a7 b0)
    layer = describe_layer(out)
    assert "国家名" in layer.field_names() and "代码" in layer.field_names()
    assert any("cut inside a character" in n for n in layer.notes)
    gpkg = project.create_project(tmp_path / "asia.gpkg", "EPSG:3857")
    for options in (SourceOptions(), SourceOptions(encoding="UTF-8")):
        mapping = ImportMapping("litter_bin", fields={"name": "国家名", "source_id": "代码"})
        with Store.open(gpkg) as store:
            rep = importer.run_import(store, out, mapping, options, dry_run=True).report
        assert rep.inserted == len(frame) and rep.skipped_count == 0
    data = importer.read_source(out)
    assert "China" in set(data.attributes["国家名"])


def _tokyo_japan(folder: Path) -> Path:
    """Japan's outline moved into the Tokyo datum (EPSG:4301) with the Helmert shift."""
    from pyproj import Transformer

    frame = pyogrio.read_dataframe(NE, where="name = 'Japan'")
    to_tokyo = Transformer.from_crs("EPSG:4326", "EPSG:4301", always_xy=True)
    frame["geometry"] = shapely.transform(frame.geometry.values,
                                          lambda c: np.column_stack(to_tokyo.transform(*c.T)))
    frame = frame.set_crs("EPSG:4301", allow_override=True)
    out = folder / "japan_tokyo.shp"
    pyogrio.write_dataframe(frame, out)
    return out


def test_tokyo_datum_refusal_names_the_grid_and_the_real_error(tmp_path, capsys):
    src = _tokyo_japan(tmp_path)
    gpkg = project.create_project(tmp_path / "tokyo.gpkg", "EPSG:6677")  # JGD2011 zone IX
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Store.open(gpkg) as store, pytest.raises(CrsError) as err:
            importer.run_import(store, src, ImportMapping("green_space"), dry_run=True)
    message = str(err.value)
    assert "tky2jgd.gsb" in message
    metres = int(message.split("about ")[1].split(" m")[0])
    assert 400 <= metres <= 520, message  # the ballpark shift would put Japan ~460 m off
    assert "~100 m" not in message
    assert not [w for w in caught if "tky2jgd" in str(w.message)], "raw pyproj warning"
    assert main(["import", str(gpkg), str(src), "--as", "green_space", "--dry-run"]) == 6
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and "UserWarning" not in err_text
