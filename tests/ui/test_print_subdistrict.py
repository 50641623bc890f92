"""The maintenance map of one 街道 from the sample data, printed by the ``citymgr`` process and
looked at as a user does: the PDF painted by poppler. The map frame holds assets in its left,
middle and right thirds (and top and bottom): 中华路街道 lies at the district's west edge, and
a frame centred on it left its left third empty. The same for every page of the sub-district
atlas; the 街道's name is in the title block. Its own assets are in full colour, the other
街道's paler: 中华路街道's assets end in the middle third, the right third is its
neighbours'."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from citymgr_desktop.export.print_map import geometry as lg
from tests.faults.support import run
from tests.tools import needs_poppler
from tests.ui.pdf_reading import ink_in_thirds, pdf_pages, pdf_words

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
WEST_EDGE = "中华路街道"
FRAME = lg.page_geometry("A3", "landscape")  # the default sheet
EMPTY = 0.1  # a third of the frame with less coloured ink than this is empty

pytestmark = needs_poppler


@pytest.fixture
def district(tmp_path) -> Path:
    path = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, path)
    return path


def test_a_subdistrict_at_the_district_edge_fills_its_frame(district, tmp_path):
    pdf = tmp_path / "street.pdf"
    report = json.loads(run(["print-map", str(district), "--district", WEST_EDGE,
                             "--out", str(pdf), "--json", "--lang", "zh_CN"]).ok())
    (page,) = pdf_pages(pdf, tmp_path)
    ink = ink_in_thirds(page, FRAME.map)
    assert min(ink) > EMPTY, ink  # centred on the 街道, the left third had 3 %
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.print_map.areas import district_bbox, full_extent

    with open_store(district, read_only=True) as store:
        street, whole = district_bbox(store, WEST_EDGE), full_extent(store)
    x0, y0, x1, y1 = report["extent"]
    assert x0 <= street[0] and x1 >= street[2] and y0 <= street[1] and y1 >= street[3]
    assert x0 >= whole[0] - 0.05 * (street[2] - street[0])  # not beyond the district's west
    title = FRAME.title
    assert title is not None
    in_title = "".join(w for w, _x0, wy0, _x1, wy1 in pdf_words(pdf)
                       if wy0 >= title.y - 1 and wy1 <= title.bottom + 1)
    assert "维修图" in in_title and WEST_EDGE in in_title, in_title


def test_every_page_of_the_subdistrict_atlas_fills_its_frame(district, tmp_path):
    pdf = tmp_path / "atlas.pdf"
    run(["print-map", str(district), "--atlas", "district", "--out", str(pdf),
         "--no-labels", "--no-codes"]).ok()
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 12
    empty = {i + 1: ink for i, page in enumerate(pages)
             if min(ink := ink_in_thirds(page, FRAME.map)) <= EMPTY}
    assert not empty, empty  # centred on their 街道, 6 of the 12 pages had an empty third


def test_the_other_subdistricts_assets_are_paler(district, tmp_path):
    pdf = tmp_path / "street.pdf"
    run(["print-map", str(district), "--district", WEST_EDGE, "--out", str(pdf),
         "--lang", "zh_CN"]).ok()
    (page,) = pdf_pages(pdf, tmp_path)
    ink = ink_in_thirds(page, FRAME.map)  # pale or not
    full = ink_in_thirds(page, FRAME.map, saturation=60)
    assert full[0] > 0.4 * ink[0], (full, ink)  # 中华路街道's own: full colours
    assert full[2] < 0.1 * ink[2], (full, ink)  # its neighbours' (was 70 % full colour)
    assert "淡色：其他街道的部件" in "".join(w for w, *_box in pdf_words(pdf))
