"""Base maps and reference layers on the map through the real doors: ``citymgr render`` and
``citymgr print-map`` with a tile server started here, an MBTiles and a GeoTIFF written by
GDAL, a Shapefile; pixels of the PNG (and of the printed page) at known coordinates have
the colour that belongs there, and faults leave the assets drawn and are said in one line."""

from __future__ import annotations

import json
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from PySide6.QtGui import QImage

from citymgr_desktop.cli import main
from citymgr_desktop.core.store import Store
from tests.basemap_support import (
    COLOURS,
    quadrant,
    tile_server,
    write_mbtiles,
    write_quadrant_geotiff,
)

SIZE = 300
HALF = 400.0  # metres: a 800 m square view around the district's centre


@pytest.fixture
def place(qapp, district, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYMGR_TILE_CACHE", str(tmp_path / "tiles"))
    with Store.open(district, read_only=True) as store:
        crs = store.project_crs()
        (x0, y0, x1, y1), _ = store.asset_extent(["road_segment"])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    to_merc = Transformer.from_crs(crs, 3857, always_xy=True)
    to_lonlat = Transformer.from_crs(crs, 4326, always_xy=True)
    return {"file": str(district), "crs": crs, "centre": (cx, cy),
            "bbox": f"{cx - HALF},{cy - HALF},{cx + HALF},{cy + HALF}",
            "to_merc": to_merc, "merc_centre": to_merc.transform(cx, cy),
            "to_lonlat": to_lonlat, "lonlat_centre": to_lonlat.transform(cx, cy)}


def render(place, out, *extra, layers="litter_bin") -> np.ndarray:
    args = ["render", place["file"], "--out", str(out), "--size", f"{SIZE}x{SIZE}",
            "--bbox", place["bbox"], "--no-antialias", "--no-labels", "--layers", layers,
            *extra]
    assert main(args) == 0
    return pixels(QImage(str(out)))


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, bpl)[:, :w * 3].reshape(
        h, w, 3).copy()  # the image is freed when this returns


def map_xy(place, row: float, col: float, size: int = SIZE) -> tuple[float, float]:
    cx, cy = place["centre"]
    return (cx - HALF + (col + 0.5) * 2 * HALF / size, cy + HALF - (row + 0.5) * 2 * HALF / size)


def check_background(place, plain, drawn, to: str, blend: float = 1.0) -> int:
    """Where the plain render is white (no asset), ``drawn`` shows the quadrant colour
    (blended over white with ``blend``) of that place; returns the pixels checked."""
    transformer, centre = place[f"to_{to}"], place[f"{to}_centre"]
    checked = 0
    for row in range(4, SIZE - 30, 5):  # the bottom rows hold the attribution
        for col in range(4, SIZE - 4, 5):
            if tuple(plain[row, col]) != (255, 255, 255):
                continue
            names = {quadrant(*transformer.transform(*map_xy(place, r, c)), *centre)
                     for r in (row - 3, row + 3) for c in (col - 3, col + 3)}
            if len(names) != 1:
                continue
            expected = np.array(COLOURS[names.pop()]) * blend + 255 * (1 - blend)
            assert np.abs(drawn[row, col].astype(float) - expected).max() <= 3, (row, col)
            checked += 1
    return checked


def test_tiles_from_a_server_under_the_assets(place, tmp_path, capsys):
    plain = render(place, tmp_path / "plain.png")
    with tile_server(place["merc_centre"]) as server:
        drawn = render(place, tmp_path / "tiles.png", "--basemap", server.url())
        assert server.requests["quad"] > 0
        # the assets are on top: the inside of every marker is unchanged (its smoothed
        # edge mixes with what is under it)
        painted = np.any(plain != 255, axis=2)
        inside = painted.copy()
        for dr in (-2, -1, 0, 1, 2):
            for dc in (-2, -1, 0, 1, 2):
                inside &= np.roll(np.roll(painted, dr, 0), dc, 1)
        inside[-30:] = False
        assert inside.sum() > 50
        assert (drawn[inside] == plain[inside]).all(axis=1).mean() > 0.95
        assert check_background(place, plain, drawn, "merc") > 500
        # a second run is served by the disk cache
        before = server.requests["quad"]
        render(place, tmp_path / "again.png", "--basemap", server.url())
        assert server.requests["quad"] == before
    assert "warning" not in capsys.readouterr().err


