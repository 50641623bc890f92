"""The sync commands as a user types them: field-package, sync (with --dry-run, --prefer,
--report), sync-list and sync-undo, with their exit codes and one-line errors."""

from __future__ import annotations

import json

from citymgr_desktop.cli import main
from tests.core.sync_support import edit, row, uuids
from tests.faults.support import run


def test_round_trip_on_the_command_line(small_district, tmp_path, capsys):
    master, pkg = str(small_district), str(tmp_path / "巡查.gpkg")
    assert main(["field-package", master, "--out", pkg, "--district", "水果湖街道",
                 "--surveyor", "张三", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["litter_bin"] == 26 and out["qgis_project"].endswith("巡查.qgz")
    a, b = uuids(tmp_path / "巡查.gpkg", "litter_bin", limit=2)
    with edit(tmp_path / "巡查.gpkg") as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (a,))
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (b,))
    with edit(small_district) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (a,))

    assert main(["sync", master, pkg, "--dry-run"]) == 9  # exits as the real run would
    text = capsys.readouterr().out
    assert "dry run" in text and "OPEN: litter_bin" in text
    assert row(small_district, "litter_bin", b)["remarks"] is None

    report = tmp_path / "report.json"
    assert main(["sync", master, pkg, "--report", str(report)]) == 9  # a conflict left open
    captured = capsys.readouterr()
    assert "1 conflict(s) left open" in captured.err and "Traceback" not in captured.err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["counts"]["litter_bin"] == {"insert": 0, "update": 1, "delete": 0,
                                            "retire": 0, "conflict": 1}
    [conf] = data["conflicts"]
    assert conf["asset_uuid"] == a and conf["field"] == "condition"
    assert conf["values"]["master"] == 4 and conf["values"]["field"] == 5
    sync_id = data["sync_id"]

    assert main(["sync-list", master, "--conflicts"]) == 0
    listing = capsys.readouterr().out
    assert sync_id in listing and "1 open conflict(s)" in listing and "巡查.gpkg" in listing

    assert main(["sync-undo", master, sync_id]) == 0
    assert "undid sync" in capsys.readouterr().out
    assert row(small_district, "litter_bin", b)["remarks"] is None

    assert main(["sync", master, pkg, "--prefer", "field", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["open_conflicts"] == 0 and data["conflicts"][0]["resolution"] == "field"
    assert row(small_district, "litter_bin", a)["condition"] == 5


def test_errors_are_one_line_with_exit_codes(small_district, tmp_path):
    pkg = tmp_path / "p.gpkg"
    r = run(["field-package", str(small_district), "--out", str(pkg), "--layers", "bins"])
    assert r.rc == 10 and "allowed: road_segment" in r.err  # unknown layer
    assert "Traceback" not in r.err and len(r.err.strip().splitlines()) == 1
    assert run(["field-package", str(small_district), "--out", str(pkg)]).rc == 0
    with edit(pkg) as c:
        c.execute("ALTER TABLE bridge ADD COLUMN extra INTEGER")
    r = run(["sync", str(small_district), str(pkg)])
    assert r.rc == 5 and "schema drift" in r.err and "bridge.extra" in r.err
    r = run(["sync-undo", str(small_district), "no-such-sync"])
    assert r.rc == 10 and "sync-list" in r.err
    r = run(["sync", str(small_district), str(tmp_path / "missing.gpkg")])
    assert r.rc == 3 and "no such file" in r.err
    r = run(["sync", str(small_district), str(pkg), "--report", str(tmp_path / "no" / "r.json")])
    assert r.rc == 3 and "--report: folder" in r.err


def test_sync_resolve_on_the_command_line(small_district, tmp_path, capsys):
    master, pkg = str(small_district), str(tmp_path / "p.gpkg")
    assert main(["field-package", master, "--out", pkg]) == 0
    a = uuids(tmp_path / "p.gpkg", "litter_bin", limit=1)[0]
    with edit(tmp_path / "p.gpkg") as c:
        c.execute("UPDATE litter_bin SET remarks = 'F' WHERE asset_uuid = ?", (a,))
    with edit(small_district) as c:
        c.execute("UPDATE litter_bin SET remarks = 'M' WHERE asset_uuid = ?", (a,))
    assert main(["sync", master, pkg]) == 9
    capsys.readouterr()
    assert main(["sync-list", master, "--json"]) == 0
    [conf] = json.loads(capsys.readouterr().out)["open_conflicts"]
    assert main(["sync-resolve", master, conf["conflict_id"], "--value", "审定"]) == 0
    assert "resolved 1 conflict(s)" in capsys.readouterr().out
    assert row(small_district, "litter_bin", a)["remarks"] == "审定"
    assert main(["sync-resolve", master, "--all", "--take", "field"]) == 0
    assert "no open conflicts" in capsys.readouterr().out
