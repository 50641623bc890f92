"""XLSX, CSV, GeoJSON and GeoPackage exports of work orders, read back with openpyxl, the csv
module and GDAL (pyogrio); bad targets fail cleanly and leave nothing behind."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import subprocess

import pyogrio
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from citymgr_desktop.cli import main
from citymgr_desktop.core.errors import BadFileError, CancelledError, ValidationError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.query import load_report
from citymgr_desktop.export.workorders import geo
from citymgr_desktop.export.workorders.csv_file import export_csv
from citymgr_desktop.export.workorders.exporter import export_orders
from citymgr_desktop.export.workorders.xlsx import export_xlsx


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first: the exports would otherwise create a bare
    QGuiApplication, and later widget tests in the same process would abort."""
    return qapp


TITLE = "中南路街道垃圾箱整治"


@pytest.fixture
def setup(small_district):
    with Store.open(small_district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 5")]
        road = store.conn.execute("SELECT asset_uuid FROM road_segment LIMIT 1").fetchone()[0]
        park = store.conn.execute("SELECT asset_uuid FROM green_space LIMIT 1").fetchone()[0]
        a = wo.create_order(store, wo.OrderSpec(TITLE, 2, [("litter_bin", u) for u in bins],
                                                assignee="一队"), "t")
        b = wo.create_order(store, wo.OrderSpec("混合工单", 3, [("road_segment", road),
                                                                ("green_space", park)]), "t")
        reps = load_report(store, [a["case_no"], b["case_no"]])
        crs = store.project_crs()
    return small_district, reps, crs, bins


def test_xlsx_two_sheets(setup, tmp_path):
    _, reps, _, bins = setup
    out = export_xlsx(reps, tmp_path / "o.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["工单", "工单资产"]
    orders = list(wb["工单"].iter_rows(values_only=True))
    assert orders[0][:4] == ("案件编号", "标题", "状态", "紧急程度")
    assert [r[0] for r in orders[1:]] == [r.case_no for r in reps]
    assert orders[1][1] == TITLE and orders[1][2] == "上报" and orders[1][3] == "紧急"
    assets = list(wb["工单资产"].iter_rows(values_only=True))
    assert len(assets) == 1 + 5 + 2
    uuid_col = assets[0].index("资产唯一标识")
    assert [r[uuid_col] for r in assets[1:6]] == bins
    assert wb["工单"].freeze_panes == "B2"
    # an order made from a selection stores no 街道 of its own: the sheet names its assets'
    # (the PDF shows the same), so the orders can be filtered by 街道 in Excel
    district = orders[0].index("街道")
    district_of = {r[uuid_col]: r[assets[0].index("街道")] for r in assets[1:]}
    for row, rep in zip(orders[1:], reps, strict=True):
        assert rep.order.get("district") is None
        named = sorted({district_of[a.values["asset_uuid"]] for a in rep.assets})
        assert row[district] == "、".join(named) and row[district]
    en = load_workbook(export_xlsx(reps, tmp_path / "en.xlsx", lang="en"))
    assert en.sheetnames == ["Work orders", "Order assets"]
    assert next(en["Work orders"].iter_rows(values_only=True))[0] == "Case number"


def test_csv_utf8_bom_excel(setup, tmp_path):
    _, reps, _, _ = setup
    out = export_csv(reps, tmp_path / "o.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    orders = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert len(orders) == 2 and orders[0]["案件编号"] == reps[0].case_no
    assert orders[0]["标题"] == TITLE and orders[0]["处置单位"] == "一队"
    rows = list(csv.DictReader(export_csv(reps, tmp_path / "assets.csv", rows="assets")
                               .open(encoding="utf-8-sig", newline="")))
    assert len(rows) == 7 and rows[0]["标题"] == TITLE and rows[0]["类别"] == "垃圾箱"
    assert rows[0]["处置单位"] == "一队"
    with pytest.raises(ValidationError):
        export_csv(reps, tmp_path / "x.csv", rows="lines")


def test_csv_is_the_case_list_of_the_xlsx_orders_sheet(setup, tmp_path):
    """``citymgr workorders export --format csv``: one row per work order with 案件编号,
    街道, 处置单位, 状态, 处置时限 and the assets' codes in one cell -- the XLSX's orders sheet,
    cell for cell -- in UTF-8 with a BOM that Excel opens with the Chinese intact."""
    from citymgr_desktop.cli import main

    path, reps, _, _ = setup
    cases = [r.case_no for r in reps]
    out, book = tmp_path / "orders.csv", tmp_path / "orders.xlsx"
    for target, fmt in ((out, "csv"), (book, "xlsx")):
        assert main(["workorders", "export", str(path), "--case", *cases, "--format", fmt,
                     "--out", str(target)]) == 0
    raw = out.read_bytes()
    assert raw.startswith("\ufeff案件编号".encode())  # the BOM: Excel reads UTF-8, not GBK
    text = raw.decode("utf-8-sig")
    table = list(csv.reader(text.splitlines()))
    head = table[0]
    for column in ("案件编号", "标题", "状态", "街道", "处置单位", "处置时限（办公时间 UTC+8）",
                   "资产部件编码"):  # a CSV has no comment: the times' heading names the zone
        assert column in head, column
    assert [r[0] for r in table[1:]] == cases  # one row per order, not per asset
    first = dict(zip(head, table[1], strict=True))
    assert first["处置单位"] == "一队" and first["资产数"] == "5" and first["状态"] == "上报"
    with Store.open(path, read_only=True) as store:
        codes = [store.get_row(a.asset_class, a.asset_uuid)["obj_code"] for a in reps[0].assets]
    assert first["资产部件编码"] == "、".join(codes)
    sheet = [["" if v is None else v.strftime("%Y-%m-%d %H:%M")
              if isinstance(v, dt.datetime) else str(v) for v in row]
             for row in load_workbook(book)["工单"].iter_rows(values_only=True)]
    assert sheet[1:] == table[1:]  # the same rows function, the same cells (times: dates)
    assert sheet[0] == [h.removesuffix("（办公时间 UTC+8）") for h in head]  # XLSX: a comment
    # the order-asset rows as the XLSX's second sheet, on request, with 处置单位 too
    assert main(["workorders", "export", str(path), "--case", *cases, "--format", "csv",
                 "--csv-rows", "assets", "--out", str(tmp_path / "assets.csv")]) == 0
    assets = list(csv.DictReader((tmp_path / "assets.csv").open(encoding="utf-8-sig",
                                                                newline="")))
    assert len(assets) == 7 and {r["处置单位"] for r in assets[:5]} == {"一队"}


def test_geojson_wgs84_readable_by_gdal(setup, tmp_path):
    _, reps, crs, _ = setup
    out = geo.export_geojson(reps, tmp_path / "o.geojson", crs)
    df = pyogrio.read_dataframe(out)
    assert len(df) == 7 and df.crs.to_epsg() == 4326
    assert set(df.geometry.geom_type) == {"Point", "LineString", "MultiPolygon"}
    minx, miny, maxx, maxy = df.total_bounds
    assert 113 < minx < maxx < 116 and 29 < miny < maxy < 32  # Wuhan, lon/lat order
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["name"] == "o"  # named after the file, not its temporary name
    assert data["features"][0]["properties"]["title"] == TITLE
    assert data["features"][0]["properties"]["case_no"] == reps[0].case_no


def test_gpkg_for_phones(setup, tmp_path):
    _, reps, crs, _ = setup
    out = geo.export_gpkg(reps, tmp_path / "o.gpkg", crs)
    layers = {k: v for k, v in pyogrio.list_layers(out) if k != "layer_styles"}
    assert layers == {"workorder_road_segment": "LineString",
                      "workorder_green_space": "MultiPolygon",
                      "workorder_litter_bin": "Point"}
    bins = pyogrio.read_dataframe(out, layer="workorder_litter_bin")
    assert len(bins) == 5 and bins.crs.to_epsg() == 4326
    assert set(bins["case_no"]) == {reps[0].case_no}
    from tests.gpkg_checks import assert_valid_gpkg

    assert_valid_gpkg(out)
    conn = sqlite3.connect(out)
    styles = dict(conn.execute("SELECT f_table_name, styleQML FROM layer_styles "
                               "WHERE useAsDefault"))
    conn.close()
    assert set(styles) == set(layers)
    assert all("categorizedSymbol" in q and 'attr="condition"' in q for q in styles.values())


@pytest.mark.qgis
def test_gpkg_for_phones_opens_styled_in_qgis(setup, tmp_path):
    """QGIS (3.22, PyQGIS) loads each layer with our categorised style by itself."""
    from tests.gpkg_checks import run_pyqgis

    _, reps, crs, _ = setup
    out = geo.export_gpkg(reps, tmp_path / "o.gpkg", crs)
    rep = run_pyqgis("""
        import sys
        from qgis.core import QgsVectorLayer
        out = {}
        for name in ("workorder_road_segment", "workorder_green_space", "workorder_litter_bin"):
            layer = QgsVectorLayer(f"{sys.argv[1]}|layername={name}", name, "ogr")
            r = layer.renderer()
            out[name] = [layer.isValid(), r.type(), r.classAttribute() if r.type() ==
                         "categorizedSymbol" else None, len(r.categories()) if r.type() ==
                         "categorizedSymbol" else 0]
        emit(out)
    """, out)
    for name, (valid, kind, attr, n) in rep.items():
        assert valid and kind == "categorizedSymbol" and attr == "condition" and n == 6, name


def test_export_entry_point_and_failures(setup, tmp_path):
    path, _reps, _, _ = setup
    with Store.open(path, read_only=True) as store:
        summary = export_orders(store, tmp_path / "s.geojson", "geojson", states=["reported"])
        assert summary["orders"] >= 2
        with pytest.raises(ValidationError):
            export_orders(store, tmp_path / "s.doc", "doc")
        with pytest.raises(BadFileError):
            export_orders(store, tmp_path / "nope" / "s.xlsx", "xlsx")
        progress = Progress()
        progress.cancel()
        with pytest.raises(CancelledError):
            export_orders(store, tmp_path / "c.xlsx", "xlsx", progress=progress)
    assert not (tmp_path / "c.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "geojson", "gpkg"])
def test_cli_export_formats(setup, tmp_path, fmt, capsys):
    path, reps, _, _ = setup
    out = tmp_path / f"cli.{fmt}"
    assert main(["workorders", "export", str(path), "--case", reps[0].case_no, "--format", fmt,
                 "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["assets"] == 5
    assert out.exists() and out.stat().st_size > 0


def test_crew_files_carry_the_description_and_typed_dates(setup, tmp_path):
    """The crew's GeoPackage, GeoJSON and the XLSX's 工单资产 sheet carry the 问题描述; the
    GeoPackage's deadline is a DATETIME in UTC (with its Z), the last record's date a DATE; the
    GeoJSON states the office's zone (+08:00); a 16-digit code fits its XLSX column."""
    path, _reps, crs, bins = setup
    with Store.open(path) as store:
        order = wo.create_order(store, wo.OrderSpec(
            "破损更换", 1, [("litter_bin", bins[0])], description="桶身开裂，需更换",
            deadline=dt.datetime(2030, 12, 8, 8, 11)), "t")
        reps = load_report(store, [order["case_no"]])
    out = geo.export_gpkg(reps, tmp_path / "crew.gpkg", crs)
    info = subprocess.run(["ogrinfo", "-so", str(out), "workorder_litter_bin"],
                          capture_output=True, text=True, check=True).stdout
    types = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line)
    assert types["description"].startswith("String")
    assert types["deadline"].startswith("DateTime")
    assert types["last_record_date"].startswith("Date ")
    conn = sqlite3.connect(out)
    stored = conn.execute("SELECT description, deadline FROM workorder_litter_bin").fetchone()
    conn.close()
    assert stored == ("桶身开裂，需更换", "2030-12-08T08:11:00.000Z")
    data = json.loads(geo.export_geojson(reps, tmp_path / "crew.geojson", crs)
                      .read_text(encoding="utf-8"))
    props = data["features"][0]["properties"]
    assert props["description"] == "桶身开裂，需更换"
    assert props["deadline"] == "2030-12-08T16:11:00+08:00"
    wb = load_workbook(export_xlsx(reps, tmp_path / "crew.xlsx"))
    head, first = list(wb["工单资产"].iter_rows(values_only=True))[:2]
    assert first[head.index("问题描述")] == "桶身开裂，需更换"
    deadline = wb["工单资产"].cell(1, head.index("处置时限") + 1)
    # an Excel date (sorted and filtered as one) in office time, as the CSV's text has it
    assert first[head.index("处置时限")] == dt.datetime(2030, 12, 8, 16, 11)
    assert wb["工单资产"].cell(2, head.index("处置时限") + 1).number_format == "yyyy-mm-dd hh:mm"
    assert deadline.comment is not None and deadline.comment.text == "办公时间（UTC+8）"
    orders = wb["工单"]
    codes = next(orders.iter_rows(values_only=True)).index("资产部件编码") + 1
    assert orders.column_dimensions[get_column_letter(codes)].width >= 18
