"""A surveyor sets a bin's condition and then adds its inspection record in the same visit:
the form's default for 处理前状况 (condition before) reads the bin as edited, and the sync
puts back the condition the package went out with, with a note — into a GeoPackage master
and into a project database alike (one rule: ``sync/checks.py``)."""

from __future__ import annotations

import json
import sqlite3

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.store import open_store
from tests.pg.conftest import run_citymgr

RECORD = "5e1f0000-0000-4000-8000-00000000c0de"


def test_a_record_after_a_condition_edit_keeps_the_condition_before(project_target, tmp_path):
    target = project_target
    pkg = tmp_path / "field" / "粮道.gpkg"
    pkg.parent.mkdir()
    made = run_citymgr("field-package", target, "--out", str(pkg), "--district", "粮道街道",
                       "--user", "李四")
    assert made.returncode == 0, made.stderr
    conn = gpkg.connect(str(pkg))  # the visit, as QField writes it (rtree triggers run)
    try:
        with conn:
            bin_uuid, before = conn.execute(
                "SELECT asset_uuid, condition FROM litter_bin WHERE retired_at IS NULL AND "
                "condition < 4 ORDER BY fid LIMIT 1").fetchone()
            conn.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?",
                         (bin_uuid,))
            conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid,"
                         " record_date, record_type, observation, condition_before, "
                         "condition_after) VALUES (?, 'litter_bin', ?, '2099-01-02', "
                         "'inspection', '满溢破损', 5, 5)", (RECORD, bin_uuid))
    finally:
        conn.close()

    synced = run_citymgr("sync", target, str(pkg), "--json")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    report = json.loads(synced.stdout)
    assert report["status"] == "applied"
    [note] = [n for n in report["notes"] if "condition before" in n]
    assert f"kept the one the asset had before ({before})" in note
    with open_store(target, read_only=True) as store:
        record = store.get_row("maintenance_record", RECORD)
        assert (record["condition_before"], record["condition_after"]) == (before, 5)
        assert store.get_row("litter_bin", bin_uuid)["condition"] == 5
    conn = sqlite3.connect(pkg)
    try:  # the package itself is left as the surveyor made it
        assert conn.execute("SELECT condition_before FROM maintenance_record WHERE "
                            "record_uuid = ?", (RECORD,)).fetchone() == (5,)
    finally:
        conn.close()
