"""The monthly report (``citymgr report``) read back: every page exists and renders, the text
is searchable (pdftotext finds 按期处置率 and the 街道 names), the figures printed are the
core's, English on request; and the hot-spot theme of ``citymgr render``."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage

from citymgr_desktop.cli import main
from citymgr_desktop.core import stats
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.report.pdf import export_monthly_report

NOW = dt.datetime(2026, 11, 20, 12, 0)


def pages_text(pdf) -> list[str]:
    n = len(PdfReader(str(pdf)).pages)
    out = []
    for i in range(1, n + 1):
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
        else:  # pragma: no cover - poppler is in .ci/run
            text = PdfReader(str(pdf)).pages[i - 1].extract_text()
        out.append("".join(text.split()))
    return out


def test_report_in_chinese_is_searchable(district, tmp_path, qapp):
    out = tmp_path / "report.pdf"
    with Store.open(district, read_only=True) as store:
        result = export_monthly_report(store, "2026-11", out, now=NOW, author="测试")
        figs = stats.monthly_figures(store, "2026-11", now=NOW)
        districts = store.districts()
    text = pages_text(out)
    assert result["pages"] == len(text) >= 5
    everything = "".join(text)
    for words in ("城市管理资产月报", "2026年11月", "主要指标", "按期处置率", "结案率", "返工率",
                  "各街道资产技术状况", "热点分布", "超期工单", "第1页，共"):
        assert words in everything, words
    assert all(d in everything for d in districts), "街道 names on the chart"
    assert "⽂" not in everything and "⽇" not in everything  # no radicals for ideographs
    for row in figs.dashboard.evaluation:
        assert row.assignee in everything
    assert f"超期工单（{len(figs.overdue)}）" in everything
    for order in figs.overdue:
        assert order["case_no"] in everything
    assert "制作2026-11-2020:00办公时间（UTC+8）·测试·" in text[0]  # the zone, as in the XLSX
    records = figs.key["records"]
    assert f"养护记录数{records[0]}{records[1]}" in text[0]
    from tests.ui.test_pdf_language import english_sentences, pdf_text

    assert english_sentences(pdf_text(out)) == []  # a Chinese report holds no English sentence
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "20", str(out), str(tmp_path / "page")],
                       check=True)
        assert len(list(tmp_path.glob("page-*.png"))) == result["pages"]


def test_report_cli_english_and_refusals(district, tmp_path, capsys, qapp):
    out = tmp_path / "report-en.pdf"
    assert main(["report", str(district), "--month", "2026-10", "--out", str(out),
                 "--lang", "en", "--no-map"]) == 0
    assert "pages" in capsys.readouterr().out
    everything = "".join(pages_text(out))
    for words in ("Citymanagementassets:monthlyreport", "October2026", "On-timerate",
                  "Evaluationofthedisposalunits", "Overdueworkorders"):
        assert words in everything, words
    assert "Hotspots" not in everything
    assert re.search(r"Made\d{4}-\d\d-\d\d\d\d:\d\dofficetime\(UTC\+8\)·", everything)
    before = out.read_bytes()
    assert main(["report", str(district), "--month", "2026-10", "--out", str(out)]) == 3
    assert "--overwrite" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["report", str(district), "--month", "2026-13", "--out",
                 str(tmp_path / "x.pdf")]) == 8
    assert not (tmp_path / "x.pdf").exists()
    assert main(["report", str(district), "--month", "2026-10", "--out",
                 str(tmp_path / "x.txt")]) == 3


def embedded_fonts(pdf) -> set[str]:
    """The base names of the fonts the PDF's pages use (a subset's tag removed)."""
    names = set()
    for page in PdfReader(str(pdf)).pages:
        for ref in (page.get("/Resources") or {}).get("/Font", {}).values():
            names.add(str(ref.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def test_the_charts_write_chinese_in_the_pages_simplified_chinese_face(small_district,
                                                                       tmp_path, qapp):
    """The charts' Hanzi come from the app's CJK font, the face of the pages' text (Noto
    Sans CJK SC here), not from the system's fallback (the Japanese face of the same
    collection, with Japanese glyph forms)."""
    from citymgr_desktop.export.fonts import cjk_family

    out = tmp_path / "report.pdf"
    with Store.open(small_district, read_only=True) as store:
        export_monthly_report(store, "2026-11", out, now=NOW, with_map=False)
    fonts = embedded_fonts(out)
    cjk = [f for f in fonts if "CJK" in f]
    assert cjk and not [f for f in cjk if "CJKjp" in f or "CJKkr" in f], fonts
    if cjk_family() == "Noto Sans CJK SC":
        assert {"NotoSansCJKsc-Regular", "NotoSansCJKsc-Bold"} <= fonts, fonts


def test_empty_month_still_makes_a_report(district, tmp_path, qapp):
    out = tmp_path / "empty.pdf"
    with Store.open(district, read_only=True) as store:
        export_monthly_report(store, "2020-02", out, now=NOW, with_map=False)
    everything = "".join(pages_text(out))
    assert "本期无数据" in everything or "按期处置率" in everything
    assert "—" in everything


@pytest.mark.parametrize("theme", ["poor-assets", "open-cases"])
def test_render_hotspot_theme(district, tmp_path, capsys, theme, qapp):
    """Cells are painted exactly where the grid counts something: 25 px cells of 250 m,
    each compared with the same map drawn without the theme."""
    with Store.open(district, read_only=True) as store:
        grid = stats.hotspot_grid(store, theme.replace("-", "_"), size=250.0)
    bbox = f"{grid.x0},{grid.y0},{grid.x0 + 16 * 250},{grid.y0 + 12 * 250}"
    plain, themed = tmp_path / "plain.png", tmp_path / f"{theme}.png"
    common = ["--size", "400x300", "--bbox", bbox, "--no-labels", "--no-antialias"]
    assert main(["render", str(district), "--out", str(plain), *common]) == 0
    assert main(["render", str(district), "--out", str(themed), *common, "--theme", theme,
                 "--cell", "250"]) == 0
    a, b = QImage(str(plain)), QImage(str(themed))
    painted = 0
    for i in range(16):
        for j in range(12):
            x, y = i * 25 + 6, 300 - (j + 1) * 25 + 6
            changed = a.pixelColor(x, y) != b.pixelColor(x, y)
            assert changed == ((i, j) in grid.cells), (i, j)
            painted += changed
    assert painted and b.pixelColor(6, 6).blue() < 200 if (0, 11) in grid.cells else painted
    assert main(["render", str(district), "--out", str(themed), "--theme", theme,
                 "--crs", "EPSG:4326"]) == 8


@pytest.mark.parametrize("lang, section", [("zh_CN", "统计看板和月报"),
                                           ("en", "Dashboard and monthly report")])
def test_the_cover_names_where_users_read_the_definitions(small_district, tmp_path, qapp,
                                                          lang, section):
    """The cover's note sends the reader to a section of the User Guide (Help menu) that
    exists and gives the rules, never to a developer's file."""
    from citymgr_desktop.core.resources import guide_file

    out = tmp_path / f"report-{lang}.pdf"
    assert main(["report", str(small_district), "--month", "2026-11", "--out", str(out),
                 "--lang", lang, "--no-map"]) == 0
    cover = pages_text(out)[0]
    assert ".md" not in cover, cover
    assert f"“{section}”".replace(" ", "") in cover, cover
    guide = guide_file(lang).read_text(encoding="utf-8")
    heading = next(line for line in guide.splitlines() if line.startswith("## ")
                   and line.endswith(section))
    rules = guide.split(heading, 1)[1].split("\n## ", 1)[0]
    for term in (("按期处置率", "巡查覆盖率", "应处置工单") if lang == "zh_CN" else
                 ("on-time rate", "Inspection coverage", "Work orders due")):
        assert term in rules, (term, rules)
    if shutil.which("pdftoppm"):  # look at it
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out),
                        "/tmp/citymgr-shots/report-cover-" + lang], check=True)
