"""Import sources built by the tests: several formats and CRSs, with dirty values on purpose.

All data sits in Wuhan's Wuchang district (about 114.30°E, 30.55°N), inside the area of use of
the test projects' CRS, EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyproj import Transformer

from citymgr_desktop.core.store import create as project

LON, LAT = 114.30, 30.55
TO_4547 = Transformer.from_crs(4326, 4547, always_xy=True)


def new_project(path: Path, crs: str = "EPSG:4547") -> Path:
    return project.create_project(path, crs, "420106")


def ll(dx: float, dy: float) -> tuple[float, float]:
    """A lon/lat ``dx``/``dy`` thousandths of a degree from the test origin."""
    return (LON + dx / 1000, LAT + dy / 1000)


def xy(dx: float, dy: float) -> tuple[float, float]:
    """The same place in EPSG:4547 metres."""
    return TO_4547.transform(*ll(dx, dy))


def geojson_roads(folder: Path) -> Path:
    """WGS 84 roads: Chinese fields, dirty words and numbers, multi-part, 3D, null geometry."""
    feats = [
        ({"编号": "R1", "名称": "中山路", "道路等级": "主干路", "技术状况": "好", "车道数": 4,
          "路宽": "24.5", "路面类型": "沥青"}, {"type": "LineString",
                                                 "coordinates": [ll(0, 0), ll(5, 0)]}),
        ({"编号": "R2", "名称": "解放路", "道路等级": "次干路", "技术状况": "较差", "车道数": "2",
          "路宽": "", "路面类型": "水泥混凝土"}, {"type": "LineString",
                                                  "coordinates": [ll(0, 2), ll(5, 2)]}),
        ({"编号": "R3", "名称": "胭脂路", "道路等级": "支路", "技术状况": "差不多", "车道数": "two",
          "路宽": "8", "路面类型": "彩色透水砖"},
         {"type": "MultiLineString", "coordinates": [[ll(0, 4), ll(2, 4)], [ll(3, 4), ll(5, 4)]]}),
        ({"编号": "R4", "名称": "粮道街", "道路等级": "支路", "技术状况": "", "车道数": None,
          "路宽": "6", "路面类型": "沥青"},
         {"type": "MultiLineString", "coordinates": [[ll(0, 6), ll(2, 6)], [ll(2, 6), ll(5, 6)]]}),
        ({"编号": "R5", "名称": "得胜桥", "道路等级": "小街", "技术状况": "未知", "车道数": 2,
          "路宽": "-", "路面类型": ""},
         {"type": "LineString", "coordinates": [[*ll(0, 8), 21.5], [*ll(5, 8), 22.0]]}),
        ({"编号": "R6", "名称": "断头路", "道路等级": "支路", "技术状况": "好", "车道数": 2,
          "路宽": "5", "路面类型": "沥青"}, {"type": "LineString",
                                             "coordinates": [ll(1, 9), ll(1, 9)]}),
        ({"编号": "R7", "名称": "无图形", "道路等级": "支路", "技术状况": "好", "车道数": 2,
          "路宽": "5", "路面类型": "沥青"}, None),
        ({"编号": "R1", "名称": "中山路(重复)", "道路等级": "主干路", "技术状况": "好", "车道数": 4,
          "路宽": "24", "路面类型": "沥青"}, {"type": "LineString",
                                              "coordinates": [ll(0, 10), ll(5, 10)]}),
    ]
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in feats]}
    path = folder / "roads.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return path


def shapefile_bins(folder: Path, *, cpg: bool = True, name: str = "bins") -> Path:
    """GBK-encoded Shapefile of bins in EPSG:4547 with a .prj; with or without its .cpg."""
    rows = [
        ("B001", "中山路1号箱", "可回收物", 240, "完好", "挂杆式"),
        ("B002", "中山路2号箱", "厨余垃圾", None, "较好", "落地"),
        ("B003", "解放路1号箱", "其他垃圾", 9999, "", "挂墙"),
        ("B004", "解放路2号箱", "大件垃圾", 120, "损坏", "地埋式"),
        ("B005", "胭脂路箱", "有害垃圾", 60, "危险", "不知道"),
    ]
    df = gpd.GeoDataFrame(
        {"编号": [r[0] for r in rows], "名称": [r[1] for r in rows],
         "分类": [r[2] for r in rows],
         "容量": pd_int([r[3] for r in rows]), "状况": [r[4] for r in rows],
         "安装方式": [r[5] for r in rows]},
        geometry=[shapely.Point(xy(i, 1)) for i in range(len(rows))], crs="EPSG:4547")
    path = folder / f"{name}.shp"
    df.to_file(path, encoding="GBK", engine="pyogrio")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def pd_int(values: list) -> list:
    return [np.nan if v is None else float(v) for v in values]


def gpkg_parks(folder: Path) -> Path:
    """A GeoPackage of parks in EPSG:4490 (CGCS2000 lon/lat): holes, multi, a bow-tie."""
    a = shapely.Polygon([ll(0, 0), ll(4, 0), ll(4, 3), ll(0, 3)],
                        [[ll(1, 1), ll(2, 1), ll(2, 2), ll(1, 2)]])
    b = shapely.MultiPolygon([shapely.Polygon([ll(5, 0), ll(7, 0), ll(7, 2), ll(5, 2)]),
                              shapely.Polygon([ll(8, 0), ll(9, 0), ll(9, 1), ll(8, 1)])])
    bowtie = shapely.Polygon([ll(0, 5), ll(2, 7), ll(2, 5), ll(0, 7), ll(0, 5)])
    line = shapely.LineString([ll(0, 9), ll(3, 9)])
    df = gpd.GeoDataFrame(
        {"NAME": ["首义公园", "紫阳湖公园", "Bow-tie Garden", "A path"],
         "CATEGORY": ["公园绿地", "park", "街头游园", "roadside"],
         "LEVEL": ["一级", "二级养护", "3", "四级"],
         "AREA": [1.0, 2.0, 3.0, 4.0]},
        geometry=[a, b, bowtie, line], crs="EPSG:4490")
    path = folder / "parks.gpkg"
    df.to_file(path, layer="parks", engine="pyogrio", driver="GPKG", geometry_type="Unknown")
    return path


def gpkg_curves(folder: Path) -> Path:
    """A GeoPackage layer in EPSG:4547 holding a circular string and a curve polygon."""
    x0, y0 = xy(0, 0)
    arc = struct.pack("<BII", 1, 8, 3) + struct.pack("<6d", x0, y0, x0 + 50, y0 + 50, x0 + 100, y0)
    ring = struct.pack("<BII", 1, 8, 5) + struct.pack(
        "<10d", x0, y0 + 200, x0 + 50, y0 + 250, x0 + 100, y0 + 200, x0 + 50, y0 + 150,
        x0, y0 + 200)
    curve_polygon = struct.pack("<BII", 1, 10, 1) + ring
    path = folder / "curves.gpkg"
    pyogrio.raw.write(path, geometry=np.array([arc, curve_polygon], dtype=object),
                      field_data=[np.array(["arc", "round"], dtype=object)], fields=["name"],
                      geometry_type="Unknown", crs="EPSG:4547", driver="GPKG", layer="curves")
    return path


def csv_bridges(folder: Path, encoding: str = "gb18030") -> Path:
    """GBK/GB18030 CSV of bridges with 经度/纬度 columns, bad coordinates and mixed values."""
    lines = [
        "桥梁编号,桥名,经度,纬度,结构类型,养护类别,桥长,状况",
        f"Q1,长江大桥,{ll(1, 1)[0]:.6f},{ll(1, 1)[1]:.6f},斜拉桥,Ⅰ类,1670,2",
        f"Q2,首义桥,{ll(2, 1)[0]:.6f},{ll(2, 1)[1]:.6f},梁桥,II类,85.5,较好",
        f"Q3,紫阳桥,{ll(3, 1)[0]:.6f},{ll(3, 1)[1]:.6f},拱,3,约40米,",
        "Q4,坏坐标桥,abc,30.55,梁桥,I,20,好",
        "Q5,无坐标桥,,,梁桥,I,20,好",
        f"Q6,钢桁桥,{ll(4, 1)[0]:.6f},{ll(4, 1)[1]:.6f},钢桁架,V类,200,危险",
    ]
    path = folder / "bridges.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def csv_wkt_roads(folder: Path) -> Path:
    """UTF-8 CSV with a WKT column in EPSG:4547 metres (the CSV itself states no CRS)."""
    (x0, y0), (x1, y1) = xy(0, 20), xy(5, 20)
    rows = [
        "id;name;wkt;condition",
        f"10;Wuluo Road;LINESTRING ({x0:.2f} {y0:.2f}, {x1:.2f} {y1:.2f});good",
        f"11;Broken WKT;LINESTRING ({x0:.2f} {y0:.2f},;fair",
        f"12;Ring Road;LINESTRING ({x0:.2f} {y0 + 50:.2f}, {x1:.2f} {y1 + 50:.2f});mediocre",
    ]
    path = folder / "roads_wkt.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def csv_survey_xy(folder: Path) -> Path:
    """Bins with X = northing, Y = easting (Chinese survey convention), EPSG:4547 metres."""
    rows = ["点号,X,Y,分类"]
    for i in range(3):
        e, n = xy(i, 3)
        rows.append(f"P{i},{n:.3f},{e:.3f},可回收物")
    path = folder / "survey.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def kml_bins(folder: Path) -> Path:
    """KML placemarks (always WGS 84, with altitude) for litter bins."""
    marks = "".join(
        f"<Placemark><name>KML bin {i}</name><description>可回收物</description>"
        f"<Point><coordinates>{ll(i, 5)[0]:.6f},{ll(i, 5)[1]:.6f},12.0</coordinates></Point>"
        f"</Placemark>" for i in range(4))
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>bins</name>'
            f"{marks}</Folder></Document></kml>\n")
    path = folder / "bins.kml"
    path.write_text(text, encoding="utf-8")
    return path


def geojson_points(folder: Path, name: str, points: list[tuple[float, float]],
                   props: list[dict] | None = None) -> Path:
    """A GeoJSON of points given in lon/lat."""
    props = props or [{"id": i} for i in range(len(points))]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": {"type": "Point", "coordinates": pt}}
        for p, pt in zip(props, points, strict=True)]}
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return path


def bins_csv(project: Path, path: Path) -> tuple[Path, list[str]]:
    """Four bins at the places of the project's first three bins: one with its neighbour's
    街道, one in "火星街道", one in a real 街道 that is not its neighbour's, one empty."""
    from citymgr_desktop.core.store import Store

    with Store.open(project, read_only=True) as store:
        gdf = store.read("litter_bin").head(3).to_crs(4326)
        known = store.districts()
    near = list(gdf.district)
    other = next(d for d in known if d not in near)
    rows = ["编号,名称,所属街道,经度,纬度"]
    for i, (name, g) in enumerate(zip([near[0], "火星街道", other, ""], [*gdf.geometry,
                                                                       gdf.geometry.iloc[0]],
                                      strict=True)):
        rows.append(f"T{i},垃圾箱{i},{name},{g.x:.8f},{g.y:.8f}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, [near[0], other, near[2], near[0]]
