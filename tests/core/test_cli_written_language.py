"""What report and workorders export wrote, and what publish did, in the --lang of the
command line; the English lines as they always were (scripts read them). The CLI process;
publish's real run is in tests/pg/test_postgis_cli.py."""

from __future__ import annotations

import re
from types import SimpleNamespace

from citymgr_desktop.cli.commands.publish import published_lines
from tests.faults.support import run


def test_report_says_what_it_wrote_in_chinese(small_district, tmp_path):
    out = tmp_path / "report-2026-11.pdf"
    text = run(["report", str(small_district), "--month", "2026-11", "--out", str(out),
                "--no-map", "--lang", "zh_CN"]).ok()
    assert re.fullmatch(rf"已写出 {re.escape(str(out))}（\d+ 页，超期工单 \d+ 件），用时 "
                        r"[\d.]+ 秒\n", text), text
    english = run(["report", str(small_district), "--month", "2026-11", "--out", str(out),
                   "--no-map", "--overwrite", "--lang", "en"]).ok()
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \(\d+ pages, \d+ overdue orders\) in "
                        r"[\d.]+ s\n", english), english


def test_workorders_export_says_what_it_wrote_in_chinese(small_district, tmp_path):
    out = tmp_path / "orders_all.xlsx"
    text = run(["workorders", "export", str(small_district), "--out", str(out),
                "--format", "xlsx", "--lang", "zh_CN"]).ok()
    assert re.fullmatch(rf"已写出 {re.escape(str(out))}：工单 \d+ 件，资产 \d+ 个，xlsx 格式\n",
                        text), text
    english = run(["workorders", "export", str(small_district), "--out", str(out),
                   "--format", "xlsx", "--overwrite", "--lang", "en"]).ok()
    assert re.fullmatch(rf"wrote {re.escape(str(out))}: \d+ order\(s\), \d+ asset\(s\) as "
                        r"xlsx\n", english), english


def test_publish_lines_in_both_languages():
    result = SimpleNamespace(inserted={"litter_bin": 7000, "road_segment": 224},
                             updated={"litter_bin": 0}, created_schema=True,
                             kept={"litter_bin": 2, "road_segment": 1})
    assert published_lines("district.gpkg", "service=city", result, "en") == [
        "district.gpkg -> service=city: 7,224 rows added, 0 updated (schema created)",
        "  kept the database's newer version of 3 row(s) changed there after the file's copy "
        "(litter_bin 2, road_segment 1); edit them in the database, or take a new snapshot"]
    zh = published_lines("district.gpkg", "service=city", result, "zh_CN")
    assert zh[0] == "district.gpkg -> service=city：新增 7,224 行，更新 0 行（已创建数据库结构）"
    assert "垃圾箱 2、道路路段 1" in zh[1] and not re.search(r"[a-z]{4,}", zh[1]), zh[1]
