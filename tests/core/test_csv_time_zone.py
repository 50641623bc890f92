"""The CSV exports' time columns are in office time, and a CSV has no comment to say so (the
XLSX has one): their headings name the zone, the same in the layer export and the work-order
CSV. ``--codes`` keeps the schema's field names for scripts. Through the real CLI process,
the header read back from the file."""

from __future__ import annotations

import csv

import pytest

from tests.faults.support import run

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
