"""Print layouts measured on the output: true scale in the PDF's drawing operators and in PNG
pixels, ISO 216 sheet sizes, a legend of exactly the categories drawn, grid labels that are
real coordinates at the right place, searchable Chinese, atlas pages, the CLI."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math
import re
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
import shapely
from pypdf import PdfReader

from citymgr_desktop.cli import main as cli_main
from citymgr_desktop.core.errors import CancelledError, NotFoundError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store import create as project
from citymgr_desktop.export.pages import ISO_216_MM
from citymgr_desktop.export.print_map import geometry as lg
from tests.tools import needs_poppler
from tests.ui.pdf_reading import PT_MM, pdf_text, pdf_words, stroked_segments

pytestmark = pytest.mark.usefixtures("qapp")

X0, Y0 = 528_000.0, 3_381_000.0  # the measuring project's origin (EPSG:4547, metres)
RED = "#d73027"  # condition 5: only the measured road has it


# -- a project with features of known size -------------------------------------------------
def _asset(table: str, geom, **values) -> Delta:
    return Delta(table, str(uuid.uuid4()), None, {"geom": geom, **values})


@pytest.fixture
def measured(tmp_path) -> Path:
    """Roads of exactly 100 m (east-west, condition 5; north-south, condition 3), bins of
    condition 2 and 4 near them, a green space never assessed, and a condition-1 bin 3 km
    away (outside any frame around the roads)."""
    path = project.create_project(tmp_path / "measure.gpkg", "EPSG:4547", "420106")
    a = "甲街道"
    deltas = [
        _asset("road_segment", shapely.LineString([(X0, Y0), (X0 + 100, Y0)]),
               name="测量路", condition=5, district=a),
        _asset("road_segment", shapely.LineString([(X0 + 150, Y0 - 50), (X0 + 150, Y0 + 50)]),
               name="纵向路", condition=3, district=a),
        _asset("litter_bin", shapely.Point(X0 + 20, Y0 + 15), condition=2, district=a,
               bgid="42010600100101"),
        _asset("litter_bin", shapely.Point(X0 + 80, Y0 - 15), condition=4, district=a,
               bgid="42010600100101"),
        _asset("green_space", shapely.box(X0 + 30, Y0 + 30, X0 + 70, Y0 + 60), district=a,
               bgid="42010600100102"),
        _asset("litter_bin", shapely.Point(X0 + 3000, Y0 + 3000), condition=1,
               district="乙街道", bgid="42010600200101"),
    ]
    with Store.open(path) as store:
        store.apply(deltas, "test")
    return path


def _source(path: Path, lang: str = "en"):
    from citymgr_desktop.export.print_map.map_frame import MapSource

    return MapSource(Store.open(path, read_only=True), None, lang)


def _settings(**kw):
    from citymgr_desktop.export.print_map.layout import PrintSettings

    base = dict(paper="A3", orientation="landscape", lang="en", author="tester",
                date="2026-11-26")
    base.update(kw)
    return PrintSettings(**base)


def _export(path: Path, out: Path, **kw):
    from citymgr_desktop.export.print_map.layout import export_map

    return export_map(_source(path, kw.get("lang", "en")), _settings(**kw), out)


def red_length_mm(pdf: Path, frame: lg.Rect) -> float:
    """Length on the page of the condition-5 road inside the map frame (the legend's
    swatch of the same colour is outside it)."""
    def inside(p):
        return frame.x <= p[0] <= frame.right and frame.y <= p[1] <= frame.bottom

    segs = [(a, b) for c, a, b in stroked_segments(pdf) if c == RED and inside(a)
            and inside(b)]
    assert segs, "the condition-5 road was not found in the PDF's map frame"
    xs = [p[0] for s in segs for p in s]
    ys = [p[1] for s in segs for p in s]
    assert max(ys) - min(ys) < 0.01, "the east-west road should be horizontal on the page"
    return max(xs) - min(xs)


# -- scale ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("scale", "expected_mm"), [(2000, 50.0), (1000, 100.0), (5000, 20.0)])
def test_a_100_m_road_is_drawn_at_the_length_the_scale_says(measured, tmp_path, scale,
                                                            expected_mm):
    out = tmp_path / f"scale{scale}.pdf"
    report = _export(measured, out, scale=scale, bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    assert report.plan.scale == scale
    assert red_length_mm(out, report.plan.geometry.map) == pytest.approx(expected_mm, abs=0.5)
    # and the frame's ground extent is exactly frame size x scale
    g = report.plan.geometry.map
    ext = report.plan.extent
    assert (ext[2] - ext[0]) == pytest.approx(g.w / 1000 * scale, rel=1e-9)
    assert (ext[3] - ext[1]) == pytest.approx(g.h / 1000 * scale, rel=1e-9)


def test_png_at_300_dpi_has_the_road_at_true_length(measured, tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "scale.png"
    _export(measured, out, scale=2000, dpi=300, bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60),
            elements=lg.Elements(grid=False, overview=False, legend=False))
    image = QImage(str(out))
    assert image.dotsPerMeterX() == round(300 / 0.0254)
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)  # keep: numpy views its memory
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.width(), 4)
    b, g, r = arr[..., 0].astype(int), arr[..., 1].astype(int), arr[..., 2].astype(int)
    red = (abs(r - 0xD7) < 30) & (abs(g - 0x30) < 30) & (abs(b - 0x27) < 30)
    rows = np.flatnonzero(red.sum(axis=1) > 100)  # the road's rows, not the scale-bar text
    cols = np.flatnonzero(red[rows].any(axis=0))
    px_mm = 300 / 25.4
    # round caps add half the line width at each end: subtract the line's thickness
    length = (cols.max() - cols.min() + 1 - len(rows)) / px_mm
    assert length == pytest.approx(50.0, abs=0.5)


def test_fit_rounds_up_to_a_nice_scale_and_keeps_the_area_in_the_frame(measured, tmp_path):
    report = _export(measured, tmp_path / "fit.pdf", bbox=(X0, Y0 - 50, X0 + 150, Y0 + 50),
                     paper="A4", orientation="portrait")
    assert report.plan.scale in lg.NICE_SCALES
    ext = report.plan.extent
    assert ext[0] <= X0 and ext[2] >= X0 + 150 and ext[1] <= Y0 - 50 and ext[3] >= Y0 + 50
    # and it is the first nice scale at which it fits (4 % padding each side)
    frame = report.plan.geometry.map
    need = max(150 * 1.08 / (frame.w / 1000), 100 * 1.08 / (frame.h / 1000))
    assert report.plan.scale == min(s for s in lg.NICE_SCALES if s >= need)


def test_scale_limits_and_bad_settings_are_clear_errors(measured, tmp_path):
    with pytest.raises(ValidationError, match="between 1:500 and 1:50,000"):
        _export(measured, tmp_path / "x.pdf", scale=100)
    with pytest.raises(ValidationError, match="paper must be one of A0, A1, A2, A3, A4"):
        _export(measured, tmp_path / "x.pdf", paper="B5")
    with pytest.raises(ValidationError, match=r"\.pdf or \.png"):
        _export(measured, tmp_path / "x.svg")
    with pytest.raises(ValidationError, match="smaller than 1:50,000"):
        lg.fit_scale((0, 0, 100_000, 100_000), lg.Rect(0, 0, 180, 180))
    assert not (tmp_path / "x.pdf").exists()


# -- sheets ----------------------------------------------------------------------------------
@pytest.mark.parametrize("paper", list(ISO_216_MM))
@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_pdf_sheets_are_iso_216(measured, tmp_path, paper, orientation):
    out = tmp_path / f"{paper}-{orientation}.pdf"
    _export(measured, out, paper=paper, orientation=orientation, scale=2000,
            bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    box = PdfReader(str(out)).pages[0].mediabox
    w, h = ISO_216_MM[paper]
    if orientation == "landscape":
        w, h = h, w
    # PDF page boxes are whole points (Qt rounds): within half a point = 0.18 mm
    assert float(box.width) * PT_MM == pytest.approx(w, abs=0.2)
    assert float(box.height) * PT_MM == pytest.approx(h, abs=0.2)


# -- legend ----------------------------------------------------------------------------------
@needs_poppler
def test_legend_lists_exactly_the_categories_drawn(measured, tmp_path):
    out = tmp_path / "legend.pdf"
    report = _export(measured, out, scale=2000, bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    assert report.shown == {"green_space": [None], "road_segment": [3, 5],
                            "litter_bin": [2, 4]}
    text = pdf_text(out)
    legend = text[text.index("Legend"):]
    for label in ("Road segments", "3 Mediocre", "5 Critical", "Litter bins", "2 Fair",
                  "4 Poor", "Green spaces", "Not assessed"):
        assert label in legend
    # the condition-1 bin is 3 km away and bridges do not exist: not in the legend
    for label in ("1 Good", "Bridges"):
        assert label not in text


def test_legend_matches_an_independent_count_on_the_sample(district, tmp_path):
    """On the 4,000-feature sample, the categories a frame shows equal what GeoPandas finds
    intersecting the same extent (retired assets excluded)."""
    with Store.open(district, read_only=True) as store:
        ext = store.layer("road_segment").extent
        area = (ext[0] + 800, ext[1] + 900, ext[0] + 1300, ext[1] + 1300)
        report = _export(district, tmp_path / "s.pdf", scale=2500, bbox=area)
        box = shapely.box(*report.plan.extent)
        expected = {}
        for layer in ("road_segment", "bridge", "green_space", "litter_bin"):
            df = store.read(layer, bbox=report.plan.extent, columns=["condition"],
                            include_retired=False)
            df = df[df.geometry.intersects(box)]
            if len(df):
                vals = sorted({int(v) for v in df["condition"].dropna()})
                expected[layer] = vals + ([None] if df["condition"].isna().any() else [])
    assert report.shown == expected


# -- grid ------------------------------------------------------------------------------------
@needs_poppler
def test_grid_labels_are_real_coordinates_in_the_right_place(measured, tmp_path):
    out = tmp_path / "grid.pdf"
    report = _export(measured, out, scale=1000, bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    plan = report.plan
    frame, ext, step = plan.geometry.map, plan.extent, plan.grid_interval
    assert step == 50.0  # 1:1000 -> 50 m = 50 mm between lines
    words = pdf_words(out)
    xs_expected, ys_expected = lg.grid_lines(ext, step)
    below = [(float(t), (x0 + x1) / 2) for t, x0, y0, x1, y1 in words
             if re.fullmatch(r"\d{6}", t) and y0 > frame.bottom]
    assert {v for v, _ in below} == set(xs_expected)
    for value, centre in below:
        # the label sits under its grid line: (value - minx) / scale, within 0.5 mm
        assert centre == pytest.approx(frame.x + (value - ext[0]) / plan.scale * 1000, abs=0.5)
    northings = {float(t) for t, *_ in words if re.fullmatch(r"\d{7}", t)}
    assert northings == set(ys_expected)
    assert all(ext[1] < v < ext[3] and v % step == 0 for v in northings)


# -- text ------------------------------------------------------------------------------------
@needs_poppler
def test_chinese_sheet_is_searchable_text(measured, tmp_path):
    out = tmp_path / "zh.pdf"
    _export(measured, out, scale=2000, lang="zh_CN", title="测量路维修图",
            bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    text = pdf_text(out)
    for words in ("测量路维修图", "比例尺 1:2000", "图例", "道路路段", "垃圾箱", "绿地",
                  "未评定", "坐标系", "日期", "制图", "米"):
        assert words in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    assert "yes" in fonts  # embedded


def test_map_is_vector_only_the_overview_is_an_image(measured, tmp_path):
    out = tmp_path / "v.pdf"
    _export(measured, out, scale=2000, bbox=(X0 - 20, Y0 - 60, X0 + 170, Y0 + 60))
    page = PdfReader(str(out)).pages[0]
    assert len(page.images) == 1  # the overview inset
    colours = {c for c, _a, _b in stroked_segments(out)}
    assert {RED, "#1a1a1a"} <= colours  # the road and the neatlines/grid ticks are paths


# -- atlas -----------------------------------------------------------------------------------
@needs_poppler
def test_atlas_has_a_page_per_sub_district_framed_on_it(district, tmp_path):
    from citymgr_desktop.export.print_map.atlas import export_atlas

    source = _source(district, "zh_CN")
    names = source.store.districts()
    out = tmp_path / "atlas.pdf"
    result = export_atlas(source, _settings(lang="zh_CN", paper="A4",
                                            orientation="portrait"), "district", out)
    reader = PdfReader(str(out))
    assert len(reader.pages) == len(names) == result.pages
    from citymgr_desktop.export.print_map.areas import district_bbox

    for i, (name, rep) in enumerate(zip(names, result.reports, strict=True)):
        page_text = pdf_text(out, page=i + 1)
        assert f"街道：{name}" in page_text
        assert f"第 {i + 1} 页，共 {len(names)} 页" in page_text
        b, e = district_bbox(source.store, name), rep.plan.extent
        assert e[0] <= b[0] and e[1] <= b[1] and e[2] >= b[2] and e[3] >= b[3]


def test_work_order_atlas_highlights_the_orders_assets(district, tmp_path):
    from citymgr_desktop.export.print_map.atlas import export_atlas

    source = _source(district)
    cases = [r[0] for r in source.store.conn.execute(
        "SELECT case_no FROM work_order ORDER BY case_no LIMIT 3")]
    result = export_atlas(source, _settings(), "workorder", tmp_path / "wo.pdf", cases=cases)
    assert [r.plan.subtitle.split(" · ")[0] for r in result.reports] == [
        f"Work order {c}" for c in cases]
    assert all(r.plan.highlight for r in result.reports)


def test_cancel_leaves_no_file(district, tmp_path):
    from citymgr_desktop.export.print_map.atlas import export_atlas

    calls = []
    progress = Progress(lambda d, t, m: calls.append(d) or (d >= 2 and progress.cancel()))
    out = tmp_path / "cancelled.pdf"
    with pytest.raises(CancelledError):
        export_atlas(_source(district), _settings(), "district", out, progress)
    assert not out.exists()
    assert not list(tmp_path.glob(".cancelled*"))


# -- command line ----------------------------------------------------------------------------
@needs_poppler
def test_cli_prints_pdf_png_and_atlas(measured, district, tmp_path, capsys):
    pdf, png, atlas = tmp_path / "m.pdf", tmp_path / "m.png", tmp_path / "a.pdf"
    bbox = f"{X0 - 20},{Y0 - 60},{X0 + 170},{Y0 + 60}"
    assert cli_main([
        "print-map", str(measured), "--out", str(pdf), "--paper", "A4", "--orientation",
        "portrait", "--scale", "2000", "--bbox", bbox, "--title", "T1", "--lang", "en"]) == 0
    assert "1:2000" in capsys.readouterr().out
    frame = lg.page_geometry("A4", "portrait").map
    assert red_length_mm(pdf, frame) == pytest.approx(50.0, abs=0.5)
    assert cli_main(["print-map", str(measured), "--out", str(png), "--dpi", "100",
                     "--scale", "1:2000", "--bbox", bbox]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli_main(["print-map", str(district), "--out", str(atlas), "--atlas", "grid",
                     "--district", "南湖街道", "--paper", "A4"]) == 0
    assert "page(s), one per grid" in capsys.readouterr().out
    with Store.open(district, read_only=True) as store:  # the scope limits an atlas's pages
        cells = store.asset_extents_by("bgid", [t.name for t in sc.ASSET_TABLES],
                                       district="南湖街道")
        every = store.asset_extents_by("bgid", [t.name for t in sc.ASSET_TABLES])
    assert 1 < len(PdfReader(str(atlas)).pages) == len(cells) < len(every)


def test_cli_errors_are_one_line_with_exit_codes(measured, tmp_path, capsys):
    out = str(tmp_path / "x.pdf")
    assert cli_main(["print-map", str(measured), "--out", out, "--paper", "B4"]) == 8
    assert "paper must be one of" in capsys.readouterr().err
    assert cli_main(["print-map", str(measured), "--out", out, "--district", "无此街道"]) == 10
    assert "no sub-district '无此街道'" in capsys.readouterr().err
    assert cli_main(["print-map", str(measured), "--out", str(tmp_path / "x.png"),
                     "--atlas", "district"]) == 8
    assert "one PDF" in capsys.readouterr().err
    assert cli_main(["print-map", str(measured), "--out", out, "--atlas", "grid", "--bbox",
                     "1,2,3,4"]) == 8
    assert "--bbox does not go with --atlas" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main(["print-map", str(measured), "--out", out, "--bbox", "1,2,3"])
    assert not Path(out).exists()


def test_unknown_names_are_not_found(measured):
    from citymgr_desktop.export.print_map.areas import district_bbox

    with Store.open(measured, read_only=True) as store, pytest.raises(NotFoundError,
                                                                       match="甲街道"):
        district_bbox(store, "丙街道")


# -- the layout's geometry helpers, road names -----------------------------------------------
def test_geometry_helpers():
    assert lg.scale_bar(2000, 60).total_m == 100 and lg.scale_bar(2000, 60).length_mm == 50
    assert lg.scale_bar(50_000, 60).unit == "km"
    assert lg.grid_interval(2000) == 100 and lg.grid_interval(500) == 20
    assert lg.fit_scale((0, 0, 190, 100), lg.Rect(0, 0, 100, 100)) == 2500
    a = lg.true_north_angle(__import__("pyproj").CRS.from_epsg(4547), 528_800, 3_381_500)
    assert -0.3 < a < 0 and not math.isnan(a)  # east of 114E: true north leans left


def test_road_names_can_be_left_out(measured, tmp_path):
    area = (X0 - 20, Y0 - 60, X0 + 170, Y0 + 60)
    with_names, without = tmp_path / "n.pdf", tmp_path / "nn.pdf"
    _export(measured, with_names, scale=1000, bbox=area)
    _export(measured, without, scale=1000, bbox=area, labels=False)
    # the labels are outlined glyph paths: leaving them out removes most of the page's paths
    assert without.stat().st_size < with_names.stat().st_size
