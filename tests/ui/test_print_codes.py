"""A maintenance map writes the object code beside each asset that needs work (condition
4-5) of the sheet's 街道, as searchable text; the legend says what red codes are; an
asset of a neighbouring 街道 drawn in the frame gets none; ``--no-codes`` leaves them out."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import re

import shapely

from citymgr_desktop.cli import main as cli_main
from citymgr_desktop.core.store import Store
from tests.tools import needs_poppler
from tests.ui.pdf_reading import pdf_text

DISTRICT = "粮道街道"


def _print(capsys, district, out, *extra):
    code = cli_main(["print-map", str(district), "--district", DISTRICT, "--out", str(out),
                     "--lang", "zh_CN", "--json", *extra])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    return doc


def _poor_codes(district, extent) -> tuple[set[str], set[str]]:
    """(codes of this 街道's assets in condition 4-5 in the frame, the same of others)."""
    ours, others = set(), set()
    box = shapely.box(*extent)
    with Store.open(district, read_only=True) as store:
        for layer in ("road_segment", "bridge", "green_space", "litter_bin"):
            df = store.read(layer, columns=["obj_code", "condition", "district"],
                            include_retired=False, bbox=tuple(extent))
            df = df[(df["condition"] >= 4) & df.geometry.intersects(box)]
            for code, d in zip(df["obj_code"], df["district"], strict=True):
                (ours if d == DISTRICT else others).add(code)
    return ours, others


@needs_poppler
def test_codes_of_the_assets_that_need_work(qapp, district, tmp_path, capsys):
    doc = _print(capsys, district, tmp_path / "m.pdf")
    ours, others = _poor_codes(district, doc["extent"])
    assert ours and others  # the sample's frame shows both
    text = pdf_text(tmp_path / "m.pdf")
    written = set(re.findall(r"\b\d{16}\b", text))
    assert written <= ours and not written & others
    # every one is written unless there was no room, and the legend counts those
    assert len(written) == doc["codes"]["written"]
    assert len(ours) - len(written) == doc["codes"]["left_out"]
    assert len(written) >= 0.8 * len(ours)
    assert f"红色编号：{DISTRICT}技术状况差、危险的部件" in text.replace(" ", "")

    doc = _print(capsys, district, tmp_path / "none.pdf", "--no-codes")
    assert doc["codes"] is None
    text = pdf_text(tmp_path / "none.pdf")
    assert not re.findall(r"\b\d{16}\b", text) and "红色编号" not in text


@needs_poppler
def test_an_atlas_page_of_a_district_codes_its_own_assets(qapp, district, tmp_path, capsys):
    out = tmp_path / "atlas.pdf"
    code = cli_main(["print-map", str(district), "--atlas", "district", "--out", str(out),
                     "--lang", "zh_CN"])
    capsys.readouterr()
    assert code == 0
    owner = {}
    with Store.open(district, read_only=True) as store:
        for layer in ("road_segment", "bridge", "green_space", "litter_bin"):
            df = store.read(layer, columns=["obj_code", "district"])
            owner.update(zip(df["obj_code"], df["district"], strict=True))
    pages = 0
    for page in range(1, len(store_districts(district)) + 1):
        text = pdf_text(out, page)
        (name,) = re.findall(r"街道：\s*(\S+街道)", text)
        written = set(re.findall(r"\b\d{16}\b", text))
        assert written and {owner[c] for c in written} == {name}
        pages += 1
    assert pages == 12


def store_districts(path) -> list[str]:
    with Store.open(path, read_only=True) as store:
        return store.districts()


@needs_poppler
def test_no_codes_on_a_sheet_smaller_than_1_to_10000(qapp, district, tmp_path, capsys):
    """The whole district fits at 1:20,000, where the codes would cover the map: none are
    written and the legend says at which scales they appear."""
    out = tmp_path / "all.pdf"
    code = cli_main(["print-map", str(district), "--out", str(out), "--lang", "zh_CN",
                     "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["scale"] > 10_000
    assert doc["codes"] == {"written": 0, "left_out": 0, "scale_too_small": True}
    text = pdf_text(out)
    assert not re.findall(r"\b\d{16}\b", text)
    assert "仅在1:10,000及更大比例尺的图上标注" in text.replace(" ", "").replace("\n", "")
    # the same area at 1:10,000 (cut to the sheet) gets them again
    code = cli_main(["print-map", str(district), "--out", str(tmp_path / "big.pdf"),
                     "--scale", "10000", "--lang", "zh_CN", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["codes"]["written"] > 0 and not doc["codes"]["scale_too_small"]