def test_wmts_geographic_tiles_from_a_capabilities_url(place, tmp_path, capsys):
    """天地图-like CGCS2000 (EPSG:4490) tiles chosen from a capabilities document, warped
    to the project CRS under the assets; a layer the document does not have is one line."""
    plain = render(place, tmp_path / "plain.png")
    with tile_server(place["merc_centre"]) as server:
        caps = f"wmts:http://127.0.0.1:{server.httpd.server_address[1]}/wmts/capabilities"
        drawn = render(place, tmp_path / "wmts.png", "--basemap",
                       f"{caps}?layer=quad&tilematrixset=c")
        assert server.wmts_tiles["c"] > 0
        assert check_background(place, plain, drawn, "merc") > 500
        assert main(["render", place["file"], "--out", str(tmp_path / "bad.png"),
                     "--basemap", f"{caps}?layer=roads"]) != 0
    err = capsys.readouterr().err.strip()
    assert "no WMTS layer 'roads'" in err and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "bad.png").exists()


@pytest.mark.parametrize("kind, reason", [("missing", "HTTP 404"), ("broken", "HTTP 500"),
                                          ("badkey", "not an image")])
def test_a_failing_tile_server_leaves_the_assets_and_says_so(place, tmp_path, capsys, kind,
                                                             reason):
    plain = render(place, tmp_path / "plain.png")
    capsys.readouterr()
    with tile_server(place["merc_centre"]) as server:
        drawn = render(place, tmp_path / "failed.png", "--basemap", server.url(kind))
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tile(s) missing" in err[0] and reason in err[0], err
    assert np.array_equal(drawn[:-30], plain[:-30])  # all but the attribution corner


