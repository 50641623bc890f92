"""``citymgr export FILE --layer L --out F``: an asset layer for a crew or another GIS, as a
real process. The files are read back by GDAL (pyogrio) and the GeoJSON opened by QGIS,
which must see ONE layer (the work-order GeoJSON mixes points, lines and polygons, and
QGIS splits it into three sublayers)."""

from __future__ import annotations

import sqlite3

import pyogrio
import pytest

from tests.faults.support import run
from tests.gpkg_checks import run_pyqgis

pytestmark = pytest.mark.e2e


def _count(path, where: str = "1") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            f"SELECT count(*) FROM litter_bin WHERE retired_at IS NULL AND ({where})").fetchone()[0]


def test_geojson_of_bad_bins_in_wgs84_with_words_and_one_layer_in_qgis(small_district, tmp_path):
    out = tmp_path / "bins.geojson"
    r = run(["export", small_district, "--layer", "litter_bin", "--out", out,
             "--where", "condition >= 4", "--lang", "zh_CN"])
    assert r.rc == 0, r.err
    n = _count(small_district, "condition >= 4")
    assert n > 0
    assert r.out.strip() == f"已写出 {out}：垃圾箱 {n} 个，geojson 格式"
    info = pyogrio.read_info(out)
    assert info["features"] == n and info["geometry_type"] == "Point"
    assert "4326" in str(info["crs"])
    frame = pyogrio.read_dataframe(out)
    assert set(frame["condition"]) <= {"差", "危险"}  # the words, not 4 and 5
    assert set(frame["bin_type"]) <= {"可回收物", "厨余垃圾", "有害垃圾", "其他垃圾"}
    minx, miny, maxx, maxy = frame.total_bounds
    assert 113 < minx < maxx < 115 and 29 < miny < maxy < 32  # lon/lat, not metres

    qgis = run_pyqgis("""
        import sys
        vl = QgsVectorLayer(sys.argv[1], "bins", "ogr")
        emit({"valid": vl.isValid(), "sublayers": len(vl.dataProvider().subLayers()),
              "count": vl.featureCount(), "wkb": QgsWkbTypes.displayString(vl.wkbType()),
              "crs": vl.crs().authid()})
    """, out)
    assert qgis == {"valid": True, "sublayers": 1, "count": n, "wkb": "Point",
                    "crs": "EPSG:4326"}


def test_geopackage_in_project_crs_with_codes_and_polygons_one_type(small_district, tmp_path):
    out = tmp_path / "bins.gpkg"
    r = run(["export", small_district, "--layer", "litter_bin", "--out", out, "--codes",
             "--json"])
    assert r.rc == 0, r.err
    info = pyogrio.read_info(out, layer="litter_bin")
    assert info["features"] == _count(small_district)
    assert "4547" in str(info["crs"])
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["condition"].startswith("OFTInteger")  # a code: 4, not 4.0
    frame = pyogrio.read_dataframe(out, layer="litter_bin")
    assert set(frame["condition"].dropna()) <= {1, 2, 3, 4, 5}
    assert set(frame["bin_type"]) <= {"recyclable", "kitchen", "hazardous", "other"}

    parks = tmp_path / "parks.geojson"
    assert run(["export", small_district, "--layer", "green_space", "--out", parks]).rc == 0
    assert pyogrio.read_info(parks)["geometry_type"] == "MultiPolygon"


def test_csv_and_xlsx_have_headings_words_and_a_point(small_district, tmp_path):
    import csv

    from openpyxl import load_workbook

    out = tmp_path / "roads.csv"
    assert run(["export", small_district, "--layer", "road_segment", "--out", out,
                "--lang", "en"]).rc == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["Asset UUID", "Object code", "Name"]
    assert rows[0][-2:] == ["Longitude (WGS 84)", "Latitude (WGS 84)"]
    assert 113 < float(rows[1][-2]) < 115 and 29 < float(rows[1][-1]) < 32
    book = tmp_path / "bins.xlsx"
    assert run(["export", small_district, "--layer", "litter_bin", "--out", book]).rc == 0
    ws = load_workbook(book).active
    assert ws["H1"].value == "技术状况" and ws.max_row == _count(small_district) + 1


def test_refusals_leave_no_file(small_district, tmp_path):
    none = tmp_path / "none.geojson"
    r = run(["export", small_district, "--layer", "litter_bin", "--out", none,
             "--where", "condition > 5", "--lang", "zh_CN"])
    assert r.rc == 8 and "没有符合条件的资产" in r.err and not none.exists()
    r = run(["export", small_district, "--layer", "litter_bin", "--out", tmp_path / "x.txt"])
    assert r.rc == 3 and "--format" in r.err
    r = run(["export", small_district, "--layer", "litter_bin", "--out", none,
             "--where", "conditon > 1"])
    assert r.rc == 8 and "conditon" in r.err and not none.exists()
    r = run(["export", small_district, "--layer", "bins", "--out", none])
    assert r.rc == 10 and "litter_bin" in r.err  # an unknown layer, as in every command
    kept = tmp_path / "kept.csv"
    kept.write_text("old", encoding="utf-8")
    r = run(["export", small_district, "--layer", "litter_bin", "--out", kept])
    assert r.rc == 3 and kept.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.csv", small_district.name]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "xlsx"])
def test_cancelled_export_leaves_no_file(small_district, tmp_path, fmt):
    from citymgr_desktop.core.errors import CancelledError
    from citymgr_desktop.core.progress import Progress
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.layer_export import export_layer

    def cancel_before_writing(done: int, _total: int, _message: object) -> None:
        if done == 2:  # the rows are read: Cancel pressed while the file is written
            progress.cancel()

    progress = Progress(cancel_before_writing)
    with open_store(small_district, read_only=True) as store, pytest.raises(CancelledError):
        export_layer(store, "litter_bin", tmp_path / f"bins.{fmt}", fmt, progress=progress)
    assert sorted(p.name for p in tmp_path.iterdir()) == [small_district.name]
