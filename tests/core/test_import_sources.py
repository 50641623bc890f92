"""Reading import sources: layers, fields with samples, encodings, tables with coordinates."""

from __future__ import annotations

import pytest

from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.importing.sources import (
    SourceOptions,
    describe_layer,
    list_layers,
    read_source,
    shapefile_encoding,
)
from tests.core import import_sources as src


def test_geojson_fields_samples_and_problems(tmp_path):
    path = src.geojson_roads(tmp_path)
    assert list_layers(path) == [("roads", "Unknown")]
    info = describe_layer(path)
    assert info.count == 8 and info.crs is not None and info.crs.to_epsg() == 4326
    fields = {f.name: f for f in info.fields}
    assert "名称" in fields and fields["名称"].samples[:2] == ["中山路", "解放路"]
    assert fields["技术状况"].empty == 1  # the "" counts as empty
    # GDAL reads a GeoJSON property of mixed types (4, "2", "two", null) as text
    assert fields["车道数"].dtype == "text"
    assert fields["车道数"].samples[:3] == ["4", "2", "two"]
    data = read_source(path)
    assert len(data) == 8
    assert data.problems == {6: "no geometry"}


def test_shapefile_gbk_with_cpg(tmp_path):
    path = src.shapefile_bins(tmp_path)
    assert path.with_suffix(".cpg").read_text().strip() == "GBK"
    data = read_source(path)
    assert data.layer.crs.to_epsg() == 4547
    assert list(data.attributes["名称"])[:2] == ["中山路1号箱", "中山路2号箱"]
    assert list(data.attributes["分类"])[3] == "大件垃圾"


def test_shapefile_gbk_without_cpg_is_detected(tmp_path):
    path = src.shapefile_bins(tmp_path, cpg=False)
    assert shapefile_encoding(path) == "GB18030"
    info = describe_layer(path)
    assert "名称" in info.field_names()
    assert any("encoding detected" in n for n in info.notes)
    data = read_source(path)
    assert list(data.attributes["状况"])[4] == "危险"


def test_gpkg_layer_listing_and_unknown_layer(tmp_path):
    path = src.gpkg_parks(tmp_path)
    assert [n for n, _ in list_layers(path)] == ["parks"]
    with pytest.raises(NotFoundError, match="no layer 'nope'; layers: parks"):
        read_source(path, SourceOptions(layer="nope"))


def test_curves_are_linearised(tmp_path):
    data = read_source(src.gpkg_curves(tmp_path))
    assert not data.problems
    kinds = [g.geom_type for g in data.geometries]
    assert kinds == ["LineString", "Polygon"]
    assert len(data.geometries[0].coords) > 10
    assert set(data.converted.values()) == {"curved CircularString linearised",
                                            "curved CurvePolygon linearised"}


def test_csv_gbk_with_lon_lat_columns(tmp_path):
    path = src.csv_bridges(tmp_path)
    info = describe_layer(path)
    assert info.encoding == "GB18030"
    assert any("经度" in n and "纬度" in n for n in info.notes)
    data = read_source(path)
    assert len(data) == 6 and data.layer.crs is None
    assert "coordinates are not numbers" in data.problems[4]
    assert str(data.problems[5]).startswith("no geometry")
    assert data.geometries[0].geom_type == "Point"


def test_csv_with_wkt_column_and_bad_wkt(tmp_path):
    data = read_source(src.csv_wkt_roads(tmp_path))
    assert data.geometries[0].geom_type == "LineString"
    assert str(data.problems[2]).startswith("unreadable WKT")
    assert "wkt" not in str(data.layer.notes[0]).lower() or "WKT column wkt" in data.layer.notes[0]


def test_csv_without_coordinates_is_refused(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no coordinates found"):
        read_source(path)


def test_xlsx_sheet_with_coordinates(tmp_path):
    import pandas as pd

    path = tmp_path / "bins.xlsx"
    lon, lat = src.ll(1, 1)
    pd.DataFrame({"名称": ["箱1", "箱2"], "经度": [lon, lon + 0.001], "纬度": [lat, lat],
                  "容量": [240, "120L"]}).to_excel(path, sheet_name="垃圾箱", index=False)
    assert list_layers(path) == [("垃圾箱", "Point")]
    data = read_source(path)
    assert [g.x for g in data.geometries] == [lon, lon + 0.001]
    assert list(data.attributes["容量"]) == [240, "120L"]


def test_kml_placemarks(tmp_path):
    path = src.kml_bins(tmp_path)
    data = read_source(path)
    assert len(data) == 4
    assert data.layer.crs.to_epsg() == 4326
    assert "KML bin 0" in data.attributes[data.attributes.columns[0]] or "KML bin 0" in list(
        data.attributes.get("Name", data.attributes.get("name", [])))


def test_where_filter_and_bad_filter(tmp_path):
    path = src.geojson_roads(tmp_path)
    data = read_source(path, SourceOptions(where="\"道路等级\" = '支路'"))
    assert len(data) == 4
    with pytest.raises(ValidationError):
        read_source(path, SourceOptions(where="no_such_field = 1"))


@pytest.mark.parametrize("content", [b"", b"not a shapefile at all", b"\x00" * 400])
def test_damaged_or_foreign_files_are_one_line_errors(tmp_path, content):
    path = tmp_path / "broken.geojson"
    path.write_bytes(content)
    with pytest.raises(BadFileError) as err:
        read_source(path)
    assert "\n" not in str(err.value)


def test_missing_source(tmp_path):
    with pytest.raises(BadFileError, match="no such file"):
        read_source(tmp_path / "nothing.shp")


def test_filegdb_folder_is_read(tmp_path):
    import geopandas as gpd
    import shapely

    gdb = tmp_path / "城管.gdb"
    lon, lat = src.ll(0, 0)
    gpd.GeoDataFrame({"NAME": ["绿地A"], "LEVEL": ["一级"]},
                     geometry=[shapely.box(lon, lat, lon + 0.001, lat + 0.001)],
                     crs="EPSG:4490").to_file(gdb, driver="OpenFileGDB", layer="parks",
                                              engine="pyogrio")
    assert list_layers(gdb) == [("parks", "MultiPolygon")]
    data = read_source(gdb)
    assert list(data.attributes["NAME"]) == ["绿地A"] and data.layer.crs.to_epsg() == 4490


def test_a_plain_folder_is_refused(tmp_path):
    with pytest.raises(BadFileError, match="is a folder"):
        read_source(tmp_path)
