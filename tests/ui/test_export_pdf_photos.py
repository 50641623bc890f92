"""The work-order PDF with the latest photo of each asset (``--photos``): thumbnails under
the asset table, the newest photo of each asset whatever its owner (the asset or one of its
records), and none of it without the option."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from citymgr_desktop.cli import main
from citymgr_desktop.core import history
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from tests.core.photo_support import jpeg_bytes


@pytest.fixture(autouse=True)
def _qapp(qapp):
    return qapp


@pytest.fixture
def order_with_photos(small_district):
    """An order of four bins: two with photos (one of them twice: the newer one counts)."""
    with Store.open(small_district) as store:
        bins = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 4")]
        order = wo.create_order(store, wo.OrderSpec(
            "垃圾箱巡查整改", 2, [("litter_bin", u) for u in bins]), "张工")
        history.apply(store, history.plan_attach(store, bins[0], jpeg_bytes(
            colour=(230, 30, 30), when="2026:10:01 09:00:00", size=(640, 480)), "旧.jpg"))
        deltas = history.plan_add(store, "litter_bin", bins[0], {
            "record_date": "2026-11-25", "record_type": "inspection"})
        history.apply(store, deltas)
        rid = next(d.uuid for d in deltas if d.table == "maintenance_record")
        history.apply(store, history.plan_attach(store, rid, jpeg_bytes(
            colour=(30, 200, 30), when="2026:11:25 10:30:00", size=(640, 480)), "新.jpg"))
        history.apply(store, history.plan_attach(store, bins[2], jpeg_bytes(
            colour=(30, 30, 230), size=(480, 640)), "竖.jpg"))
    return small_district, order["case_no"]


def _images(pdf) -> int:
    return sum(len(page.images) for page in PdfReader(str(pdf)).pages)


def test_pdf_prints_the_latest_photo_of_each_asset_when_asked(order_with_photos, tmp_path,
                                                              capsys):
    path, case = order_with_photos
    with_photos, without = tmp_path / "with.pdf", tmp_path / "without.pdf"
    for out, extra in ((with_photos, ["--photos"]), (without, [])):
        assert main(["workorders", "export", str(path), "--case", case, "--format", "pdf",
                     "--no-map", "--json", "--out", str(out), *extra]) == 0
        assert json.loads(capsys.readouterr().out)["orders"] == 1
    assert _images(without) == 0
    assert _images(with_photos) == 2  # two of the four bins have photos
    text = subprocess.run(["pdftotext", str(with_photos), "-"], capture_output=True,
                          text=True, check=True).stdout if shutil.which("pdftotext") else \
        "".join(p.extract_text() for p in PdfReader(str(with_photos)).pages)
    text = " ".join(text.split())
    assert "各资产最新现场照片（2）" in text.replace(" ", "")
    assert "2026-11-25 10:30" in text  # the newer photo of bin 1 (its record's), local time
    assert "2026-10-01" not in text
    colours = []
    for page in PdfReader(str(with_photos)).pages:
        for img in page.images:
            pixel = img.image.convert("RGB").getpixel((img.image.width // 2,
                                                       img.image.height // 2))
            colours.append(max(range(3), key=lambda k: pixel[k]))
    assert colours == [1, 2]  # green (bin 1's newest), then blue (bin 3)
