"""What the command line's publish and snapshot say they did, in the --lang asked for (the
English as it was: scripts may read it), on a real database."""

from __future__ import annotations

import re

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
