"""``citymgr info`` and ``citymgr sync-list`` speak the ``--lang`` of the command line (the
message catalogue every command uses), not only their errors; ``--json`` stays the same in
every language (its keys and values are an API). Run as the user runs them: the CLI process."""

from __future__ import annotations

import json
import re

import pytest

from tests.core.sync_support import checkout, edit, sync, uuids
from tests.faults.support import run

# English words of the human output that must not show in Chinese
ENGLISH = re.compile(r"field package|sync run|newest|open conflict|surveyor|assets|ancestor|"
                     r"master|change\(s\)|conflict\(s\)|\bby\b|sub-districts|domains|"
                     r"district code|project|read-only|\blayer\b|\bcount\b|extent|\btable\b")


@pytest.fixture
def synced_master(small_district, tmp_path):
    """A master with a field package checked out by 张三 and synced with one open conflict."""
    package = tmp_path / "巡查.gpkg"
    checkout(small_district, package, district="水果湖街道", surveyor="张三")
    [bin_uuid] = uuids(package, "litter_bin", limit=1)
    with edit(package) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (bin_uuid,))
    with edit(small_district) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (bin_uuid,))
    sync(small_district, package)
    return str(small_district)


def test_sync_list_in_chinese(synced_master):
    text = run(["sync-list", synced_master, "--conflicts", "--lang", "zh_CN"]).ok(quiet=True)
    assert "外业数据包 1 个：" in text and "采集员 张三" in text
    assert "同步 1 次（最新的在前）：" in text and "已应用" in text and "冲突 1 个" in text
    assert "未解决的冲突 1 个" in text and "原值" in text and "主库 4" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    english = run(["sync-list", synced_master, "--conflicts", "--lang", "en"]).ok(quiet=True)
    assert "1 field package(s):" in english and "1 open conflict(s)" in english
    assert "surveyor 张三" in english and "ancestor" in english


def test_info_in_chinese(synced_master):
    text = run(["info", synced_master, "--lang", "zh_CN"]).ok(quiet=True)
    assert "citymgr 项目；行政区划代码 " in text
    assert "图层" in text and "要素数" in text and "属性表" in text
    assert "街道：" in text and "值域：" in text and "、" in text
    assert not ENGLISH.search(text), ENGLISH.search(text)
    english = run(["info", synced_master, "--lang", "en"]).ok(quiet=True)
    assert "citymgr project; district code" in english and "domains: " in english


@pytest.mark.parametrize("command", ["info", "sync-list"])
def test_json_is_the_same_in_every_language(synced_master, command):
    zh = json.loads(run([command, synced_master, "--json", "--lang", "zh_CN"]).ok(quiet=True))
    assert zh == json.loads(run([command, synced_master, "--json", "--lang", "en"]).ok(quiet=True))
    assert zh == json.loads(run([command, synced_master, "--json"]).ok(quiet=True))


@pytest.mark.parametrize("where", ["command", "top", "environment"])
def test_usage_errors_speak_the_language_asked_for(small_district, where):
    """argparse's own messages (a missing required option, an unknown command) follow
    ``--lang`` / ``CITYMGR_LANG`` like every other error; the ``error:`` prefix stays."""
    env = {}
    line = ["workorders", "create", str(small_district)]
    if where == "command":
        line += ["--lang", "zh_CN"]
    elif where == "top":
        line = ["--lang=zh", *line]
    else:
        env["CITYMGR_LANG"] = "zh_CN"
    missing = run(line, env=env)
    assert missing.rc == 2
    assert "error: 缺少必需的参数：--layer, --where, --priority, --title" in missing.err
    english = run(["--lang", "en", "rendr"], env=env)
    assert english.rc == 2 and "invalid choice: 'rendr'" in english.err
    # our own argument checks too: the value refused, said in the same language
    refused = run([*line, "--layer", "litter_bin", "--where", "1", "--title", "x", "--priority",
                   "9"], env=env)
    assert refused.rc == 2
    assert "参数 --priority：未知的紧急程度 '9'（1 特急/urgent" in refused.err


def test_import_report_says_the_transformation_in_chinese(tmp_path):
    """PROJ's "Ballpark geographic offset from WGS 84 to ..." becomes a Chinese sentence in
    the Chinese report; ``--json`` keeps PROJ's own words."""
    from tests.core import import_sources as src
    project = src.new_project(tmp_path / "p.gpkg")
    points = src.geojson_points(tmp_path, "bins", [src.ll(1, 1), src.ll(2, 2)])
    args = ("import", str(project), str(points), "--as", "litter_bin", "--dry-run")
    text = run([*args, "--lang", "zh_CN"]).ok(quiet=True)
    assert "转换 1：无基准转换参数，按同一基准近似（误差可达数米）" in text, text
    assert "Ballpark" not in text and "axis order" not in text
    english = run([*args, "--lang", "en"]).ok(quiet=True)
    assert "transformation 1: axis order change (2D) + Ballpark geographic offset" in english
    data = json.loads(run([*args, "--lang", "zh_CN", "--json"]).ok(quiet=True))
    assert "Ballpark geographic offset from WGS 84" in data["crs"]["transformation"]


def test_sync_list_prints_office_time_and_json_keeps_utc(synced_master):
    """The times a person reads are office time (UTC+8), as the app shows them, and say so
    (the XLSX headings' words); ``--json`` keeps the stored UTC text."""
    from citymgr_desktop.core.clock import format_local
    data = json.loads(run(["sync-list", synced_master, "--json"]).ok(quiet=True))
    [package], [sync_run] = data["packages"], data["runs"]
    assert package["created_at"].endswith("Z") and sync_run["applied_at"].endswith("Z")
    for lang, zone in (("en", "office time (UTC+8)"), ("zh_CN", "办公时间（UTC+8）")):
        text = run(["sync-list", synced_master, "--lang", lang]).ok(quiet=True)
        assert f"{format_local(package['created_at'])} {zone}" in text, text
        assert f"{format_local(sync_run['applied_at'])} {zone}" in text
        assert package["created_at"] not in text and sync_run["applied_at"] not in text


def test_checkout_edit_and_sync_list_say_themselves_in_chinese(small_district, tmp_path):
    """What a check-out wrote, what an edit changed and a package's area (stored in English,
    "district 水果湖街道") in the --lang asked for."""
    master, package = str(small_district), str(tmp_path / "水果湖.gpkg")
    text = run(["field-package", master, "--out", package, "--district", "水果湖街道",
                "--user", "张三", "--lang", "zh_CN"]).ok(quiet=True)
    assert text.startswith("已写出 ") and "街道 水果湖街道" in text and "垃圾箱 " in text, text
    assert "数据包编号 " in text and not re.search(r"wrote|assets|district|package id", text)
    listing = run(["sync-list", master, "--lang", "zh_CN"]).ok(quiet=True)
    assert "街道 水果湖街道" in listing and "district" not in listing, listing
    assert "district 水果湖街道" in run(["sync-list", master, "--lang", "en"]).ok(quiet=True)
    edited = run(["edit", master, "--layer", "litter_bin", "--where",
                  "district = '水果湖街道' and condition = 1", "--set", "remarks=复查",
                  "--lang", "zh_CN"]).ok(quiet=True)
    assert re.fullmatch(r"litter_bin（垃圾箱）：符合条件的 [\d,]+ 个资产中已修改 [\d,]+ 个\n",
                        edited), edited
