"""PDFs written in Chinese hold no English sentence: the work-order PDF and the print map of the
sample district, made through the command line and read back with poppler's pdftotext.

An English sentence is a run of three or more ASCII words in one place on the page; codes,
numbers, units, case numbers, file names and EPSG codes are not (they have fewer words). The
orders include what the app writes itself: an order created from the map selection (its event
note) and one created for an expression, as the UI and the CLI create them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import notes
from citymgr_desktop.core.workorders import orders as wo
from tests.tools import needs_poppler

pytestmark = [needs_poppler, pytest.mark.slow]

ASCII_RUN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # one space apart: one place on a page
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first (the exports would create a bare QGuiApplication)."""
    return qapp


def english_sentences(text: str) -> list[str]:
    """The runs of three or more ASCII words in ``text`` (pdftotext -layout output, where
    table columns are two or more spaces apart)."""
    return [run for line in text.splitlines() for run in ASCII_RUN.findall(line)
            if len(WORD.findall(run)) >= 3]


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture
def orders(district: Path) -> Path:
    """The sample district with two more orders, made the ways the app makes them."""
    with Store.open(district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 3")]
        wo.create_order(store, wo.OrderSpec(
            "垃圾箱维修", 2, [("litter_bin", u) for u in bins],
            note=notes.created_from_selection(len(bins))), "张工")
        wo.create_order(store, wo.OrderSpec(
            "路面修补", 3, [("litter_bin", bins[0])],
            note=notes.created_where(1, "condition >= 4")), "张工")
    return district


def test_the_finder_finds_english_and_lets_codes_through():
    assert english_sentences("状态  created from the selection (3 asset(s))  上报") == [
        "created from the selection (3 asset(s))"]
    assert english_sentences("坐标系：CGCS2000 / 3-degree Gauss-Kruger CM 114E（EPSG:4547）")
    assert not english_sentences("案件编号 202612060001  1:15,000  EPSG:4547  district.gpkg  "
                                 "4201060304000001  0  100  200 m  N")


def test_chinese_work_order_pdf_has_no_english_sentence(orders, tmp_path, capsys):
    pdf = tmp_path / "orders.pdf"
    assert main(["workorders", "export", str(orders), "--format", "pdf", "--out", str(pdf),
                 "--lang", "zh"]) == 0
    text = pdf_text(pdf)
    assert "由地图上选中的资产创建（3 处）" in text  # the app's own note, in Chinese
    assert "condition >= 4" in text  # a person's expression stays as written
    assert english_sentences(text) == []
    english = tmp_path / "orders-en.pdf"
    assert main(["workorders", "export", str(orders), "--format", "pdf", "--out", str(english),
                 "--lang", "en"]) == 0
    assert "created from the selection (3 asset(s))" in english_sentences(pdf_text(english))


def test_chinese_print_map_has_no_english_sentence(orders, tmp_path, capsys):
    pdf = tmp_path / "map.pdf"
    assert main(["print-map", str(orders), "--out", str(pdf), "--lang", "zh_CN"]) == 0
    text = pdf_text(pdf)
    assert "维修图" in text and "高斯-克吕格投影" in text
    assert english_sentences(text) == []


def test_chinese_work_order_atlas_has_no_english_sentence(orders, tmp_path, capsys):
    with Store.open(orders, read_only=True) as store:
        cases = [r[0] for r in store.conn.execute(
            "SELECT case_no FROM work_order ORDER BY case_no DESC LIMIT 3")]
    pdf = tmp_path / "atlas.pdf"
    assert main(["print-map", str(orders), "--out", str(pdf), "--atlas", "workorder",
                 "--cases", ",".join(cases)]) == 0
    assert english_sentences(pdf_text(pdf)) == []
