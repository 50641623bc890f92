"""WMTS base maps from a capabilities URL: the test's tile server publishes a capabilities
document with a Web Mercator set (``w``, RESTful ResourceURL) and a CGCS2000 geographic set
(``c``, EPSG:4490, latitude first, 天地图's denominators, KVP GetTile); tiles of both land at
their place in the project CRS, and a bad document or choice is one line."""

from __future__ import annotations

import threading

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core.basemaps import (
    FetchReport,
    MapLayer,
    TileFetcher,
    ViewGrid,
    make_layer,
    project_layers,
    raster_rgba,
    tiles_rgba,
)
from citymgr_desktop.core.basemaps.raster import tiles_mosaic
from citymgr_desktop.core.errors import BadFileError, ValidationError
from citymgr_desktop.core.store import Store
from tests.basemap_support import tile_server
from tests.core.test_basemaps import _check_quadrants, cache, project  # noqa: F401


def _capabilities(server, query: str = "", page: str = "capabilities") -> str:
    return f"wmts:http://127.0.0.1:{server.httpd.server_address[1]}/wmts/{page}{query}"


@pytest.mark.parametrize(("query", "tile_set"), [
    ("?layer=quad&tilematrixset=w", "w"),  # RESTful, Web Mercator
    ("?layer=quadkvp&tilematrixset=c&style=default&format=image/png", "c"),  # KVP, EPSG:4490
])
def test_wmts_tiles_land_at_their_place_in_the_project_crs(project, cache, query,  # noqa: F811
                                                           tile_set):
    grid = ViewGrid(project["view"], 240, 240, project["crs"])
    with tile_server(project["merc_centre"]) as server:
        layer = make_layer(_capabilities(server, query))
        report = FetchReport()
        fetcher = TileFetcher(cache)
        rgba = tiles_rgba(layer, grid, fetcher, report)
        assert report.failed == 0 and layer.kind == "wmts"
        assert server.wmts_tiles[tile_set] > 0 and len(server.wmts_tiles) == 1
        assert _check_quadrants(project, grid, rgba, "merc") > 1000
        served = server.wmts_tiles[tile_set]
        again = tiles_rgba(layer, grid, TileFetcher(cache), FetchReport())  # the disk cache
        assert server.wmts_tiles[tile_set] == served and (again == rgba).all()
        fetcher.close()


def test_a_bad_capabilities_document_or_choice_is_refused(cache):  # noqa: F811
    with tile_server((0.0, 0.0)) as server:
        with pytest.raises(BadFileError, match="not a WMTS capabilities document") as err:
            make_layer(_capabilities(server, page="notcaps"))
        assert "WMTS" in err.value.render("zh_CN")
        with pytest.raises(ValidationError, match=r"no WMTS layer 'roads' .*quad, quadkvp"):
            make_layer(_capabilities(server, "?layer=roads"))
        with pytest.raises(ValidationError, match="no tile matrix set 'x'"):
            make_layer(_capabilities(server, "?layer=quad&tilematrixset=x"))
        with pytest.raises(BadFileError, match="HTTP 404"):
            make_layer(_capabilities(server, page="nothing"))
    with pytest.raises(ValidationError, match="wmts: and the capabilities URL"):
        make_layer("wmts:ftp://example.org/caps.xml")


def test_a_wmts_layer_is_kept_in_the_project(project, cache, capsys):  # noqa: F811
    with tile_server(project["merc_centre"]) as server:
        location = _capabilities(server, "?layer=quad&tilematrixset=c")
        assert main(["layers", "add", str(project["path"]), location, "--name", "wmts"]) == 0
        assert main(["layers", "add", str(project["path"]),
                     _capabilities(server, "?layer=nothing"), "--name", "bad"]) != 0
    err = capsys.readouterr().err.strip()
    assert "no WMTS layer 'nothing'" in err and "\n" not in err and "Traceback" not in err
    with Store.open(project["path"], read_only=True) as store:
        kept = project_layers(store)
    # kept with the whole choice and the set's CRS, as QGIS needs them
    assert [(la.name, la.kind, la.location, la.crs) for la in kept] == [
        ("wmts", "wmts", location + "&style=default&format=image/png", "EPSG:4490")]


