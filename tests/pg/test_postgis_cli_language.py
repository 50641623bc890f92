"""What the command line's publish and snapshot say they did, in the --lang asked for (the
English as it was: scripts may read it), on a real database."""

from __future__ import annotations

import re

import pytest

from tests.pg.conftest import run_citymgr


def test_publish_and_snapshot_say_themselves_in_chinese(pg_url, small_district, tmp_path):
    """What publish and snapshot did, in the --lang asked for; the English as it was."""
    first = run_citymgr("publish", str(small_district), pg_url, "--lang", "zh_CN")
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(rf"{re.escape(str(small_district))} -> \S+：新增 [\d,]+ 行，更新 0 行"
                        r"（已创建数据库结构）\n", first.stdout), first.stdout
    again = run_citymgr("publish", str(small_district), pg_url)
    assert re.fullmatch(rf"{re.escape(str(small_district))} -> \S+: 0 rows added, [\d,]+ "
                        r"updated\n", again.stdout), again.stdout
    snap = run_citymgr("snapshot", pg_url, "--out", str(tmp_path / "s.gpkg"), "--lang", "zh")
    assert re.fullmatch(r"\S+ -> \S+s\.gpkg：[\d,]+ 行\n", snap.stdout), snap.stdout


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_grant_and_edit_say_themselves_in_the_language_asked(pg_cluster, published, lang):
    """db grant's lines and edit's line on a database (its own line once, beside the
    GeoPackage's): Chinese under --lang zh_CN, the English as it was."""
    dbname = published.rsplit("/", 1)[1]
    role = "wang_wu_" + dbname.rsplit("_", 2)[-2] + "_" + dbname.rsplit("_", 1)[-1]
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-wang'")
    pg_cluster.psql(dbname, f"CREATE ROLE {role}_r LOGIN PASSWORD 'pw-wang'")
    granted = run_citymgr("db", "grant", published, "--role", role, "--district", "粮道街道",
                          "--lang", lang)
    reader = run_citymgr("db", "grant", published, "--role", f"{role}_r", "--district",
                         "粮道街道", "--read-only", "--lang", lang)
    edited = run_citymgr("edit", published, "--layer", "litter_bin", "--where",
                         "district = '粮道街道'", "--set", "remarks=查", "--lang", lang)
    for result in (granted, reader, edited):
        assert result.returncode == 0, result.stderr
    name = granted.stdout.split(": " if lang == "en" else "：", 1)[0]
    if lang == "en":
        assert granted.stdout == f"{name}: {role} may read, and change the assets of 粮道街道\n"
        assert reader.stdout == f"{name}: {role}_r may read\n"
        assert re.fullmatch(r"litter_bin: [\d,]+ of [\d,]+ matching assets changed\n",
                            edited.stdout), edited.stdout
    else:
        assert granted.stdout == f"{name}：{role} 可以读取，并可修改粮道街道的资产\n"
        assert reader.stdout == f"{name}：{role}_r 可以读取\n"
        assert re.fullmatch(r"litter_bin（垃圾箱）：符合条件的 [\d,]+ 个资产中已修改 [\d,]+ 个\n",
                            edited.stdout), edited.stdout
