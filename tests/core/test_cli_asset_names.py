"""What a first-time user of the command line needs: ``citymgr locate`` prints the uuid and
object code of an asset, every ``--asset`` takes the code as well as the uuid (one core
function, the app's locate), and the tables printed for people follow ``--lang``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from citymgr_desktop.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
BIN_UUID = "1f74b005-974d-4e92-ba5a-7f3a56bdaeda"  # the README's bin
BIN_CODE = "4201060304000010"


@pytest.fixture
def district(tmp_path) -> str:
    path = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, path)
    return str(path)


def test_locate_prints_uuid_code_name_and_district(district, capsys):
    assert main(["locate", district, "民主大道009", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"layer": "litter_bin", "asset_uuid": BIN_UUID, "obj_code": BIN_CODE,
                     "name": "民主大道009号", "district": "积玉桥街道"}]
    assert main(["--lang", "zh_CN", "locate", district, BIN_UUID]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["图层", "uuid", "部件编码", "名称", "街道"]
    assert lines[1].split() == ["垃圾箱", BIN_UUID, BIN_CODE, "民主大道009号", "积玉桥街道"]
    assert lines[2] == "1 处资产"


def test_history_takes_the_object_code(district, capsys):
    assert main(["history", "add", district, "--asset", BIN_CODE, "--type", "inspection",
                 "--date", "2099-11-20", "--condition-after", "2", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["asset_uuid"] == BIN_UUID
    assert main(["history", "list", district, "--asset", BIN_UUID, "--json"]) == 0
    by_uuid = json.loads(capsys.readouterr().out)
    assert main(["history", "list", district, "--asset", BIN_CODE, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == by_uuid
    assert by_uuid[0]["record_uuid"] == added["record_uuid"]


@pytest.mark.parametrize(("text", "code", "words"), [
    ("4201060399999999", 10, "no asset with uuid or code 4201060399999999"),
    ("42010603040000", 8, "names several assets (4201060304000001, "),
])
def test_unknown_or_ambiguous_asset_is_one_line(district, capsys, text, code, words):
    assert main(["history", "list", district, "--asset", text]) == code
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert main(["--lang", "zh_CN", "history", "list", district, "--asset", text]) == code
    err = capsys.readouterr().err
    assert ("没有" in err or "多处资产" in err) and "Traceback" not in err


def test_tables_for_people_follow_the_language(district, capsys):
    assert main(["history", "add", district, "--asset", BIN_CODE, "--type", "inspection",
                 "--date", "2099-11-20", "--crew", "一班"]) == 0
    capsys.readouterr()
    assert main(["--lang", "zh_CN", "history", "list", district, "--asset", BIN_CODE]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["日期", "类型", "状况"]
    assert "巡查检测" in out and "inspection" not in out and "record(s)" not in out
    assert out.splitlines()[-1].endswith("条记录")
    assert main(["--lang", "zh_CN", "workorders", "list", district, "--state", "dispatched"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["案件编号", "状态", "紧急程度"]
    assert "派遣" in out and "dispatched" not in out and "order(s)" not in out
    assert main(["workorders", "list", district, "--state", "dispatched"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["case", "state"] and "dispatched" in out
    assert main(["--lang", "zh_CN", "workorders", "list", district, "--state", "dispatched",
                 "--json"]) == 0
    assert {r["state"] for r in json.loads(capsys.readouterr().out)} == {"dispatched"}


def test_an_illegal_move_reads_well_in_chinese(district, capsys):
    """Was "无法将工单 202611200001从 dispatched…": the case number ran into the next word."""
    assert main(["--lang", "zh_CN", "workorders", "move", district, "202611200001",
                 "--to", "closed"]) == 8
    err = capsys.readouterr().err
    assert "无法将第 202611200001 号工单从 dispatched（派遣）转到 closed（结案）" in err, err