def test_qgis_draws_the_kept_wmts_layer_from_the_embedded_project(project, cache):  # noqa: F811
    """PyQGIS 3.22 reads the file's embedded project while the test's server runs: the WMTS
    layer is valid, in EPSG:4490, under the assets, and QGIS draws its tiles."""
    from tests.gpkg_checks import run_pyqgis

    path = project["path"]
    with tile_server(project["merc_centre"]) as server:
        location = _capabilities(server, "?layer=quad&tilematrixset=c")
        assert main(["layers", "add", str(path), location, "--name", "天地图2000"]) == 0
        served = server.wmts_tiles["c"]
        result = run_pyqgis("""
            import sys
            from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings, QgsProject
            from qgis.PyQt.QtCore import QSize
            project = QgsProject.instance()
            assert project.read(f"geopackage:{sys.argv[1]}?projectName=citymgr")
            names = [n.name() for n in project.layerTreeRoot().findLayers()]
            layer = project.mapLayersByName("天地图2000")[0]
            settings = QgsMapSettings()
            settings.setLayers([layer])
            settings.setDestinationCrs(layer.crs())
            settings.setExtent(layer.extent())
            settings.setOutputSize(QSize(256, 256))
            job = QgsMapRendererSequentialJob(settings)
            job.start()
            job.waitForFinished()
            emit({"order": names, "valid": layer.isValid(), "crs": layer.crs().authid(),
                  "provider": layer.providerType()})
        """, path)
        drawn = server.wmts_tiles["c"] - served
    assert result["valid"] and result["crs"] == "EPSG:4490" and result["provider"] == "wms"
    assert result["order"].index("垃圾箱") < result["order"].index("天地图2000")
    assert drawn > 0  # QGIS asked the server for tiles of the set


def test_the_canvas_never_waits_for_the_capabilities(project, cache):  # noqa: F811
    grid = ViewGrid(project["view"], 240, 240, project["crs"])
    with tile_server(project["merc_centre"]) as server:
        location = _capabilities(server, "?layer=quad&tilematrixset=w&canvas")
        layer = MapLayer(name="wmts", kind="wmts", location=location)  # as read from a project
        fetcher = TileFetcher(cache)
        arrived = threading.Event()
        fetcher.on_arrival = arrived.set
        report = FetchReport()
        assert tiles_mosaic(layer, grid, fetcher, report, wait=False) is None
        assert report.pending == 1 and arrived.wait(10)  # the document came in the background
        arrived.clear()
        report = FetchReport()
        tiles_mosaic(layer, grid, fetcher, report, wait=False)  # tiles asked for, not awaited
        assert report.pending > 0 and arrived.wait(10)
        mosaic = tiles_mosaic(layer, grid, fetcher, FetchReport(), wait=False)
        assert mosaic is not None and mosaic.crs_wkt == "EPSG:3857"
        fetcher.close()


def test_a_field_package_takes_a_wmts_base_map_offline_for_qgis(project, cache, tmp_path,  # noqa: F811
                                                               capsys):
    """A kept 天地图-like CGCS2000 WMTS goes offline as GeoPackage tiles in EPSG:4490: GDAL's
    validator accepts the file, GDAL warps its tiles to the quadrant colours where they
    belong, and PyQGIS opening the package's .qgz finds a valid raster covering it."""
    from tests.core.test_basemaps import _check_quadrants
    from tests.gpkg_checks import assert_valid_gpkg, run_pyqgis

    out = tmp_path / "pkg.gpkg"
    with tile_server(project["merc_centre"]) as server:
        location = _capabilities(server, "?layer=quad&tilematrixset=c")
        assert main(["layers", "add", str(project["path"]), location, "--name", "影像"]) == 0
        capsys.readouterr()
        assert main(["field-package", str(project["path"]), "--out", str(out), "--bbox",
                     ",".join(str(v) for v in project["view"]), "--basemap-zoom", "16"]) == 0
        assert server.wmts_tiles["c"] > 0 and not server.wmts_tiles["w"]
    printed = capsys.readouterr().out
    assert "base map:" in printed and "tile matrices" in printed and "pkg_basemap.gpkg" in printed
    tiles = tmp_path / "pkg_basemap.gpkg"
    assert_valid_gpkg(tiles, extra=False)
    grid = ViewGrid(project["view"], 240, 240, project["crs"])
    rgba = raster_rgba(make_layer(str(tiles)), grid)
    assert _check_quadrants(project, grid, rgba, "merc") > 1000
    with Store.open(out, read_only=True) as package:
        (x0, y0, x1, y1), _ = package.asset_extent(["road_segment", "bridge", "green_space",
                                                    "litter_bin"])
    result = run_pyqgis("""
        import sys
        from qgis.core import QgsProject, QgsCoordinateTransform
        project = QgsProject.instance()
        assert project.read(sys.argv[1])
        layer = [la for la in project.mapLayers().values() if la.type() == 1][0]
        e = QgsCoordinateTransform(layer.crs(), project.crs(), project).transformBoundingBox(
            layer.extent())
        emit({"valid": layer.isValid(), "name": layer.name(), "source": layer.source(),
              "crs": layer.crs().authid(), "bands": layer.bandCount(),
              "extent": [e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()]})
    """, out.with_suffix(".qgz"))
    assert result["valid"] and result["name"] == "影像" and result["crs"] == "EPSG:4490"
    assert result["source"].split("|")[0].endswith("pkg_basemap.gpkg") and result["bands"] >= 3
    ex0, ey0, ex1, ey1 = result["extent"]
    assert ex0 <= x0 and ey0 <= y0 and ex1 >= x1 and ey1 >= y1  # covers the package
