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


@pytest.mark.parametrize(("lang", "words"), [("en", "shows only"), ("zh_CN", "只显示")])
def test_print_map_says_when_the_scale_cuts_the_district(tmp_path, capsys, lang, words):
    gpkg = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, gpkg)
    args = ["--lang", lang, "print-map", str(gpkg), "--paper", "A3", "--district", "黄鹤楼街道"]
    assert main([*args, "--out", str(tmp_path / "cut.pdf"), "--scale", "2000"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("citymgr: warning: ") and words in err[0]
    assert "1:2000" in err[0] and "--atlas" in err[0]
    assert main([*args, "--out", str(tmp_path / "fit.pdf")]) == 0  # fitted: nothing to say
    assert "warning" not in capsys.readouterr().err


def _legend(groups: dict[str, int]) -> list:
    from citymgr_desktop.export.print_map.furniture import LegendRow

    rows = []
    for layer, n in groups.items():
        rows.append(LegendRow(layer))
        rows += [LegendRow(f"{layer} {k}", lambda p, r: None) for k in range(n)]
    return rows


@pytest.mark.parametrize("per_col", range(2, 26))
def test_a_legend_column_never_starts_with_another_layers_entries(per_col):
    """Litter-bin entries at the top of a column beside "Road segments" read as road classes:
    every column starts with a heading, and every entry sits under its own layer's."""
    from citymgr_desktop.export.print_map.furniture import legend_columns

    rows = _legend({"Road segments": 6, "Bridges": 5, "Green spaces": 6, "Litter bins": 6})
    rows.append(type(rows[1])("Work order assets", lambda p, r: None))
    columns = legend_columns(rows, per_col)
    assert [r for col in columns for r in col if r.swatch] == [r for r in rows if r.swatch]
    for col in columns:
        assert len(col) <= per_col
        assert col[0].swatch is None or col[0].label == "Work order assets", \
            [r.label for r in col]
        heading = None
        for row in col:
            if row.swatch is None:
                heading = row.label
            elif row.label != "Work order assets":
                assert row.label.startswith(f"{heading} "), (heading, row.label)


def test_groups_stay_together_when_that_costs_no_column():
    from citymgr_desktop.export.print_map.furniture import legend_columns

    rows = _legend({"Road segments": 6, "Bridges": 5, "Green spaces": 6, "Litter bins": 6})
    columns = legend_columns(rows, 16)  # the A4 landscape sheet's legend
    assert [[r.label for r in col if r.swatch is None] for col in columns] == [
        ["Road segments", "Bridges"], ["Green spaces", "Litter bins"]]
