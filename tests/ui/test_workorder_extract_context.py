"""The map extract of a one-bin work order, read back from the PDF ``citymgr workorders
export`` writes: at 1:1,000 at the closest, so the crew sees the bin's streets (trial 9's
extract was 1:500, a green space and a sliver of road), and no road name under the scale
bar (its white box was drawn over 民主大道 there; here over 白沙东路 beside bin 946)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from citymgr_desktop.render.labels import HALO_MM
from tests.faults.support import run
from tests.tools import needs_poppler
from tests.ui.pdf_reading import painted_paths, pdf_words

pytestmark = [needs_poppler, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
# bin 946 has 白沙东路 running down the extract's lower left corner, where the scale bar is
BINS = ("4201060304000946", "4201060304000001", "4201060304000481")


@pytest.fixture
def one_bin_orders(tmp_path) -> tuple[Path, Path]:
    district = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, district)
    cases = []
    for code in BINS:
        made = run(["workorders", "create", district, "--layer", "litter_bin", "--where",
                    f"obj_code = '{code}'", "--priority", "normal", "--title", "垃圾箱破损更换",
                    "--json"]).ok()
        cases.append(json.loads(made)["case_no"])
    pdf = tmp_path / "orders.pdf"
    run(["workorders", "export", district, "--format", "pdf", "--out", pdf, "--case",
         ",".join(cases)]).ok()
    return district, pdf


def test_a_one_bin_extract_shows_its_streets_and_keeps_names_off_the_scale_bar(
        one_bin_orders):
    _district, pdf = one_bin_orders
    for page, code in enumerate(BINS, start=1):
        words = pdf_words(pdf, page)
        assert any(w[0] == code for w in words)
        scales = [int(w[0][2:].replace(",", "")) for w in words
                  if re.fullmatch(r"1:[\d,]+", w[0])]
        assert len(scales) == 2 and set(scales) == {1000}, (code, scales)  # bar and caption
        # the scale bar: from its "0" to its "1:1,000", as tall as its white box
        zero = next(w for w in words if w[0] == "0")
        ratio = min((w for w in words if w[0] == "1:1,000"), key=lambda w: w[2])
        bar = (zero[1] - 1.0, zero[2] - 0.3, ratio[1] + 17.0, ratio[4] + 1.4)
        names = [p for p in painted_paths(pdf, page - 1)
                 if p.op == "stroke" and p.colour == "#ffffff"
                 and abs(p.width_mm - 2 * HALO_MM) < 0.01]  # a road name's white halo
        assert names, code  # the extract names its streets
        under = [p for p in names
                 if p.points[:, 0].min() < bar[2] and p.points[:, 0].max() > bar[0]
                 and p.points[:, 1].min() < bar[3] and p.points[:, 1].max() > bar[1]]
        assert not under, (code, [p.points.mean(axis=0) for p in under])
