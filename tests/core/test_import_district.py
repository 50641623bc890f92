"""The 街道 an import brings: a name the project does not have is a warning (mapped, kept
on purpose or left empty for the nearest asset), and so is one that differs from the
nearest assets'. Through the ``citymgr import`` process."""

from __future__ import annotations

import json

from citymgr_desktop.core.store import Store
from tests.core.import_sources import bins_csv
from tests.faults.support import run


def test_unknown_and_disagreeing_district_are_warned(district, tmp_path):
    source, (agrees, other, other_near, _) = bins_csv(district, tmp_path / "bins.csv")
    report = tmp_path / "r.json"
    result = run(["import", str(district), str(source), "--as", "litter_bin", "--dry-run",
                  "--report", str(report)])
    assert result.rc == 0, result.err
    with Store.open(district, read_only=True) as store:
        count = len(store.districts())
    assert f"街道 '火星街道' is not one of the file's {count} 街道: 1 asset(s)" in result.out
    assert (f"1 asset(s) of 街道 '{other}' lie nearest to assets of another 街道 "
            f"(within 300 m): '{other_near}' ×1") in result.out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["unknown_districts"] == {"火星街道": 1}
    assert data["district_mismatch"] == [{"district": other, "nearest": other_near,
                                          "count": 1}]
    assert agrees not in {m["district"] for m in data["district_mismatch"]}

    # mapped to a known 街道: no warning; and the name lands as mapped
    result = run(["import", str(district), str(source), "--as", "litter_bin",
                  "--values", f"district:火星街道={agrees}"])
    assert result.rc == 0, result.err
    assert "火星街道" not in result.out
    with Store.open(district, read_only=True) as store:
        assert "火星街道" not in store.districts()
        got = dict(store.conn.execute("SELECT source_id, district FROM litter_bin "
                                      "WHERE source_id LIKE 'T%'").fetchall())
    assert got["T1"] == agrees and got["T3"] == agrees  # T3: from the nearest asset


def test_new_district_kept_on_purpose_and_empty_project(district, tmp_path):
    source, _ = bins_csv(district, tmp_path / "bins.csv")
    result = run(["import", str(district), str(source), "--as", "litter_bin",
                  "--values", "district:火星街道=火星街道"])
    assert result.rc == 0, result.err
    assert "is not one of" not in result.out
    with Store.open(district, read_only=True) as store:
        assert "火星街道" in store.districts()

    project = tmp_path / "empty.gpkg"
    assert run(["new", str(project), "--crs", "EPSG:4547"]).rc == 0
    result = run(["import", str(project), str(source), "--as", "litter_bin", "--dry-run"])
    assert result.rc == 0, result.err
    assert "the project has no 街道 yet: every 街道 name is accepted" in result.out
    assert "is not one of" not in result.out


def test_a_second_import_counts_only_the_fields_it_leaves_empty(district, tmp_path):
    """Trial 5: re-importing bins reported "保持为空 单元网格 27" for bins that have one (the
    update keeps the project's 单元网格; an import never erases a value)."""
    source, _ = bins_csv(district, tmp_path / "bins.csv")
    first = tmp_path / "first.json"
    result = run(["import", str(district), str(source), "--as", "litter_bin",
                  "--values", "district:火星街道=火星街道", "--report", str(first)])
    assert result.rc == 0, result.err
    data = json.loads(first.read_text(encoding="utf-8"))
    assert data["filled_from_nearest"].get("bgid") == 4  # new bins: from their neighbours
    assert "bgid" not in data["left_empty"]
    with Store.open(district, read_only=True) as store:
        assert store.conn.execute("SELECT count(*) FROM litter_bin WHERE source_id LIKE 'T%' "
                                  "AND bgid IS NOT NULL").fetchone()[0] == 4
    again = tmp_path / "again.json"
    result = run(["import", str(district), str(source), "--as", "litter_bin",
                  "--values", "district:火星街道=火星街道", "--report", str(again),
                  "--lang", "zh_CN"])
    assert result.rc == 0, result.err
    data = json.loads(again.read_text(encoding="utf-8"))
    assert data["counts"]["unchanged"] + data["counts"]["update"] == 4
    assert "bgid" not in data["left_empty"] and "district" not in data["left_empty"], data
    assert data["left_empty"].get("condition") == 4  # what no bin of the project has either
    assert "单元网格" not in result.out.split("留空")[-1].split("\n\n")[0], result.out
