"""A colleague's file delivered again (trial 9), through ``citymgr import`` as a process:

- the same, unchanged file imported again gave an engineer's inspection (condition 1 -> 4)
  back its delivered 1: a re-delivery now changes a field only where the delivery changed
  it since its previous delivery (three ways: previous delivery, this one, the project);
  where both changed it the project's value stays unless ``--on-conflict delivery``; the
  output says per field what was updated and kept, and lists the kept values;
- 良好 was proposed as 1 完好 (it is 2 较好), and the mapping made by hand (a field, a word)
  was not remembered for the next delivery of the same source;
- a skipped feature was numbered from 0 ("feature 3" was the 4th); a point with latitude
  and longitude swapped got no hint.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from tests.core import import_sources as src
from tests.faults.support import run
from tests.gpkg_checks import assert_valid_gpkg

CONDITIONS = ["完好", "良好", "良好", "一般", "特别差", "完好"]


def trial9_bins(folder: Path, conditions: list[str] | None = None,
                name: str = "huanwei_bins") -> Path:
    """Six bins in WGS 84, GBK without a .cpg, pinyin columns (BH id, MC name, ZK
    condition words, RL capacity); the 4th has no geometry."""
    conditions = conditions or CONDITIONS
    n = len(conditions)
    geoms = [shapely.Point(src.ll(i, 2)) for i in range(n)]
    geoms[3] = None
    df = gpd.GeoDataFrame(
        {"BH": [f"HW-LD-{i + 1:04d}" for i in range(n)],
         "MC": [f"粮道街{i + 1}号箱" for i in range(n)], "ZK": conditions,
         "RL": [float(120 + 10 * i) for i in range(n)]},
        geometry=geoms, crs="EPSG:4326")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    df.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    return path


def conditions(project: Path) -> dict[str, int | None]:
    with sqlite3.connect(project) as conn:
        return dict(conn.execute("SELECT source_id, condition FROM litter_bin"))


def _code(project: Path, source_id: str) -> str:
    with sqlite3.connect(project) as conn:
        return conn.execute("SELECT obj_code FROM litter_bin WHERE source_id = ?",
                            (source_id,)).fetchone()[0]


def test_a_redelivery_keeps_what_the_project_changed(tmp_path):
    project = src.new_project(tmp_path / "district.gpkg")
    source = trial9_bins(tmp_path / "colleague")
    report = tmp_path / "first.json"
    first = run(["import", project, source, "--as", "litter_bin", "--map", "RL=capacity_l",
                 "--values", "ZK:特别差=5", "--report", report])
    first.ok()
    # 良好 is 2 较好, the word chosen by hand 5; the 4th feature counted as a person counts
    assert conditions(project) == {"HW-LD-0001": 1, "HW-LD-0002": 2, "HW-LD-0003": 2,
                                   "HW-LD-0005": 5, "HW-LD-0006": 1}
    skipped = json.loads(report.read_text(encoding="utf-8"))["skipped"]
    example = next(iter(skipped.values()))["examples"][0]
    assert example["row"] == 4 and example["source_id"] == "HW-LD-0004", example
    assert "feature no. 4 (id HW-LD-0004)" in first.out, first.out

    # an engineer's inspection: HW-LD-0002 is 4 差 now
    run(["history", "add", project, "--asset", _code(project, "HW-LD-0002"),
         "--type", "inspection", "--date", "2026-12-07", "--condition-after", "4"]).ok()

    # the same file again, nothing given by hand: the mapping of the first import is taken
    again = tmp_path / "again.json"
    out = run(["import", project, source, "--as", "litter_bin", "--report", again]).ok()
    assert conditions(project)["HW-LD-0002"] == 4, out
    assert conditions(project)["HW-LD-0005"] == 5
    data = json.loads(again.read_text(encoding="utf-8"))
    assert data["counts"]["update"] == 0 and data["unmatched_values"] == {}, data
    assert data["fields"]["capacity_l"] == "RL" and data["mapping_remembered_from"]
    assert data["kept_project_values"] == {"condition": 1}
    assert data["kept"] == [{"obj_code": _code(project, "HW-LD-0002"),
                             "source_id": "HW-LD-0002", "field": "condition",
                             "previous_delivery": "2", "delivery": "2", "project": "4",
                             "why": "edited", "taken": "project"}]
    assert "mapping: as at the previous import of this source" in out
    assert "project 4, delivery 2, previous delivery 2: project's value kept" in out

    # the next delivery: the colleague changed HW-LD-0003 (only there: it lands) and
    # HW-LD-0002 (changed in the project too: the project's value stays, listed)
    changed = trial9_bins(tmp_path / "colleague2", ["完好", "危险", "较差", "一般", "特别差",
                                                    "完好"])
    out = run(["import", project, changed, "--as", "litter_bin", "--lang", "zh_CN"]).ok()
    assert conditions(project)["HW-LD-0002"] == 4 and conditions(project)["HW-LD-0003"] == 3
    assert "更新的字段：condition 1" in out, out
    assert "上次交付后项目与交付数据都修改过：condition 1" in out, out
    assert "项目 4，本次交付 5，上次交付 2：保留项目值" in out, out
    assert "第 4 个要素（编号 HW-LD-0004）" in out, out
    out = run(["import", project, changed, "--as", "litter_bin", "--on-conflict",
               "delivery"]).ok()
    # the previous delivery is now the changed file: nothing changed since, the project's
    # 4 stays even with the delivery preferred
    assert conditions(project)["HW-LD-0002"] == 4, out
    assert_valid_gpkg(project)


def test_the_delivery_wins_a_conflict_when_told(tmp_path):
    project = src.new_project(tmp_path / "district.gpkg")
    source = trial9_bins(tmp_path / "a")
    run(["import", project, source, "--as", "litter_bin"]).ok()
    run(["history", "add", project, "--asset", _code(project, "HW-LD-0001"),
         "--type", "inspection", "--date", "2026-12-07", "--condition-after", "4"]).ok()
    changed = trial9_bins(tmp_path / "b", ["危险", *CONDITIONS[1:]])
    dry = run(["import", project, changed, "--as", "litter_bin", "--dry-run", "--json"]).ok()
    assert json.loads(dry)["both_changed"] == {"condition": 1}
    run(["import", project, changed, "--as", "litter_bin", "--on-conflict", "delivery"]).ok()
    assert conditions(project)["HW-LD-0001"] == 5


def test_swapped_latitude_and_longitude_get_a_hint(tmp_path):
    project = src.new_project(tmp_path / "district.gpkg")
    lon, lat = src.ll(1, 1)
    source = src.geojson_points(tmp_path, "bins2", [src.ll(0, 0), (lat, lon), (116.4, 39.9)],
                                [{"id": "B-1"}, {"id": "B-2"}, {"id": "B-3"}])
    out = run(["import", project, source, "--as", "litter_bin", "--lang", "zh_CN"]).ok()
    lines = [line for line in out.splitlines() if "B-2" in line or "B-3" in line]
    assert any("B-2" in line and "经纬度可能颠倒" in line for line in lines), out
    assert not any("B-3" in line and "颠倒" in line for line in lines), out
    assert "第 2 个要素（编号 B-2）" in out, out


def test_a_bin_moved_in_the_project_stays_where_it_was_moved(tmp_path):
    from citymgr_desktop.core.model.delta import Delta
    from citymgr_desktop.core.store import Store

    project = src.new_project(tmp_path / "district.gpkg")
    source = trial9_bins(tmp_path / "a")
    run(["import", project, source, "--as", "litter_bin"]).ok()
    with Store.open(project) as store:  # an engineer moves HW-LD-0001 by 3 m on the map
        uid, = store.conn.execute("SELECT asset_uuid FROM litter_bin "
                                  "WHERE source_id = 'HW-LD-0001'").fetchone()
        old = store.get_rows("litter_bin", [uid], ["geom"])[uid]["geom"]
        moved = shapely.Point(old.x + 3, old.y)
        store.apply([Delta("litter_bin", uid, {"geom": old}, {"geom": moved})], "工程师")
    out = run(["import", project, source, "--as", "litter_bin"]).ok()
    assert "geom 1" in out, out  # kept, and said so
    with Store.open(project, read_only=True) as store:
        assert store.get_rows("litter_bin", [uid], ["geom"])[uid]["geom"].equals(moved)
    # the colleague moves HW-LD-0002 in the next delivery: it lands, the moved one stays
    df = gpd.read_file(source, encoding="GB18030")
    df.loc[1, "geometry"] = shapely.Point(src.ll(1, 3))
    again = tmp_path / "b" / "huanwei_bins.shp"
    again.parent.mkdir()
    df.to_file(again, encoding="GBK", engine="pyogrio")
    out = run(["import", project, again, "--as", "litter_bin", "--json"]).ok()
    assert json.loads(out)["fields_updated"] == {"geom": 1}, out
    with Store.open(project, read_only=True) as store:
        assert store.get_rows("litter_bin", [uid], ["geom"])[uid]["geom"].equals(moved)


def test_a_value_the_delivery_left_empty_is_not_remembered_as_empty(tmp_path):
    # delivery 2 leaves HW-LD-0001's condition empty and sends a word no condition has for
    # HW-LD-0002: the project keeps 1 and 2, and so does the memory (not an empty value),
    # so delivery 3's 3 for both is the delivery's change alone and lands, not a conflict
    project = src.new_project(tmp_path / "district.gpkg")
    run(["import", project, trial9_bins(tmp_path / "a"), "--as", "litter_bin"]).ok()
    run(["import", project, trial9_bins(tmp_path / "b", ["", "不知道", *CONDITIONS[2:]]),
         "--as", "litter_bin"]).ok()
    assert conditions(project)["HW-LD-0001"] == 1 and conditions(project)["HW-LD-0002"] == 2
    out = run(["import", project, trial9_bins(tmp_path / "c", ["一般", "一般",
                                                               *CONDITIONS[2:]]),
               "--as", "litter_bin", "--json"]).ok()
    data = json.loads(out)
    assert conditions(project)["HW-LD-0001"] == 3 and conditions(project)["HW-LD-0002"] == 3
    assert data["fields_updated"] == {"condition": 2} and data["kept"] == [], out
