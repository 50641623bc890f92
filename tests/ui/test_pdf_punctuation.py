"""Brackets in the PDFs as each language writes them: in Chinese full-width （…） with no space
before them (流转记录（最近8条）, 处置时限（已超期）, 超期工单（18）), in English a space and
ASCII brackets (Moves (last 8), Assets (2)). The work-order PDF and the monthly report are made
by ``citymgr`` as a process and read back with poppler's pdftotext."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from tests.faults.support import run
from tests.tools import needs_poppler

pytestmark = [needs_poppler, pytest.mark.slow]

SPACE_BEFORE_FULL_WIDTH = re.compile(r"\S[ \u3000]+[（【《，。、；：]")
ASCII_BRACKET_AFTER_HAN = re.compile(r"[\u4e00-\u9fff] ?\((\d[\d,]*)\)")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def busy_order(district: Path) -> tuple[Path, str]:
    """The sample district with its most overdue order in progress put on hold and back five
    times (more moves than the PDF lists)."""
    with Store.open(district) as store:
        case = store.conn.execute(
            "SELECT case_no FROM work_order WHERE state = 'in_progress' ORDER BY deadline "
            "LIMIT 1").fetchone()[0]
        for _ in range(5):
            wo.move_order(store, case, "on_hold", "张工", note="等待材料")
            wo.move_order(store, case, "in_progress", "张工", note="材料已到")
    return district, case


def test_work_order_pdf_brackets(busy_order, tmp_path):
    district, case = busy_order
    zh, en = tmp_path / "zh.pdf", tmp_path / "en.pdf"
    run(["workorders", "export", district, "--case", case, "--format", "pdf", "--out", zh,
         "--lang", "zh"]).ok()
    run(["workorders", "export", district, "--case", case, "--format", "pdf", "--out", en,
         "--lang", "en"]).ok()
    text = pdf_text(zh)
    assert "流转记录（最近8条）" in text and "处置时限（已超期）" in text
    assert re.search(r"工单资产（\d+）", text)
    assert SPACE_BEFORE_FULL_WIDTH.findall(text) == []
    assert ASCII_BRACKET_AFTER_HAN.findall(text) == []
    english = pdf_text(en)
    assert "Moves (last 8)" in english and "Deadline (overdue)" in english
    assert re.search(r"Assets \(\d+\)", english) and "Assets（" not in english


def test_monthly_report_brackets(district, tmp_path):
    with Store.open(district, read_only=True) as store:
        month = store.conn.execute("SELECT substr(MAX(reported_at), 1, 7) FROM work_order"
                                   ).fetchone()[0]
    pdf = tmp_path / "report.pdf"
    run(["report", district, "--month", month, "--out", pdf, "--lang", "zh"]).ok()
    text = pdf_text(pdf)
    assert re.search(r"超期工单（\d+）", text)
    assert re.search(r"每网格未结案件数（\d+ m × \d+ m；", text)
    assert SPACE_BEFORE_FULL_WIDTH.findall(text) == []
    assert ASCII_BRACKET_AFTER_HAN.findall(text) == []