def test_a_server_that_is_down_is_one_line_in_chinese_too(place, tmp_path, capsys):
    assert main(["--lang", "zh_CN", "render", place["file"], "--out", str(tmp_path / "d.png"),
                 "--size", "100x100", "--basemap", "http://127.0.0.1:9/{z}/{x}/{y}.png"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "底图" in err[0] and "缺少" in err[0], err


def test_an_mbtiles_written_by_gdal(place, tmp_path):
    lon, lat = place["lonlat_centre"]
    tif = write_quadrant_geotiff(tmp_path / "q.tif", "EPSG:4326",
                                 (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), (lon, lat),
                                 size=600)
    mbtiles = write_mbtiles(tif, tmp_path / "q.mbtiles")
    plain = render(place, tmp_path / "plain.png")
    drawn = render(place, tmp_path / "mb.png", "--basemap", str(mbtiles))
    assert check_background(place, plain, drawn, "lonlat") > 500


def test_a_geotiff_reference_with_opacity_and_a_shapefile_over_the_assets(place, tmp_path,
                                                                          capsys):
    lon, lat = place["lonlat_centre"]
    tif = write_quadrant_geotiff(tmp_path / "ortho.tif", "EPSG:4326",
                                 (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), (lon, lat))
    # a 天地图-style grid cell (单元网格) boundary, in another CRS than the project
    cx, cy = place["centre"]
    cell = shapely.box(cx + 100, cy + 100, cx + 250, cy + 250)
    gpd.GeoDataFrame({"bgid": ["420106001001"]}, geometry=[cell], crs=place["crs"]).to_crs(
        4326).to_file(tmp_path / "grid.shp")
    assert main(["layers", "add", place["file"], str(tif), "--opacity", "0.5"]) == 0
    assert main(["layers", "add", place["file"], str(tmp_path / "grid.shp"), "--fill",
                 "#00ffff", "--outline", "#ff00ff"]) == 0
    plain = render(place, tmp_path / "plain.png", "--no-project-layers")
    drawn = render(place, tmp_path / "kept.png")
    inside = np.zeros((SIZE, SIZE), dtype=bool)
    for row in range(SIZE):
        for col in range(SIZE):
            inside[row, col] = cell.buffer(-15).contains(shapely.Point(map_xy(place, row, col)))
    assert inside.sum() > 50
    assert (drawn[inside] == (0, 255, 255)).all()  # the fill covers the assets there
    outside = ~cell.buffer(15).contains(shapely.points(
        [[map_xy(place, r, c) for c in range(SIZE)] for r in range(SIZE)]))
    plain_out = np.where(outside[..., None], plain, 0)  # only check pixels outside the cell
    assert check_background(place, plain_out, drawn, "lonlat", blend=0.5) > 400
    capsys.readouterr()
    assert main(["render", place["file"], "--out", str(tmp_path / "j.png"), "--size", "64x64",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["missing_layers"] == []


def test_a_kept_layer_whose_file_went_away_is_said_and_the_assets_drawn(place, tmp_path,
                                                                        capsys):
    lon, lat = place["lonlat_centre"]
    tif = write_quadrant_geotiff(tmp_path / "gone.tif", "EPSG:4326",
                                 (lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01), (lon, lat))
    assert main(["layers", "add", place["file"], str(tif)]) == 0
    tif.unlink()
    plain = render(place, tmp_path / "plain.png", "--no-project-layers")
    capsys.readouterr()
    drawn = render(place, tmp_path / "gone.png")
    assert "gone" in capsys.readouterr().err
    assert np.array_equal(drawn, plain)


def test_a_printed_page_shows_the_base_map_and_says_when_it_is_missing(place, tmp_path):
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        pytest.skip("missing tool: pdftoppm (Debian package poppler-utils)")
    with tile_server(place["merc_centre"]) as server:
        out = tmp_path / "map.pdf"
        assert main(["print-map", place["file"], "--out", str(out), "--paper", "A4",
                     "--bbox", place["bbox"], "--basemap", server.url(), "--lang", "en",
                     "--layers", "litter_bin"]) == 0
        bad = tmp_path / "bad.pdf"
        assert main(["print-map", place["file"], "--out", str(bad), "--paper", "A4",
                     "--bbox", place["bbox"], "--basemap", server.url("missing"),
                     "--lang", "zh_CN"]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Base map missing" not in text
    assert "底图缺失" in subprocess.run(["pdftotext", str(bad), "-"], capture_output=True,
                                     text=True).stdout
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True)
    page = pixels(QImage(str(tmp_path / "page.png")))
    colours = {tuple(c) for c in page.reshape(-1, 3)[::7]}
    near = {name for name, rgb in COLOURS.items()
            if any(np.abs(np.array(c) - rgb).max() <= 4 for c in colours)}
    assert near == set(COLOURS)  # all four quadrants of the tiles are on the page


def test_work_order_pdfs_draw_the_kept_layers(place, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("missing tool: pdftoppm (Debian package poppler-utils)")
    lon, lat = place["lonlat_centre"]
    tif = write_quadrant_geotiff(tmp_path / "ortho.tif", "EPSG:4326",
                                 (lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05), (lon, lat))
    assert main(["layers", "add", place["file"], str(tif)]) == 0
    out = tmp_path / "orders.pdf"
    assert main(["workorders", "export", place["file"], "--format", "pdf", "--out", str(out),
                 "--state", "dispatched"]) == 0
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile",
                    str(out), str(tmp_path / "order")], check=True)
    page = pixels(QImage(str(tmp_path / "order.png")))
    colours = {tuple(c) for c in page.reshape(-1, 3)[::3]}
    near = {name for name, rgb in COLOURS.items()
            if any(np.abs(np.array(c) - rgb).max() <= 6 for c in colours)}
    assert near, "the orthophoto is not under the work order's map extract"


def test_a_pan_frame_keeps_the_attribution_in_its_corner(place, tmp_path):
    from citymgr_desktop.core.basemaps import make_layer
    from citymgr_desktop.render import RenderOptions, load_map, render_frame
    from citymgr_desktop.render.backdrop import Backdrop

    lon, lat = place["lonlat_centre"]
    tif = write_quadrant_geotiff(tmp_path / "o.tif", "EPSG:4326",
                                 (lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05), (lon, lat))
    backdrop = Backdrop([make_layer(str(tif), attribution="© 测试 Attribution")], wait=False)
    with Store.open(place["file"], read_only=True) as store:
        data = load_map(store, layers=["litter_bin"])
    cx, cy = place["centre"]
    before = (cx - HALF, cy - HALF, cx + HALF, cy + HALF)
    quick = {"antialias": False, "labels": False, "backdrop": backdrop}
    image, result = render_frame(data, before, (SIZE, SIZE), RenderOptions(**quick))
    step = 17 * result.view.units_per_pixel
    after = (before[0] + step, before[1] + step, before[2] + step, before[3] + step)
    panned, _ = render_frame(data, after, (SIZE, SIZE),
                             RenderOptions(**quick, previous=(image, before)))
    whole, _ = render_frame(data, after, (SIZE, SIZE), RenderOptions(**quick))
    box = backdrop.attribution_rect(result.view).toAlignedRect()
    a = pixels(panned)[box.top():box.bottom(), box.left():box.right()]
    b = pixels(whole)[box.top():box.bottom(), box.left():box.right()]
    assert a.size and (a == b).all(axis=2).mean() > 0.97
