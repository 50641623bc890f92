"""The sample district and the basic CLI: info, validate, sample, exit codes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core import sample
from citymgr_desktop.core.store import validate_file
from citymgr_desktop.core.workorders.states import TRANSITIONS, WorkOrderState


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_sample_is_valid_and_realistic(sample_master):
    assert validate_file(sample_master) == []
    conn = sqlite3.connect(sample_master)
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
              for t in ("road_segment", "bridge", "green_space", "litter_bin")}
    assert 3900 <= sum(counts.values()) <= 4100
    assert all(n > 0 for n in counts.values())
    dist = dict(conn.execute("SELECT condition, count(*) FROM litter_bin GROUP BY condition"))
    assert dist[1] > dist[2] > dist[3] > dist[4] > dist[5] > 0  # most good, a tail of poor
    assert dist.get(None, 0) > 0  # some not yet assessed
    names = [r[0] for r in conn.execute("SELECT DISTINCT name FROM road_segment")]
    assert any(n.endswith(("路", "街", "大道")) for n in names)
    assert conn.execute("SELECT count(DISTINCT district) FROM litter_bin").fetchone()[0] >= 6
    assert conn.execute("SELECT count(*) FROM bridge WHERE name LIKE '%桥'").fetchone()[0] > 0
    assert conn.execute("SELECT count(DISTINCT category) FROM green_space").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM maintenance_record").fetchone()[0] > 500
    states = {r[0] for r in conn.execute("SELECT DISTINCT state FROM work_order")}
    assert len(states) >= 6
    # every event trail is a legal walk of the state machine
    for (wid,) in conn.execute("SELECT work_order_uuid FROM work_order"):
        trail = conn.execute("SELECT from_state, to_state FROM work_order_event WHERE "
                             "work_order_uuid=? ORDER BY at", (wid,)).fetchall()
        assert trail[0] == (None, "reported")
        for a, b in trail[1:]:
            assert WorkOrderState(b) in TRANSITIONS[WorkOrderState(a)]
    codes = [r[0] for r in conn.execute("SELECT obj_code FROM bridge")]
    assert all(len(c) == 16 and c.startswith("4201060213") for c in codes)
    conn.close()


def test_sample_is_reproducible(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    sample.generate(a, 500, seed=11)
    sample.generate(b, 500, seed=11)
    q = "SELECT asset_uuid, name, condition FROM litter_bin ORDER BY fid"
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    assert ca.execute(q).fetchall() == cb.execute(q).fetchall()


def test_info_json(district, capsys):
    assert main(["info", str(district), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["asset_project"] is True
    layers = {li["name"]: li for li in info["layers"]}
    assert layers["litter_bin"]["geometry_type"] == "POINT"
    assert layers["litter_bin"]["srs_id"] == 4547
    assert len(layers["road_segment"]["extent"]) == 4
    assert "积玉桥街道" in info["districts"] or len(info["districts"]) >= 6
    assert info["domains"]["condition_grade"]["values"]["5"].startswith("危险")
    assert info["domains"]["pci_range"] == {"type": "range", "min": 0, "max": 100,
                                            "min_inclusive": True, "max_inclusive": True}


def test_validate_exit_codes(district, tmp_path, capsys):
    assert main(["validate", str(district)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.gpkg"
    bad.write_text("hello")
    assert main(["validate", str(bad)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a GeoPackage" in err
    # break a value behind the app's back: validate names it and exits 8
    from citymgr_desktop.core.gpkg import connect

    conn = connect(str(district))  # legacy rtree triggers need the ST_* functions
    conn.execute("UPDATE litter_bin SET condition = 9 WHERE fid = 1")
    conn.close()
    before = _digest(district)
    assert main(["validate", str(district)]) == 8
    out = capsys.readouterr()
    assert "condition outside its domain" in out.out
    assert _digest(district) == before


def test_validate_foreign_geopackage(tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import Point

    path = tmp_path / "trees.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs="EPSG:3857").to_file(path)
    assert main(["validate", str(path)]) == 5
    assert "not a citymgr project" in capsys.readouterr().err
    assert main(["info", str(path)]) == 0


@pytest.mark.e2e
def test_cli_subprocess_no_traceback(tmp_path):
    out = tmp_path / "s.gpkg"
    run = subprocess.run([sys.executable, "-m", "citymgr_desktop", "sample", "--out", str(out),
                          "--features", "200"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.exists() and not list(tmp_path.glob(".*part*"))
    run = subprocess.run([sys.executable, "-m", "citymgr_desktop", "sample", "--out",
                          str(tmp_path / "x.gpkg"), "--features", "5"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 8 and "Traceback" not in run.stderr
    assert not (tmp_path / "x.gpkg").exists()
    run = subprocess.run([sys.executable, "-m", "citymgr_desktop", "sample", "--out",
                          str(tmp_path / "nofolder" / "x.gpkg")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 3 and "does not exist" in run.stderr
    assert "Traceback" not in run.stderr


def test_file_without_sync_tables_is_valid_with_warnings(district, capsys):
    from citymgr_desktop.core.gpkg import connect
    from citymgr_desktop.core.model import schema as sc

    conn = connect(str(district))
    for t in sc.SYNC_TABLES:
        conn.execute(f'DROP TABLE "{t.name}"')
        conn.execute("DELETE FROM gpkg_contents WHERE table_name=?", (t.name,))
        conn.execute("DELETE FROM gpkg_data_columns WHERE table_name=?", (t.name,))
    conn.close()
    problems = validate_file(district)
    assert problems and all(p.level == "warning" for p in problems)
    assert main(["validate", str(district)]) == 0
