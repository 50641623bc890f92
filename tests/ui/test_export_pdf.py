"""Work-order PDF, read back: every case number and the Chinese title are searchable text,
one order starts per page, a 40-asset table breaks across pages with its header repeated,
the map extract is drawn at the round scale it claims, and failures leave nothing behind."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage, QPainter

from citymgr_desktop.cli import main
from citymgr_desktop.core.errors import CancelledError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.query import load_report
from citymgr_desktop.export.workorders import map_extract as wm
from citymgr_desktop.export.workorders.pdf import MAP_H, W, export_pdf
from citymgr_desktop.export.workorders.pdf_layout import Sheet
from tests.tools import have_pdftotext, require_all, skip_missing
from tests.ui.pdf_reading import pdf_words


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first: the exports would otherwise create a bare
    QGuiApplication, and later widget tests in the same process would abort."""
    return qapp


TITLE_3 = "粮道街垃圾箱破损维修"
TITLE_40 = "垃圾箱集中整治（四十处）"


@pytest.fixture
def orders(small_district):
    with Store.open(small_district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid")]
        a = wo.create_order(store, wo.OrderSpec(TITLE_3, 2, [("litter_bin", u)
                                                            for u in bins[:3]],
                                                description="箱体破损，需更换。"), "张工")
        b = wo.create_order(store, wo.OrderSpec(TITLE_40, 3, [("litter_bin", u)
                                                             for u in bins[3:43]]), "张工")
        wo.move_order(store, a["case_no"], "filed", "李主任", "立案")
    return small_district, a["case_no"], b["case_no"]


def _text(pdf) -> list[str]:
    """The text of each page as poppler's pdftotext reads it (pypdf where poppler is absent),
    runs of white space folded to one space."""
    if not have_pdftotext() and require_all():
        skip_missing("pdftotext", "poppler-utils")
    n = len(PdfReader(str(pdf)).pages)
    out = []
    for i in range(1, n + 1):
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
        else:
            text = PdfReader(str(pdf)).pages[i - 1].extract_text()
        out.append("".join(text.split()))  # pdftotext drops spaces between CJK and digits
    return out


def test_pdf_batch_searchable_and_paginated(orders, tmp_path):
    path, case3, case40 = orders
    out = tmp_path / "orders.pdf"
    with Store.open(path, read_only=True) as store:
        reps = load_report(store, [case3, case40])
        export_pdf(reps, out, maps=wm.MapSource.open(store), source="test")
    pages = _text(out)
    # the 3-asset order fits one page; the 40-asset one needs more, each page is marked
    first = [i for i, t in enumerate(pages) if "城市管理工单" in t]
    assert len(first) == 2 and first[0] == 0
    assert first[1] == 1, "the 3-asset order should fit one page"
    assert len(pages) - first[1] >= 2
    assert case3 in pages[0] and TITLE_3 in pages[0] and "第1页/共1页" in pages[0]
    assert all(case40 in t for t in pages[1:])
    n40 = len(pages) - 1
    assert f"第{n40}页/共{n40}页" in pages[-1]
    # repeated table header and "continued" on the following pages
    for t in pages[2:]:
        assert "（续）" in t
    assert sum("部件编码" in t for t in pages[1:]) >= 2
    # every asset row is there exactly once, numbered 1-40
    body = "\n".join(pages[1:])
    with Store.open(path, read_only=True) as store:
        codes = [store.get_row("litter_bin", a.asset_uuid)["obj_code"]
                 for a in load_report(store, [case40])[0].assets]
    assert all(body.count(c) == 1 for c in codes)
    assert "核查人签字" in pages[-1] and "比例尺1:" in pages[1] and "CGCS2000" in pages[1]
    assert "test·20" in pages[0]  # digits after Latin letters stay searchable
    meta = PdfReader(str(out)).metadata
    assert meta.title == "工单（2）"


def test_map_extract_scale_is_round_and_true(orders):
    path, case3, case40 = orders
    with Store.open(path, read_only=True) as store:
        reps = load_report(store, [case3, case40])
        maps = wm.MapSource.open(store)
        for rep in reps:
            ex = wm.plan_extract(rep, W, MAP_H)
            assert ex.scale in wm.ROUND_SCALES
            minx, miny, maxx, maxy = ex.extent
            assert (maxx - minx) == pytest.approx(ex.scale * W / 1000)
            assert (maxy - miny) == pytest.approx(ex.scale * MAP_H / 1000)
            for a in rep.assets:  # every asset lies inside the extract
                bx0, by0, bx1, by1 = a.geometry.bounds
                assert minx <= bx0 and bx1 <= maxx and miny <= by0 and by1 <= maxy
            # the next smaller round scale would not fit them
            smaller = [s for s in wm.ROUND_SCALES if s < ex.scale]
            if smaller and ex.scale > wm.CLOSEST_SCALE:
                import shapely

                b = shapely.total_bounds([a.geometry for a in rep.assets])
                assert wm.choose_scale(tuple(b), W, MAP_H) == ex.scale
            img = QImage(800, 400, QImage.Format.Format_ARGB32)
            img.setDotsPerMeterX(round(300 / 0.0254))
            img.setDotsPerMeterY(round(300 / 0.0254))
            painter = QPainter(img)
            try:
                sheet = Sheet(img, 300.0, painter)
                drawn = wm.draw_extract(sheet, maps, rep, wm.plan_extract(rep, 60, 30),
                                        1, 1, 60, 30, "zh")
            finally:
                painter.end()
            assert drawn == pytest.approx(wm.plan_extract(rep, 60, 30).scale, rel=1e-3)


def test_choose_scale_rounds_up():
    assert wm.choose_scale((0, 0, 10, 10), 186, 80) == 1000  # one bin: 1:1,000 at the closest
    assert wm.choose_scale((0, 0, 140, 10), 186, 80) == 1000
    assert wm.choose_scale((0, 0, 3000, 500), 186, 80) == 25_000
    assert wm.scale_bar_length(1000, 35) == 20
    assert wm.scale_bar_length(20_000, 35) == 500


def test_pdf_english_without_map_and_cancel(orders, tmp_path):
    path, case3, _ = orders
    out = tmp_path / "en.pdf"
    with Store.open(path, read_only=True) as store:
        reps = load_report(store, [case3])
        export_pdf(reps, out, lang="en")
        text = _text(out)[0]
        assert "Citymanagementworkorder" in text and case3 in text and TITLE_3 in text
        assert "Page1of1" in text
        progress = Progress()
        progress.cancel()
        target = tmp_path / "cancelled.pdf"
        with pytest.raises(CancelledError):
            export_pdf(reps, target, progress=progress)
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_export_pdf(orders, tmp_path, capsys):
    path, case3, case40 = orders
    out = tmp_path / "cli.pdf"
    assert main(["workorders", "export", str(path), "--case", case3, case40, "--format", "pdf",
                 "--out", str(out), "--json"]) == 0
    assert '"orders": 2' in capsys.readouterr().out
    text = "".join(_text(out))
    assert case3 in text and case40 in text
    assert main(["workorders", "export", str(path), "--state", "closed", "--case", case3,
                 "--format", "pdf", "--out", str(tmp_path / "none.pdf")]) == 8
    assert not (tmp_path / "none.pdf").exists()
    assert main(["workorders", "export", str(path), "--format", "pdf", "--out",
                 str(tmp_path / "missing-dir" / "x.pdf")]) == 3


def test_number_bubbles_do_not_overlap_in_a_cluster():
    import itertools

    r = 10.0
    points = [(100 + 7 * (i % 4), 100 + 7 * (i // 4)) for i in range(12)]  # a tight cluster
    bubbles = wm.place_labels(points, r)
    assert len(bubbles) == len(points)
    for (ax, ay), (bx, by) in itertools.combinations(bubbles, 2):
        assert (ax - bx) ** 2 + (ay - by) ** 2 >= (2 * r) ** 2 - 1e-6
    # a lone point keeps the classic upper-right bubble
    assert wm.place_labels([(0.0, 0.0)], r) == [(16.0, -16.0)]


def test_overdue_deadline_stays_inside_its_cell(small_district, tmp_path):
    """An overdue order's deadline and its “（已超期）” mark lie within the deadline cell."""

    from citymgr_desktop.export.workorders.pdf import X0

    with Store.open(small_district) as store:
        late = next(o for o in load_report(store) if wo.is_overdue(o.order))
        case = late.case_no
    out = tmp_path / "late.pdf"
    assert main(["workorders", "export", str(small_district), "--case", case, "--format",
                 "pdf", "--no-map", "--out", str(out)]) == 0
    words = [(x0, x1, text) for text, x0, _y0, x1, _y1 in pdf_words(out)]  # millimetres
    cell_left, cell_right = X0 + 2 * W / 4, X0 + 3 * W / 4
    marks = [w for w in words if "已超期" in w[2]]
    assert marks, [w[2] for w in words][:40]
    for x0, x1, text in marks:
        assert cell_left <= x0 and x1 <= cell_right, (text, x0, x1, cell_left, cell_right)
    # look at it: the header of the page as a picture
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-y", "0",
                        "-H", "260", "-W", "920", str(out), str(tmp_path / "late")], check=True)
        shots = Path("/tmp/citymgr-shots")
        shots.mkdir(parents=True, exist_ok=True)
        shutil.copy(next(tmp_path.glob("late*.png")), shots / "workorder_overdue_header.png")


def test_signature_block_never_stands_alone_on_a_page(small_district, tmp_path):
    """Orders whose content ends near the bottom of a page (1 to 14 assets, one move or
    three): the crew's and checker's signature block is always on a page with the end of
    the last section (the last move's row, or the whole short moves table), never alone
    under the "continued" line."""
    with Store.open(small_district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid")]
        cases = []
        for moves in (0, 2):
            for n in range(1, 15):
                o = wo.create_order(store, wo.OrderSpec(f"签字块测试{n}", 3, [
                    ("litter_bin", u) for u in bins[100:100 + n]]), "张工")
                for state, note in (("filed", "立案"), ("dispatched", "派遣"))[:moves]:
                    wo.move_order(store, o["case_no"], state, "李主任", note)
                cases.append(o["case_no"])
    out = tmp_path / "orders.pdf"
    assert main(["workorders", "export", str(small_district), "--case", *cases,
                 "--format", "pdf", "--out", str(out)]) == 0
    pages = _text(out)
    signed = [i for i, t in enumerate(pages) if "核查人签字" in t]
    assert len(signed) == len(cases)  # one signature block per order
    continued = [i for i in signed if "城市管理工单" not in pages[i]]
    assert continued, "some orders should spill over: vary the numbers of assets"
    for i in continued:
        # the last move's row came along: its new state, written only in the moves table
        # on a continued page (the header cells with the state are on the first page)
        assert "上报" in pages[i] or "派遣" in pages[i], (
            f"page {i + 1} holds the signature block alone: {pages[i]}")


def test_a_closed_orders_moves_are_not_split_off_one_row(small_district, tmp_path):
    """Closed orders of 1 to 14 assets (seven moves, the last one 结案): where the moves
    table and the signature block do not fit the first page, the whole (short) moves table
    goes over with them, title and all; never the 结案 row alone on a nearly empty page."""
    moves = (("filed", "立案"), ("dispatched", "派遣"), ("in_progress", "开始处置"),
             ("resolved", "已更换箱体"), ("checked", "核查合格"), ("closed", "结案"))
    with Store.open(small_district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid")]
        cases = []
        for n in range(1, 15):
            o = wo.create_order(store, wo.OrderSpec(f"结案分页{n}", 3, [
                ("litter_bin", u) for u in bins[120:120 + n]]), "张工")
            for state, note in moves:
                wo.move_order(store, o["case_no"], state, "李主任", note)
            cases.append(o["case_no"])
    out = tmp_path / "closed.pdf"
    assert main(["workorders", "export", str(small_district), "--case", *cases,
                 "--format", "pdf", "--out", str(out)]) == 0
    pages = _text(out)
    signed = [i for i, t in enumerate(pages) if "核查人签字" in t]
    assert len(signed) == len(cases)
    continued = [i for i in signed if "城市管理工单" not in pages[i]]
    assert continued, "some orders should spill over: vary the numbers of assets"
    for i in continued:
        assert "流转记录" in pages[i] and "核查合格" in pages[i], (
            f"page {i + 1} holds the moves table's end without its start: {pages[i]}")
    if shutil.which("pdftoppm"):  # look at it
        first = continued[0]
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(first), "-l",
                        str(first + 1), str(out), str(tmp_path / "closed")], check=True)
        shots = Path("/tmp/citymgr-shots")
        shots.mkdir(parents=True, exist_ok=True)
        for k, png in enumerate(sorted(tmp_path.glob("closed*.png"))):
            shutil.copy(png, shots / f"workorder_closed_moves_{k + 1}.png")
