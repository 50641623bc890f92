"""The text layer of our PDFs gives back the Simplified Chinese that was written: Qt's
ToUnicode maps a glyph to the first code point of the font's cmap, a Kangxi or CJK radical
for ideographs that share its glyph (``export.fonts.fix_pdf_tounicode`` maps them back).
Read with poppler's pdftotext, as a reader's copy and search would."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults.support import run

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
# simplified ideographs whose glyph a radical shares in SC faces (户 with ⼾, 门 with ⻔, ...)
SHARED = "用户门车长见页风贝青民马鱼鸟黄齐龙飞麦角韦食骨鬼"

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True, encoding="utf-8").stdout


@needs_poppler
def test_monthly_report_says_user_guide_in_simplified(tmp_path):
    out = tmp_path / "report.pdf"
    res = run(["report", SAMPLE, "--month", "2026-10", "--out", out, "--no-map"])
    assert res.rc == 0, res.err
    text = _text(out)
    assert "用户指南" in text and "用戶" not in text


@needs_poppler
def test_a_work_order_note_of_shared_glyphs_comes_back_as_written(tmp_path):
    path = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, path)
    assert run(["workorders", "move", path, "202610130001", "--to", "resolved",
                "--note", SHARED, "--user", "王五"]).rc == 0
    out = tmp_path / "order.pdf"
    res = run(["workorders", "export", path, "--case", "202610130001", "--format", "pdf", "--out", out])
    assert res.rc == 0, res.err
    text = "".join(_text(out).split())
    assert SHARED in text
    assert not [ch for ch in text if 0x2E80 <= ord(ch) <= 0x2FDF]  # no radical left
