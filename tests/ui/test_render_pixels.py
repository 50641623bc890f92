"""The renderer puts things where they are, in the colours of their category: checked on
pixels of images it draws (no antialiasing, so colours are exact)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPdfWriter

from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import (
    MapView,
    RenderOptions,
    draw_map,
    legend_entries,
    load_map,
    render_frame,
    render_image,
)

SIZE = (240, 240)


def rgb(image: QImage, p: QPointF) -> str:
    return QColor(image.pixel(round(p.x() - 0.5), round(p.y() - 0.5))).name()


@pytest.fixture
def data(qapp, district):
    with Store.open(district, read_only=True) as store:
        return load_map(store)


def isolated_bins(store: Store, min_gap: float = 40.0) -> gpd.GeoDataFrame:
    """Bins with no other bin within ``min_gap`` metres (their markers stand alone)."""
    bins = store.read("litter_bin", columns=["asset_uuid", "condition"])
    geoms = bins.geometry.values
    tree = shapely.STRtree(geoms)
    near = tree.query(geoms, predicate="dwithin", distance=min_gap)
    counts = np.bincount(near[0], minlength=len(bins))
    return bins[counts == 1]


def frame(data, cx: float, cy: float, half: float = 60.0, **kw):
    opts = RenderOptions(antialias=False, labels=False, lod=False, **kw)
    return render_frame(data, (cx - half, cy - half, cx + half, cy + half), SIZE, opts)


def test_a_bin_lands_on_its_pixel_in_its_condition_colour(data, district):
    with Store.open(district, read_only=True) as store:
        bins = isolated_bins(store)
    assert len(bins) > 20
    checked = set()
    for _fid, row in bins.iterrows():
        cond = None if row["condition"] != row["condition"] else int(row["condition"])
        if cond in checked:
            continue
        x, y = row.geometry.x, row.geometry.y
        image, result = frame(data, x, y, layers=["litter_bin"])
        p = result.view.point_to_device(x, y)
        assert abs(p.x() - SIZE[0] / 2) < 1 and abs(p.y() - SIZE[1] / 2) < 1
        assert rgb(image, p) == sy.CONDITION_COLOURS[cond], f"condition {cond}"
        # the marker is 1.8 mm across: ~3.4 px from the centre is still the fill,
        # ~6 px away is the white background
        assert rgb(image, p + QPointF(2, 0)) == sy.CONDITION_COLOURS[cond]
        assert rgb(image, p + QPointF(8, 0)) == "#ffffff"
        checked.add(cond)
    assert checked >= {1, 2, 3, 4, 5}


def test_map_coordinates_run_east_and_north(data, district):
    with Store.open(district, read_only=True) as store:
        bins = isolated_bins(store, 30.0)
    row = bins.iloc[0]
    x, y = row.geometry.x, row.geometry.y
    # the same bin, seen from a view centred 30 m west and 20 m south of it
    image, result = frame(data, x - 30, y - 20, layers=["litter_bin"])
    p = result.view.point_to_device(x, y)
    k = 1 / result.view.units_per_pixel
    assert p.x() == pytest.approx(SIZE[0] / 2 + 30 * k, abs=0.01)
    assert p.y() == pytest.approx(SIZE[1] / 2 - 20 * k, abs=0.01)
    cond = row["condition"]
    colour = sy.CONDITION_COLOURS[None if cond != cond else int(cond)]
    assert rgb(image, p) == colour


def test_selected_bin_is_highlighted(data, district):
    with Store.open(district, read_only=True) as store:
        row = isolated_bins(store).iloc[3]
    x, y = row.geometry.x, row.geometry.y
    image, result = frame(data, x, y, layers=["litter_bin"],
                          selection={"litter_bin": [row["asset_uuid"]]})
    assert rgb(image, result.view.point_to_device(x, y)) == sy.SELECTION_COLOUR


def test_road_midpoint_has_its_category_colour(data, district):
    with Store.open(district, read_only=True) as store:
        roads = store.read("road_segment", columns=["condition"])
    roads = roads[roads["condition"] == 5]
    line = roads.geometry.iloc[0]
    mid = line.interpolate(0.5, normalized=True)
    image, result = frame(data, mid.x, mid.y, layers=["road_segment"])
    assert rgb(image, result.view.point_to_device(mid.x, mid.y)) == sy.CONDITION_COLOURS[5]


def test_green_space_is_filled_translucent_over_white(data, district):
    with Store.open(district, read_only=True) as store:
        parks = store.read("green_space", columns=["condition"])
    park = parks[parks["condition"] == 1].geometry.iloc[0]
    inside = park.representative_point()
    image, result = frame(data, inside.x, inside.y, layers=["green_space"])
    got = QColor(image.pixel(result.view.point_to_device(inside.x, inside.y).toPoint()))
    base = QColor(sy.CONDITION_COLOURS[1])
    alpha = sy.CLASS_SYMBOLS["green_space"].fill_alpha / 255
    expect = [round(c * alpha + 255 * (1 - alpha)) for c in (base.red(), base.green(), base.blue())]
    assert [got.red(), got.green(), got.blue()] == pytest.approx(expect, abs=2)


def test_foreign_layers_in_another_crs_are_reprojected_with_default_symbols(qapp, tmp_path, data):
    """A GeoPackage that is not ours, in WGS 84, drawn over the project map in EPSG:4547."""
    from pyproj import Transformer

    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    to_ll = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(cx, cy)
    path = tmp_path / "foreign.gpkg"
    gpd.GeoDataFrame({"label": ["p"]}, geometry=[shapely.Point(lon, lat)],
                     crs="EPSG:4326").to_file(path, layer="wells", engine="pyogrio")
    d = 0.0005  # about 50 m
    gpd.GeoDataFrame({"label": ["a"]}, geometry=[shapely.MultiPolygon([shapely.box(
        lon + 2 * d, lat - d, lon + 4 * d, lat + d)])], crs="EPSG:4326").to_file(
        path, layer="plots", engine="pyogrio")
    with Store.open(path, read_only=True) as store:
        foreign = load_map(store, crs=data.crs)
    image, result = render_frame(foreign, (cx - 400, cy - 400, cx + 400, cy + 400), (400, 400),
                                 RenderOptions(antialias=False, labels=False))
    p = result.view.point_to_device(cx, cy)
    assert rgb(image, p) == sy.DEFAULT_COLOUR
    px, py = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(
        lon + 3 * d, lat)
    fill = QColor(image.pixel(result.view.point_to_device(px, py).toPoint()))
    assert fill.blue() > fill.red()  # the default blue, translucent over white
    assert {e.label for e in legend_entries(foreign)} == {""}


def test_road_names_are_labelled_at_large_scale_only(data):
    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    _, near = render_frame(data, (cx - 300, cy - 200, cx + 300, cy + 200), (900, 600))
    assert near.scale < 25_000 and near.labels > 3
    _, far = render_frame(data, (cx - 30_000, cy - 20_000, cx + 30_000, cy + 20_000), (300, 200))
    assert far.scale > 25_000 and far.labels == 0


def test_a_cancelled_frame_stops(data):
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    _, result = render_frame(data, data.extent(), (300, 300), RenderOptions(is_cancelled=cancelled))
    assert result.cancelled


def test_legend_lists_only_categories_in_view(data, district):
    everything = legend_entries(data)
    assert {e.layer for e in everything} == {"road_segment", "bridge", "green_space", "litter_bin"}
    with Store.open(district, read_only=True) as store:
        row = isolated_bins(store).iloc[0]
    x, y = row.geometry.x, row.geometry.y
    tiny = legend_entries(data, (x - 1, y - 1, x + 1, y + 1), layers=["litter_bin"])
    assert len(tiny) == 1 and tiny[0].count == 1
    assert tiny[0].colour == sy.CONDITION_COLOURS[None if row["condition"] != row["condition"]
                                                  else int(row["condition"])]


def test_the_same_renderer_draws_into_a_pdf(data, tmp_path):
    pdf = tmp_path / "map.pdf"
    writer = QPdfWriter(str(pdf))
    writer.setResolution(300)
    painter = QPainter(writer)
    rect = QRectF(300, 300, 1800, 1200)
    result = draw_map(painter, data, data.extent(), rect, RenderOptions(dpi=300))
    painter.end()
    assert not result.cancelled and sum(result.drawn.values()) == 4000
    assert pdf.stat().st_size > 10_000
    assert result.view.rect == rect


def test_extent_is_grown_to_the_aspect_never_distorted(data):
    view = MapView.fit((0, 0, 100, 100), QRectF(0, 0, 400, 200))
    assert view.extent == (-50, 0, 150, 100)
    image = render_image(data, data.extent(), (320, 160))
    assert image.width() == 320 and image.height() == 160


def test_pan_frame_matches_a_full_redraw(data):
    """A quick frame built from the previous one moved by whole pixels equals a fresh quick
    frame, but for pixels that differ between two fresh frames a pixel apart anyway."""
    from citymgr_desktop.render.pan import render_panned

    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = 400, 300
    px = 1.0  # metres per pixel
    first = (cx - w / 2 * px, cy - h / 2 * px, cx + w / 2 * px, cy + h / 2 * px)
    quick = RenderOptions(antialias=False, labels=False, dpi=96)
    before, _ = render_frame(data, first, (w, h), quick)
    moved = (first[0] + 40 * px, first[1] + 20 * px, first[2] + 40 * px, first[3] + 20 * px)
    opts = RenderOptions(antialias=False, labels=False, dpi=96, previous=(before, first))
    panned = render_panned(data, moved, (w, h), opts)
    assert panned is not None, "a whole-pixel move must take the pan path"
    fresh, _ = render_frame(data, moved, (w, h), quick)

    def pixels(img):
        ptr = img.constBits()
        return np.frombuffer(ptr, dtype=np.uint32, count=img.width() * img.height()).copy()

    fresh_px = pixels(fresh)
    _, counts = np.unique(fresh_px, return_counts=True)
    assert counts.max() < 0.98 * w * h, "the view must show features, not only background"
    diff = np.count_nonzero(pixels(panned[0].convertToFormat(fresh.format())) != fresh_px)
    assert diff <= 0.005 * w * h, f"{diff} pixels differ"
    # a zoom cannot reuse the previous frame
    zoomed = (first[0], first[1], first[0] + w * 2 * px, first[1] + h * 2 * px)
    assert render_panned(data, zoomed, (w, h), opts) is None


def test_a_box_render_reads_only_the_box_and_draws_what_the_whole_map_draws(
        qapp, district, data, tmp_path):
    """``citymgr render --bbox`` reads only the features near the box (through the rtree)
    and its image is, pixel for pixel, the whole map's image of that box (labels aside:
    they are placed among the roads read)."""
    from citymgr_desktop.cli import main
    from citymgr_desktop.render.view import fit_extent

    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    box = (cx - 150, cy - 100, cx + 150, cy + 100)
    out = tmp_path / "box.png"
    assert main(["render", str(district), "--out", str(out), "--size", "320x200",
                 "--bbox", ",".join(map(str, box)), "--no-labels", "--no-antialias"]) == 0
    with Store.open(district, read_only=True) as store:
        boxed = load_map(store, bbox=fit_extent(box, 320, 200))
    assert 0 < sum(lyr.count for lyr in boxed.layers) < sum(lyr.count for lyr in data.layers)
    whole = render_image(data, box, (320, 200), RenderOptions(antialias=False, labels=False))
    drawn = QImage(str(out)).convertToFormat(whole.format())
    assert drawn == whole


def test_overview_drawn_block_by_block_is_the_same_image(data, monkeypatch):
    """The small-scale drawing of tiny polygons and lines and of dots goes block by block
    to bound its memory, where that gives the same pixels (render/overview.py)."""
    from citymgr_desktop.render import overview

    extent = data.extent()

    def image() -> np.ndarray:
        img = render_image(data, extent, (160, 120), RenderOptions(labels=False, dpi=96))
        assert img.format() == QImage.Format.Format_ARGB32_Premultiplied
        return np.frombuffer(img.constBits(), np.uint32).copy()

    whole = image()
    monkeypatch.setattr(overview, "TINY_BLOCK", 3)
    monkeypatch.setattr(overview, "DOT_BLOCK", 5)
    calls: list[int] = []
    tiny_block = overview._tiny_block
    monkeypatch.setattr(overview, "_tiny_block", lambda *a: calls.append(1) or tiny_block(*a))
    blocks = image()
    assert len(calls) > 10  # the small blocks were drawn
    assert (whole != 255 << 24 | 0xFFFFFF).sum() > 1000  # a map, not a blank image
    assert np.array_equal(whole, blocks)
