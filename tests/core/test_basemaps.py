"""Base maps and reference layers in the core (no Qt): what is accepted or refused, the
layers kept in the project, tiles from a real HTTP server with its faults and the disk
cache, and rasters/tiles warped to a map grid, checked against GDAL's own gdalwarp."""

from __future__ import annotations

import shutil
import subprocess
import threading

import numpy as np
import pytest
from pyproj import CRS, Transformer

from citymgr_desktop.cli import main
from citymgr_desktop.core.basemaps import (
    FetchReport,
    TileCache,
    TileFetcher,
    ViewGrid,
    add_project_layer,
    make_layer,
    project_layers,
    raster_rgba,
    remove_project_layer,
    tiles_rgba,
)
from citymgr_desktop.core.errors import BadFileError, CrsError, NotFoundError, ValidationError
from citymgr_desktop.core.store import Store
from tests.basemap_support import (
    COLOURS,
    quadrant,
    tile_server,
    write_quadrant_geotiff,
)


@pytest.fixture
def project(district):
    """The district's CRS (WKT), a square view around its centre and the centre in 3857."""
    with Store.open(district, read_only=True) as store:
        crs = store.project_crs()
        (x0, y0, x1, y1), _ = store.asset_extent(["road_segment"])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = 1200.0
    to_merc = Transformer.from_crs(crs, 3857, always_xy=True)
    return {"path": district, "crs": crs.to_wkt(), "view": (cx - half, cy - half, cx + half,
            cy + half), "centre": (cx, cy), "merc_centre": to_merc.transform(cx, cy),
            "to_merc": to_merc, "to_lonlat": Transformer.from_crs(crs, 4326, always_xy=True)}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYMGR_TILE_CACHE", str(tmp_path / "tiles"))
    return TileCache(tmp_path / "tiles")


