"""Work-order PDFs a first-time user printed, read back with pdftotext: an order of one bin
whose 街道 is empty says it is not recorded (never "several"), in Chinese and English."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from citymgr_desktop.cli import main
from tests.tools import have_pdftotext, skip_missing

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
BIN_CODE = "4201060304000010"


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first (the PDF export would make a bare one)."""
    return qapp


def _pdf_text(pdf: Path) -> str:
    if not have_pdftotext():
        skip_missing("pdftotext", "poppler-utils")
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def test_an_asset_without_district_is_not_several(tmp_path, capsys):
    gpkg = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, gpkg)
    where = f"obj_code = '{BIN_CODE}'"
    assert main(["edit", str(gpkg), "--layer", "litter_bin", "--where", where,
                 "--set", "district="]) == 0
    assert main(["workorders", "create", str(gpkg), "--layer", "litter_bin", "--where", where,
                 "--priority", "normal", "--title", "一个垃圾箱"]) == 0
    case = capsys.readouterr().out.strip().splitlines()[-1]
    for lang, words, never in (("zh_CN", "街道 上报时间 巡查发现 未登记", "多个街道"),
                               ("en", "not recorded", "several")):
        pdf = tmp_path / f"{lang}.pdf"
        assert main(["workorders", "export", str(gpkg), "--case", case, "--format", "pdf",
                     "--out", str(pdf), "--lang", lang]) == 0
        text = _pdf_text(pdf)
        assert words in text and never not in text, text[:400]
