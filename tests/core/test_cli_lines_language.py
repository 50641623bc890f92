"""The lines ``layers``, ``sync``/``sync-undo``/``sync-resolve``, ``import --list``,
``workorders calendar``, ``move`` and ``limits`` print for a person, in the --lang of the
command line: Chinese under ``--lang zh_CN`` (a user found them in English), the English
byte for byte as it was (scripts read it). The CLI process."""

from __future__ import annotations

import json
import re

import pytest

from tests.core.sync_support import edit, uuids
from tests.faults.support import run

ENGLISH_WORD = re.compile(r"\b(?!UTF\b|WGS\b|Point\b|citymgr\b|sync\b|undo\b)[A-Za-z]{3,}\b")


def citymgr(*args: object, lang: str) -> str:
    result = run([*map(str, args), "--lang", lang])
    assert result.rc == 0, result.err
    return result.out


def _words(text: str, *names: object) -> list[str]:
    """The English words of ``text`` but file, layer and field names."""
    for name in names:
        text = text.replace(str(name), "")
    return ENGLISH_WORD.findall(text)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_layers_add_list_remove(small_district, tmp_path, lang):
    vector = tmp_path / "grid.geojson"
    vector.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": 1},
         "geometry": {"type": "Point", "coordinates": [114.3, 30.5]}}]}), encoding="utf-8")
    path = small_district
    empty = citymgr("layers", "list", path, lang=lang)
    added = citymgr("layers", "add", path, vector, "--crs", "EPSG:4326", lang=lang)
    tiles = citymgr("layers", "add", path, "https://t.example.com/{z}/{x}/{y}.png", "--name",
                    "osm", lang=lang)
    listing = citymgr("layers", "list", path, lang=lang)
    removed = citymgr("layers", "remove", path, "grid", lang=lang)
    if lang == "en":
        assert empty == f"{path}: no base map or reference layers\n"
        assert added == f"added vector layer 'grid' (over the assets); 1 map layer(s) in {path}\n"
        assert tiles == f"added xyz layer 'osm' (under the assets); 2 map layer(s) in {path}\n"
        assert listing == (
            "grid                 vector  over   opacity 1    shown   grid.geojson\n"
            "osm                  xyz     under  opacity 1    shown   "
            "https://t.example.com/{z}/{x}/{y}.png\n")
        assert removed == f"removed 'grid'; 1 map layer(s) left in {path}\n"
    else:
        assert empty == f"{path}：没有底图或参考图层\n"
        assert added == f"已添加矢量图层 'grid'（资产上方）；{path} 中共有地图图层 1 个\n"
        assert tiles == f"已添加瓦片图层 'osm'（资产下方）；{path} 中共有地图图层 2 个\n"
        assert listing == (
            "grid                 矢量  资产上方  不透明度 1    显示  grid.geojson\n"
            "osm                  瓦片  资产下方  不透明度 1    显示  "
            "https://t.example.com/{z}/{x}/{y}.png\n")
        assert removed == f"已移除 'grid'；{path} 中还有地图图层 1 个\n"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_sync_undo_and_resolve(small_district, tmp_path, lang):
    master, package = small_district, tmp_path / "p.gpkg"
    citymgr("field-package", master, "--out", package, lang=lang)
    asset = uuids(package, "litter_bin", limit=1)[0]
    with edit(package) as c:
        c.execute("UPDATE litter_bin SET remarks = 'F' WHERE asset_uuid = ?", (asset,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = 'M' WHERE asset_uuid = ?", (asset,))
    synced = run(["sync", str(master), str(package), "--lang", lang])
    assert synced.rc == 9
    sync_id = json.loads(run(["sync-list", str(master), "--json"]).ok())["runs"][0]["sync_id"]
    resolved = citymgr("sync-resolve", master, "--all", "--take", "field", lang=lang)
    none_left = citymgr("sync-resolve", master, "--all", "--take", "field", lang=lang)
    resolve_id = json.loads(run(["sync-list", str(master), "--json"]).ok())["runs"][0]["sync_id"]
    undone = citymgr("sync-undo", master, resolve_id, lang=lang)
    if lang == "en":
        assert synced.err == (f"citymgr: 1 conflict(s) left open; everything else was applied "
                              f"(sync {sync_id})\n")
        assert re.fullmatch(r"resolved 1 conflict\(s\), 1 row\(s\) changed \(run \S+; "
                            r"'citymgr sync-undo' takes it back\)\n", resolved), resolved
        assert none_left == "no open conflicts\n"
        assert re.fullmatch(rf"undid sync {resolve_id}: \d+ row change\(s\) reverted; integrity "
                            r"integrity_check\(attachment\), .* ok\n  backup before the undo: \S+\n", undone), undone
    else:
        assert synced.err == (f"citymgr: 1 处冲突尚未解决；其余更改均已应用（同步 {sync_id}）\n")
        assert re.fullmatch(r"已解决 1 处冲突，更改 1 行（运行 \S+；可用 'citymgr sync-undo' "
                            r"撤销）\n", resolved), resolved
        assert none_left == "没有未解决的冲突\n"
        assert re.fullmatch(rf"已撤销同步 {resolve_id}：还原 \d+ 行更改；完整性检查通过\n"
                            r"  撤销前的备份：\S+\n", undone), undone


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_import_list(small_district, tmp_path, lang):
    table = tmp_path / "bins.csv"
    table.write_text("x,y,kind,note\n114.3,30.5,垃圾桶,\n114.31,30.51,果皮箱,\n",
                     encoding="utf-8")
    text = citymgr("import", small_district, table, "--list", "--as", "litter_bin", lang=lang)
    if lang == "en":
        assert text.startswith(
            f"{table}: 1 layer(s)\n  bins                           points\n\n"
            "layer bins: points, 2 feature(s), CRS (none), encoding UTF-8\n"
            "  note: geometry from X column x, Y column y\n"), text
        assert "  kind                     text     empty     0  e.g. '垃圾桶', '果皮箱'\n" in text
        assert "  note                     text     empty     2  (all empty)\n" in text
        assert "\nsuggested mapping -> litter_bin:\n" in text
    else:
        assert text.startswith(f"{table}：图层 1 个\n  bins                           点\n"), text
        assert "\n图层 bins：点，要素 2 个，坐标系 无，编码 UTF-8\n" in text
        assert "  kind                     文本   空值     0  例如 '垃圾桶'、'果皮箱'\n" in text
        assert "（全部为空）" in text and "\n建议的字段对应 -> litter_bin：\n" in text
        assert _words(text, table, "bins", "kind", "note", "litter_bin", "remarks") == [], text


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_calendar_move_and_limits(small_district, lang):
    path = small_district
    calendar = citymgr("workorders", "calendar", path, "--year", "2026", lang=lang)
    nothing = citymgr("workorders", "calendar", path, "--year", "1999", lang=lang)
    limits = citymgr("workorders", "limits", path, lang=lang)
    created = run(["workorders", "create", str(path), "--layer", "bridge", "--where",
                   "condition >= 1", "--priority", "2", "--title", "t", "--json"])
    case = json.loads(created.ok())["case_no"]
    moved = citymgr("workorders", "move", path, case, "--to", "filed", lang=lang)
    if lang == "en":
        assert re.match(r"calendar from holidays [\d.]+ \(China, State Council\); years "
                        r"\d{4}(, \d{4})*\n2026: 22 holiday\(s\): 01-01 01-02 .*\n2026: 6 "
                        r"working weekend day\(s\) \(调休\): 01-04 ", calendar), calendar
        assert nothing.endswith("\nno holidays or working weekends: Monday-Friday only (use "
                                "--seed YEAR)\n"), nothing
        assert limits.startswith("*              P1  2 working hours      2个工作小时\n"), limits
        assert "\nbridge         P1  1 working hours      1个工作小时\n" in limits
        assert moved == f"{case}: filed (立案)\n"
    else:
        assert re.match(r"工作日历来源：国务院公告（holidays [\d.]+）；年份 \d{4}(、\d{4})*\n"
                        r"2026 年：节假日 22 天：01-01 01-02 .*\n2026 年：调休上班的周末 6 天："
                        r"01-04 ", calendar), calendar
        assert nothing.endswith("\n没有节假日或调休上班日：只按周一至周五计算（可用 --seed 年份 "
                                "填入）\n"), nothing
        assert limits.startswith("所有类别  特急  2个工作小时\n"), limits
        assert "\n桥梁　　  特急  1个工作小时\n" in limits
        assert _words(limits) == [], limits
        assert moved == f"{case}：立案\n"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_field_package_map_layer_lines(small_district, tmp_path, lang):
    """The base map taken offline and the reference layers cut beside a package."""
    import geopandas as gpd
    import shapely
    from pyproj import Transformer

    from citymgr_desktop.core.store import Store
    from tests.basemap_support import tile_server

    with Store.open(small_district, read_only=True) as store:
        crs = store.project_crs()
        (x0, y0, x1, y1), _ = store.asset_extent(["litter_bin"])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    gpd.GeoDataFrame({"cell": ["1"]}, geometry=[shapely.box(x0, y0, x1, y1)],
                     crs=crs).to_file(tmp_path / "grid.geojson")
    citymgr("layers", "add", small_district, tmp_path / "grid.geojson", lang=lang)
    merc = Transformer.from_crs(crs, 3857, always_xy=True).transform(cx, cy)
    half = 300
    with tile_server(merc) as server:
        citymgr("layers", "add", small_district, server.url(), "--name", "tiles", lang=lang)
        text = citymgr("field-package", small_district, "--out", tmp_path / "pkg.gpkg",
                       "--bbox", f"{cx - half},{cy - half},{cx + half},{cy + half}",
                       "--basemap-zoom", "15", lang=lang)
    if lang == "en":
        assert re.search(r"\n  base map: \d+ tiles \(zoom \d+-15\), about [\d.]+ MB\n  wrote "
                         r"pkg_basemap\.mbtiles: \d+ tiles, [\d.]+ MB; listed in pkg\.qgz\n"
                         r"  wrote pkg_reference\.gpkg: reference layers grid 1\n$", text), text
    else:
        assert re.search(r"\n  底图：瓦片 \d+ 张（缩放级别 \d+-15），约 [\d.]+ MB\n  已写出 "
                         r"pkg_basemap\.mbtiles：瓦片 \d+ 张，[\d.]+ MB；已列入 pkg\.qgz\n"
                         r"  已写出 pkg_reference\.gpkg：参考图层 grid 1\n$", text), text