# -- what is accepted ---------------------------------------------------------------------
def test_a_url_template_needs_z_x_y_and_shifted_chinese_maps_are_refused():
    with pytest.raises(ValidationError, match="needs"):
        make_layer("https://tiles.example.org/tile.png")
    with pytest.raises(ValidationError, match="GCJ-02") as err:
        make_layer("https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8")
    assert "偏" in err.value.render("zh_CN")
    with pytest.raises(ValidationError, match="BD-09"):
        make_layer("https://maponline0.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}")
    tdt = make_layer("http://t{s}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                     "&LAYER=img&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")
    assert tdt.kind == "xyz" and "天地图" in tdt.attribution


def test_a_file_without_crs_is_refused_unless_one_is_given(tmp_path):
    tif = write_quadrant_geotiff(tmp_path / "nocrs.tif", None, (0, 0, 100, 100), (50, 50))
    with pytest.raises(CrsError, match="no coordinate reference system") as err:
        make_layer(str(tif))
    assert "坐标参考系" in err.value.render("zh_CN")
    assert make_layer(str(tif), crs="EPSG:4547").crs == "EPSG:4547"
    with pytest.raises(CrsError):
        make_layer(str(tif), crs="EPSG:nonsense")
    with pytest.raises(BadFileError, match="no such file"):
        make_layer(str(tmp_path / "absent.tif"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BadFileError, match="not a raster or vector"):
        make_layer(str(tmp_path / "notes.txt"))


# -- kept in the project ------------------------------------------------------------------
def test_layers_are_kept_in_the_project_with_relative_paths(project, tmp_path, capsys):
    path = project["path"]
    tif = write_quadrant_geotiff(tmp_path / "ortho.tif", "EPSG:4326",
                                 (114.2, 30.5, 114.3, 30.6), (114.25, 30.55))
    assert main(["layers", "add", str(path), str(tif), "--opacity", "0.6"]) == 0
    assert main(["layers", "add", str(path), "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "--name", "osm"]) == 0
    assert main(["layers", "add", str(path), str(tif)]) != 0  # the same name twice
    assert "already has a map layer" in capsys.readouterr().err
    with Store.open(path, read_only=True) as store:
        layers = project_layers(store)
    assert [(la.name, la.kind, la.location, la.opacity) for la in layers] == [
        ("ortho", "raster", "ortho.tif", 0.6),
        ("osm", "xyz", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", 1.0)]
    assert "OpenStreetMap" in layers[1].attribution
    # the project and its orthophoto move together: the relative path still finds it
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(path, moved / "district.gpkg")
    shutil.copy(tif, moved / "ortho.tif")
    with Store.open(moved / "district.gpkg", read_only=True) as store:
        assert project_layers(store)[0].path(moved).exists()
    capsys.readouterr()
    assert main(["layers", "list", str(path)]) == 0
    assert "ortho" in capsys.readouterr().out
    assert main(["layers", "remove", str(path), "osm"]) == 0
    assert main(["layers", "remove", str(path), "osm"]) != 0
    assert "no map layer" in capsys.readouterr().err
    with Store.open(path) as store:
        assert [la.name for la in project_layers(store)] == ["ortho"]
        with pytest.raises(NotFoundError):
            remove_project_layer(store, "osm")
        with pytest.raises(ValidationError):
            add_project_layer(store, make_layer(str(tif)))


def test_the_gdal_validator_accepts_a_project_with_kept_layers(project, tmp_path):
    validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
    if not shutil.which("/usr/bin/python3") or not __import__("os").path.exists(validator):
        pytest.skip("missing tool: validate_gpkg.py (Debian package python3-gdal)")
    with Store.open(project["path"]) as store:
        add_project_layer(store, make_layer("https://tile.openstreetmap.org/{z}/{x}/{y}.png"))
    run = subprocess.run(["/usr/bin/python3", validator, str(project["path"])],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


# -- tiles from a real server -------------------------------------------------------------
def test_tiles_are_fetched_cached_and_faults_reported(project, cache):
    with tile_server(project["merc_centre"]) as server:
        fetcher = TileFetcher(cache)
        tiles = [(15, x, y) for x in range(3) for y in range(2)]
        report = FetchReport()
        got = fetcher.fetch(server.url(), server.url(), tiles, report)
        assert len(got) == 6 and report.failed == 0 and server.requests["quad"] == 6
        again = fetcher.fetch(server.url(), server.url(), tiles, FetchReport())
        assert again == got and server.requests["quad"] == 6  # all from the disk cache
        for kind, reason in (("missing", "HTTP 404"), ("broken", "HTTP 500")):
            report = FetchReport()
            assert fetcher.fetch(server.url(kind), server.url(kind), tiles, report) == {}
            assert report.failed == 6 and report.reasons == {reason: 6}
        port = server.httpd.server_address[1]
    down = f"http://127.0.0.1:{port}/quad/{{z}}/{{x}}/{{y}}.png?down"
    report = FetchReport()
    assert fetcher.fetch(down, down, tiles, report) == {}
    assert report.failed == 6 and len(report.reasons) == 1  # asked once, not six times
    fetcher.close()


def test_cached_tiles_never_wait_and_the_rest_arrive_in_the_background(project, cache):
    with tile_server(project["merc_centre"]) as server:
        fetcher = TileFetcher(cache)
        arrived = threading.Event()
        fetcher.on_arrival = arrived.set
        tiles = [(14, x, 0) for x in range(4)]
        report = FetchReport()
        assert fetcher.cached(server.url(), server.url(), tiles, report) == {}
        assert report.pending == 4
        assert arrived.wait(10)
        report = FetchReport()
        assert len(fetcher.cached(server.url(), server.url(), tiles, report)) == 4
        assert report.pending == 0
        fetcher.close()


def test_the_cache_keeps_under_its_size_limit(tmp_path):
    cache = TileCache(tmp_path / "tiles", limit_bytes=10_000)
    for x in range(40):
        cache.put("http://h/{z}/{x}/{y}.png", (10, x, 0), b"x" * 1000)
    cache.prune()
    assert cache.size() <= 10_000
    assert cache.get("http://h/{z}/{x}/{y}.png", (10, 39, 0)) is not None  # newest kept


def test_a_key_is_not_part_of_the_cache(tmp_path):
    cache = TileCache(tmp_path / "tiles")
    cache.put("http://h/{z}/{x}/{y}.png?tk=AAA", (1, 0, 0), b"tile")
    assert cache.get("http://h/{z}/{x}/{y}.png?tk=BBB", (1, 0, 0)) == b"tile"


# -- pixels in the project CRS ------------------------------------------------------------
def _expected(project, grid: ViewGrid, row: int, col: int, to_centre: str) -> str:
    x0, y0, x1, y1 = grid.extent
    x = x0 + (col + 0.5) * (x1 - x0) / grid.width
    y = y1 - (row + 0.5) * (y1 - y0) / grid.height
    if to_centre == "merc":
        return quadrant(*project["to_merc"].transform(x, y), *project["merc_centre"])
    return quadrant(*project["to_lonlat"].transform(x, y),
                    *project["to_lonlat"].transform(*project["centre"]))


def _check_quadrants(project, grid, rgba, to_centre: str, margin: int = 3) -> int:
    """Every pixel away from the quadrant borders has its quadrant's colour."""
    checked = 0
    for row in range(0, grid.height, 7):
        for col in range(0, grid.width, 7):
            names = {_expected(project, grid, r, c, to_centre)
                     for r in (row - margin, row + margin) for c in (col - margin, col + margin)}
            if len(names) != 1:
                continue  # near a border: resampling mixes colours
            assert tuple(rgba[row, col, :3]) == COLOURS[names.pop()], (row, col)
            assert rgba[row, col, 3] == 255
            checked += 1
    return checked


def test_tiles_land_at_their_place_in_the_project_crs(project, cache):
    grid = ViewGrid(project["view"], 240, 240, project["crs"])
    with tile_server(project["merc_centre"]) as server:
        layer = make_layer(server.url())
        report = FetchReport()
        rgba = tiles_rgba(layer, grid, TileFetcher(cache), report)
    assert report.failed == 0
    assert _check_quadrants(project, grid, rgba, "merc") > 1000


def test_a_raster_is_warped_like_gdalwarp_does(project, tmp_path):
    if shutil.which("gdalwarp") is None:
        pytest.skip("missing tool: gdalwarp (Debian package gdal-bin)")
    lon, lat = project["to_lonlat"].transform(*project["centre"])
    tif = write_quadrant_geotiff(tmp_path / "ortho.tif", "EPSG:4326",
                                 (lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02), (lon, lat))
    grid = ViewGrid(project["view"], 200, 200, project["crs"])
    rgba = raster_rgba(make_layer(str(tif)), grid)
    assert _check_quadrants(project, grid, rgba, "lonlat") > 600
    # GDAL's own command (the system's GDAL, not rasterio's) on the same grid
    (tmp_path / "crs.wkt").write_text(project["crs"])
    x0, y0, x1, y1 = grid.extent
    subprocess.run(["gdalwarp", "-q", "-t_srs", str(tmp_path / "crs.wkt"), "-te", str(x0),
                    str(y0), str(x1), str(y1), "-ts", "200", "200", "-r", "bilinear",
                    "-dstalpha", str(tif), str(tmp_path / "warped.tif")], check=True)
    import rasterio

    with rasterio.open(tmp_path / "warped.tif") as src:
        oracle = src.read().transpose(1, 2, 0)
    differ = np.abs(oracle[..., :3].astype(int) - rgba[..., :3].astype(int)).max(axis=2) > 8
    assert differ.mean() < 0.01, differ.mean()


def test_a_raster_far_from_the_view_draws_nothing(project, tmp_path):
    tif = write_quadrant_geotiff(tmp_path / "far.tif", "EPSG:4326", (10, 50, 11, 51),
                                 (10.5, 50.5))
    grid = ViewGrid(project["view"], 50, 50, project["crs"])
    assert not raster_rgba(make_layer(str(tif)), grid)[..., 3].any()


def test_crs_of_project_is_projected(project):
    assert CRS.from_wkt(project["crs"]).is_projected


# -- offline in a field package -------------------------------------------------------------
def test_a_field_package_takes_the_base_map_offline_for_qgis(project, cache, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    from tests.gpkg_checks import run_pyqgis

    cx, cy = project["centre"]
    gpd.GeoDataFrame({"bgid": ["1", "2"]}, geometry=[
        shapely.box(cx, cy, cx + 100, cy + 100), shapely.box(cx + 50_000, cy, cx + 50_100, cy + 100)],
        crs=CRS.from_wkt(project["crs"])).to_crs(4326).to_file(tmp_path / "grid.shp")
    assert main(["layers", "add", str(project["path"]), str(tmp_path / "grid.shp")]) == 0
    with tile_server(project["merc_centre"]) as server:
        assert main(["layers", "add", str(project["path"]), server.url(), "--name", "tiles"]) == 0
        capsys.readouterr()
        out = tmp_path / "pkg.gpkg"
        assert main(["field-package", str(project["path"]), "--out", str(out), "--bbox",
                     ",".join(str(v) for v in project["view"]), "--basemap-zoom", "15"]) == 0
    printed = capsys.readouterr().out
    assert "base map:" in printed and "MB" in printed and "pkg_basemap.mbtiles" in printed
    assert "pkg_reference.gpkg: reference layers grid 1" in printed  # the far cell stays home
    mbtiles = tmp_path / "pkg_basemap.mbtiles"
    with Store.open(out, read_only=True) as package:
        (x0, y0, x1, y1), _ = package.asset_extent(["road_segment", "bridge", "green_space",
                                                    "litter_bin"])
    result = run_pyqgis("""
        import sys
        from qgis.core import QgsProject, QgsCoordinateTransform, QgsRectangle
        project = QgsProject.instance()
        assert project.read(sys.argv[1])
        rasters = [la for la in project.mapLayers().values() if la.type() == 1]
        layer = rasters[0]
        to_project = QgsCoordinateTransform(layer.crs(), project.crs(), project)
        e = to_project.transformBoundingBox(layer.extent())
        grid = project.mapLayersByName("grid")[0]
        emit({"grid": [grid.isValid(), grid.featureCount()],
              "valid": layer.isValid(), "name": layer.name(), "source": layer.source(),
              "extent": [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()],
              "count": len(rasters), "bands": layer.bandCount()})
    """, out.with_suffix(".qgz"))
    assert result["valid"] and result["count"] == 1 and result["name"] == "tiles"
    assert result["grid"] == [True, 1]
    assert result["source"].endswith("pkg_basemap.mbtiles") and result["bands"] >= 3
    ex0, ey0, ex1, ey1 = result["extent"]
    assert ex0 <= x0 and ey0 <= y0 and ex1 >= x1 and ey1 >= y1  # covers the package
    assert mbtiles.stat().st_size > 10_000


def test_qgis_opening_the_file_sees_the_kept_layers(project, tmp_path):
    import geopandas as gpd
    import shapely

    from tests.gpkg_checks import run_pyqgis

    path = project["path"]
    lon, lat = project["to_lonlat"].transform(*project["centre"])
    tif = write_quadrant_geotiff(path.parent / "ortho.tif", "EPSG:4326",
                                 (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), (lon, lat))
    cx, cy = project["centre"]
    gpd.GeoDataFrame({"bgid": ["1"]}, geometry=[shapely.box(cx, cy, cx + 100, cy + 100)],
                     crs=CRS.from_wkt(project["crs"])).to_file(path.parent / "grid.shp")
    assert main(["layers", "add", str(path), str(tif), "--opacity", "0.5"]) == 0
    assert main(["layers", "add", str(path), str(path.parent / "grid.shp")]) == 0
    assert main(["layers", "add", str(path), "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "--name", "osm"]) == 0
    result = run_pyqgis("""
        import sys
        from qgis.core import QgsProject
        project = QgsProject.instance()
        assert project.read(f"geopackage:{sys.argv[1]}?projectName=citymgr")
        root = project.layerTreeRoot()
        names = [n.name() for n in root.findLayers()]
        layers = {la.name(): la for la in project.mapLayers().values()}
        emit({"order": names,
              "valid": {k: v.isValid() for k, v in layers.items()},
              "kinds": {k: v.type() for k, v in layers.items()},
              "crs": {k: v.crs().authid() for k, v in layers.items()}})
    """, path)
    order = result["order"]
    # reference vectors over the assets, tiles and rasters under them (top first)
    assert order.index("grid") < order.index("垃圾箱") < order.index("osm") < order.index("ortho")
    assert result["valid"]["ortho"] and result["valid"]["grid"] and result["valid"]["垃圾箱"]
    assert result["kinds"]["ortho"] == 1 and result["kinds"]["grid"] == 0
    assert result["crs"]["ortho"] == "EPSG:4326" and result["crs"]["osm"] == "EPSG:3857"
