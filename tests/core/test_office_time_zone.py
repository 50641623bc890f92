"""Times a person reads are in office time (UTC+8) and say so. The CSV exports have no
comment for it (the XLSX has one): their time columns' headings name the zone, the same in
the layer export and the work-order CSV; ``--codes`` keeps the schema's field names for
scripts. The CLI's lines name it too: ``workorders extend``/``list``, ``sync-undo`` of a run
already undone, ``sync`` of a package content already synced. Through the real CLI process
(the CSV header read back from the file)."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.faults.project import make_project
from tests.faults.support import run

ZH, EN = "办公时间（UTC+8）", "office time (UTC+8)"

pytestmark = pytest.mark.e2e


def _headings(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def test_layer_csv_time_headings_name_the_office_zone(small_district, tmp_path):
    zh, en, codes = tmp_path / "zh.csv", tmp_path / "en.csv", tmp_path / "codes.csv"
    for out, extra in ((zh, ["--lang", "zh_CN"]), (en, ["--lang", "en"]), (codes, ["--codes"])):
        r = run(["export", small_district, "--layer", "litter_bin", "--out", out, *extra])
        assert r.rc == 0, r.err
    assert "更新时间（办公时间 UTC+8）" in _headings(zh)
    assert "注销时间（办公时间 UTC+8）" in _headings(zh)
    assert "Updated at (office time UTC+8)" in _headings(en)
    assert "建成日期" in _headings(zh)  # a date, not a time of day: no zone
    assert "updated_at" in _headings(codes) and "retired_at" in _headings(codes)
    assert not any("UTC" in h for h in _headings(codes))


def test_work_order_csv_time_headings_name_the_office_zone(small_district, tmp_path):
    out = tmp_path / "orders.csv"
    r = run(["workorders", "export", small_district, "--format", "csv", "--out", out])
    assert r.rc == 0, r.err
    headings = _headings(out)
    for label in ("处置时限", "上报时间", "派遣时间", "结案时间"):
        assert f"{label}（办公时间 UTC+8）" in headings, headings
    assert "案件编号" in headings  # not a time: as it was


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A project whose field package was synced, and a copy of that package made before."""
    project = make_project(tmp_path_factory.mktemp("zone"))
    shutil.copyfile(project.package, project.folder / "copy.gpkg")
    assert run(["sync", project.master, project.package, "--user", "张三"]).rc == 0
    return project


def test_work_order_lines_name_the_office_zone(synced):
    r = run(["workorders", "extend", synced.master, synced.case, "--due", "2099-03-02 15:00", "--reason",
             "雨天", "--user", "张三", "--lang", "zh_CN"])
    assert r.rc == 0, r.err
    assert r.out.strip() == f"{synced.case}: 2099-03-02 15:00 {ZH}", r.out
    listing = run(["workorders", "list", synced.master, "--lang", "en"])
    assert listing.rc == 0, listing.err
    assert "deadline (office time UTC+8)" in listing.out.splitlines()[0], listing.out


def test_sync_lines_name_the_office_zone(synced):
    again = run(["sync", synced.master, synced.folder / "copy.gpkg", "--user", "张三",
                 "--lang", "en"])
    assert again.rc == 0, again.err
    note = [line for line in again.out.splitlines() if "was synced on" in line]
    assert note and note[0].endswith(EN), again.out
    runs = run(["sync-list", synced.master, "--json"])
    sync_id = json.loads(runs.out)["runs"][0]["sync_id"]
    assert run(["sync-undo", synced.master, sync_id, "--user", "张三"]).rc == 0
    for lang, zone in (("en", EN), ("zh_CN", ZH)):
        twice = run(["sync-undo", synced.master, sync_id, "--user", "张三", "--lang", lang])
        assert twice.rc != 0
        assert twice.err.strip().endswith(f"{zone})") or twice.err.strip().endswith(
            f"{zone}）"), twice.err
