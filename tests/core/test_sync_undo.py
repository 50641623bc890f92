"""Undo of a whole sync from its journal: the master comes back row for row, or the undo is
refused naming what changed since; the journal holds old and new values."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
import shapely

from citymgr_desktop.core.errors import ConflictError, NotFoundError, ValidationError
from citymgr_desktop.core.gpkg.geometry import decode, encode
from tests.core.sync_support import (
    assert_same_files,
    checkout,
    count,
    edit,
    row,
    sync,
    undo,
    uuids,
)


@pytest.fixture
def synced(small_district, tmp_path):
    """A master, its copy before the sync, the package and the report of a busy sync."""
    master = small_district
    pkg = tmp_path / "pkg.gpkg"
    checkout(master, pkg, history_years=None, surveyor="s1")
    conn = sqlite3.connect(master)
    no_history = [r[0] for r in conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
        "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset) "
        "LIMIT 3")]
    with_history = conn.execute("SELECT asset_uuid FROM maintenance_record WHERE asset_class = "
                                "'litter_bin' LIMIT 1").fetchone()[0]
    conn.close()
    roads = uuids(pkg, "road_segment", limit=3)
    bins = uuids(pkg, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "maintenance_record)", 5)
    with edit(master) as c:  # office edits after check-out
        c.execute("UPDATE road_segment SET pci = 12.5 WHERE asset_uuid = ?", (roads[0],))
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE asset_uuid = ?", (bins[3],))
    before = tmp_path / "before.gpkg"
    shutil.copyfile(master, before)
    with edit(pkg) as c:
        c.execute("UPDATE road_segment SET pci = 88, remarks = '重铺' WHERE asset_uuid = ?",
                  (roads[1],))
        geom = decode(c.execute("SELECT geom FROM road_segment WHERE asset_uuid = ?",
                                (roads[2],)).fetchone()[0])
        c.execute("UPDATE road_segment SET geom = ? WHERE asset_uuid = ?",
                  (encode(shapely.affinity.translate(geom, 3, 4), 4547), roads[2]))
        c.execute("UPDATE litter_bin SET name = '现场名', remarks = '现场' WHERE asset_uuid = ?",
                  (bins[3],))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid IN (?, ?)", no_history[:2])
        c.execute("DELETE FROM maintenance_record WHERE asset_uuid = ?", (with_history,))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (with_history,))
        c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES (?, "
                  "'12345678-aaaa-4bbb-8ccc-123456789abc', '新', 'other')",
                  (encode(shapely.Point(535000, 3390000), 4547),))
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type) VALUES ('87654321-aaaa-4bbb-8ccc-123456789abc', "
                  "'litter_bin', '12345678-aaaa-4bbb-8ccc-123456789abc', '2026-11-20', "
                  "'inspection')")
    rep = sync(master, pkg)
    return master, before, pkg, rep, bins


def test_sync_then_undo_is_the_original_master(synced):
    master, before, _, rep, _ = synced
    assert rep.counts["litter_bin"] == {"insert": 1, "update": 1, "delete": 2, "retire": 1,
                                        "conflict": 1}
    assert rep.counts["road_segment"]["update"] == 2
    assert rep.counts["maintenance_record"]["insert"] == 1
    result = undo(master, rep.sync_id, user="office")
    assert result["rows_restored"] == rep.journal_entries
    assert_same_files(before, master)
    conn = sqlite3.connect(master)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    state, by = conn.execute("SELECT state, undone_by FROM sync_run").fetchone()
    assert (state, by) == ("undone", "office")
    assert conn.execute("SELECT DISTINCT state FROM sync_conflict").fetchall() == [("void",)]


def test_journal_has_old_and_new_values(synced):
    master, _, _, rep, _ = synced
    conn = sqlite3.connect(master)
    rows = conn.execute("SELECT table_name, action, old_values, new_values FROM sync_journal "
                        "ORDER BY seq").fetchall()
    assert len(rows) == rep.journal_entries
    updates = [(json.loads(o), json.loads(n)) for t, a, o, n in rows
               if t == "road_segment" and a == "update"]
    pci = [(o["pci"], n["pci"]) for o, n in updates if "pci" in n]
    assert pci and pci[0][1] == 88
    assert all(n["updated_by"] == "s1" for o, n in updates)  # side effects journaled too
    inserts = [json.loads(n) for t, a, o, n in rows if a == "insert"]
    assert any(r.get("fid") for r in inserts)
    deletes = [json.loads(o) for t, a, o, n in rows if a == "delete" and t == "litter_bin"]
    assert len(deletes) == 2 and all("geom" in d and "fid" in d for d in deletes)


def test_undo_is_refused_when_a_row_changed_since(synced):
    master, _, _, rep, _ = synced
    conn = sqlite3.connect(master)
    u = conn.execute("SELECT asset_uuid FROM road_segment WHERE remarks = '重铺'").fetchone()[0]
    conn.close()
    with edit(master) as c:
        c.execute("UPDATE road_segment SET pci = 70 WHERE asset_uuid = ?", (u,))
    snapshot = master.read_bytes()
    with pytest.raises(ConflictError, match=rf"road_segment {u} \(pci\) was edited"):
        undo(master, rep.sync_id)
    assert master.read_bytes() == snapshot


def test_undo_twice_and_unknown_ids(synced):
    master, _, _, rep, _ = synced
    undo(master, rep.sync_id)
    with pytest.raises(ValidationError, match="already undone"):
        undo(master, rep.sync_id)
    with pytest.raises(NotFoundError, match="no sync 'nope'"):
        undo(master, "nope")


def test_after_an_undo_the_same_package_merges_again(synced):
    master, _, pkg, rep, bins = synced
    undo(master, rep.sync_id)
    again = sync(master, pkg, prefer="field")
    # the same content against the same base has the same sync id, in a new run
    assert again.status == "applied" and again.sync_id == rep.sync_id
    assert again.sync_uuid != rep.sync_uuid
    assert row(master, "litter_bin", bins[3])["remarks"] == "现场"
    assert count(master, "sync_run", "state = 'applied'") == 1


def test_undo_of_a_prefer_field_sync_restores_conflicted_values(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET condition = 1 WHERE asset_uuid = ?", (u,))
    before = tmp_path / "before.gpkg"
    shutil.copyfile(master, before)
    rep = sync(master, pkg, prefer="field")
    assert row(master, "litter_bin", u)["condition"] == 5
    undo(master, rep.sync_uuid)  # by run uuid as well as by sync id
    assert_same_files(before, master)


def test_redo_after_undo_gives_the_synced_master_back(synced, tmp_path):
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import redo_sync

    master, before, _, rep, _ = synced
    after = tmp_path / "after.gpkg"
    shutil.copyfile(master, after)
    undo(master, rep.sync_uuid)
    assert_same_files(before, master)
    with Store.open(master) as store:
        out = redo_sync(store, rep.sync_uuid)
    assert out["rows_restored"] == rep.journal_entries
    assert_same_files(after, master)
    conn = sqlite3.connect(master)
    assert conn.execute("SELECT state FROM sync_run").fetchone() == ("applied",)
    assert conn.execute("SELECT DISTINCT state FROM sync_conflict").fetchall() == [("open",)]
    conn.close()
    with Store.open(master) as store, pytest.raises(ValidationError, match="nothing to redo"):
        redo_sync(store, rep.sync_uuid)


def test_redo_is_refused_when_rows_changed_after_the_undo(synced):
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import redo_sync

    master, _, _, rep, bins = synced
    undo(master, rep.sync_uuid)
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET name = '改' WHERE asset_uuid = ?", (bins[3],))
    with Store.open(master) as store, pytest.raises(ConflictError, match="was edited"):
        redo_sync(store, rep.sync_uuid)


def test_master_stays_a_valid_geopackage_after_sync_and_undo(synced):
    from citymgr_desktop.core.store import validate_file
    from tests.gpkg_checks import assert_valid_gpkg

    master, _, _, rep, _ = synced
    assert_valid_gpkg(master)
    assert [p for p in validate_file(master) if p.level == "error"] == []
    undo(master, rep.sync_id)
    assert_valid_gpkg(master)
