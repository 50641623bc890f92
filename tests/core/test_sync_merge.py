"""Three-way merge of a field package back into its master: each rule of the merge table,
conflicts with and without --prefer, new rows, history, invalid values, a dry run, the report,
and a layer another tool rewrote (what a check-in refuses: ``test_sync_refusals.py``)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import shapely

from citymgr_desktop.core.gpkg.geometry import decode, encode
from tests.core.sync_support import count, edit, row, sync, uuids

NEW_UUID = "0f0f0f0f-1111-4222-8333-444455556666"


def bins_without_history(path: Path, n: int) -> list[str]:
    return uuids(path, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "work_order_asset)", n)


def test_different_attributes_of_one_asset_both_land(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5, remarks = '倾倒' WHERE asset_uuid = ?",
                  (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET name = '新名称' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    r = row(master, "litter_bin", u)
    assert (r["condition"], r["remarks"], r["name"]) == (5, "倾倒", "新名称")
    assert r["updated_by"] == "李四"
    assert rep.status == "applied" and not rep.conflicts
    assert rep.counts["litter_bin"]["update"] == 1


def test_a_value_only_re_spelled_in_the_field_leaves_the_master_row_alone(pair):
    """Another tool wrote the install date back as a timestamp of the same day: equal by
    meaning to the base and to the master, so nothing is written (no new updated_at, no
    surveyor as the last editor) while the bin's real change beside it lands."""
    master, pkg = pair
    u, v = uuids(pkg, "litter_bin", limit=2)
    before = row(master, "litter_bin", u)
    assert before["install_date"] and len(before["install_date"]) == 10
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET install_date = install_date || 'T00:00:00.000Z' "
                  "WHERE asset_uuid IN (?, ?)", (u, v))
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (v,))
    rep = sync(master, pkg)
    assert rep.status == "applied" and not rep.conflicts
    assert row(master, "litter_bin", u) == before  # untouched, updated_at included
    other = row(master, "litter_bin", v)
    assert other["condition"] == 5 and other["updated_by"] == "李四"
    assert len(other["install_date"]) == 10  # the model's form, not the field's spelling
    assert rep.counts["litter_bin"]["update"] == 1


def test_same_attribute_two_ways_is_a_conflict_left_open(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    ancestor = row(master, "litter_bin", u)["condition"]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5, material = 'steel' WHERE asset_uuid=?",
                  (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert row(master, "litter_bin", u)["condition"] == 4  # the master keeps its value
    assert row(master, "litter_bin", u)["material"] == "steel"  # the rest still lands
    [conf] = rep.conflicts
    assert (conf.layer, conf.uuid, conf.field, conf.kind) == ("litter_bin", u, "condition",
                                                              "edit/edit")
    assert (conf.ancestor, conf.master, conf.field_value) == (ancestor, 4, 5)
    data = rep.to_json()["conflicts"][0]
    assert data["asset_uuid"] == u and data["field"] == "condition"
    assert data["values"] == {"ancestor": ancestor, "master": 4, "field": 5}
    assert data["resolution"] == "open"
    assert count(master, "sync_conflict", "state = 'open'") == 1


@pytest.mark.parametrize(("prefer", "expected"), [("master", 4), ("field", 5)])
def test_prefer_settles_conflicts(pair, prefer, expected):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg, prefer=prefer)
    assert row(master, "litter_bin", u)["condition"] == expected
    assert [c.resolution for c in rep.conflicts] == [prefer]
    assert rep.open_conflicts == 0
    assert count(master, "sync_conflict", "state = 'resolved'") == 1


def test_same_edit_on_both_sides_is_not_a_conflict(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    for path in (pkg, master):
        with edit(path) as c:
            c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert not rep.conflicts and rep.counts == {}


def test_geometry_changed_on_both_sides_is_a_conflict(pair):
    master, pkg = pair
    u = uuids(pkg, "road_segment", limit=1)[0]
    geom = decode(row(master, "road_segment", u)["geom"])
    for path, dx in ((pkg, 1.0), (master, -2.0)):
        with edit(path) as c:
            c.execute("UPDATE road_segment SET geom = ? WHERE asset_uuid = ?",
                      (encode(shapely.affinity.translate(geom, dx, 0), 4547), u))
    rep = sync(master, pkg)
    [conf] = rep.conflicts
    assert conf.field == "geom" and conf.kind == "edit/edit"
    assert conf.field_value != conf.master  # the two blobs as the copies hold them
    shown = rep.to_json()["conflicts"][0]["values"]
    assert shown["master"].startswith("LINESTRING") and shown["field"] != shown["master"]
    moved = decode(row(master, "road_segment", u)["geom"])
    assert shapely.equals_exact(moved, shapely.affinity.translate(geom, -2.0, 0), 1e-9)


def test_geometry_moved_in_the_field_lands_and_reindexes(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    geom = decode(row(master, "litter_bin", u)["geom"])
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET geom = ? WHERE asset_uuid = ?",
                  (encode(shapely.Point(geom.x + 50, geom.y), 4547), u))
    sync(master, pkg)
    fid = row(master, "litter_bin", u)["fid"]
    conn = sqlite3.connect(master)
    minx = conn.execute("SELECT minx FROM rtree_litter_bin_geom WHERE id=?", (fid,)).fetchone()
    assert minx[0] == pytest.approx(geom.x + 50, abs=0.1)  # rtree keeps float32


def test_edit_in_field_against_delete_in_master(pair):
    master, pkg = pair
    u = bins_without_history(master, 1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    [conf] = rep.conflicts
    assert (conf.field, conf.kind, conf.master) == ("*", "edit/delete", None)
    assert conf.field_value["condition"] == 5
    assert row(master, "litter_bin", u) is None  # master keeps the deletion


def test_edit_against_delete_with_prefer_field_brings_the_row_back(pair):
    master, pkg = pair
    u = bins_without_history(master, 1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    sync(master, pkg, prefer="field")
    assert row(master, "litter_bin", u)["condition"] == 5


def test_delete_in_field_against_edit_in_master(pair):
    master, pkg = pair
    u = bins_without_history(master, 1)[0]
    with edit(pkg) as c:
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '已修' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert [(c.kind, c.field) for c in rep.conflicts] == [("delete/edit", "*")]
    assert "remarks" in rep.conflicts[0].message
    assert row(master, "litter_bin", u)["remarks"] == "已修"


def test_delete_in_field_of_untouched_asset(pair):
    master, pkg = pair
    u = bins_without_history(master, 1)[0]
    with edit(pkg) as c:
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert row(master, "litter_bin", u) is None
    assert rep.counts["litter_bin"]["delete"] == 1


def test_delete_in_field_of_asset_with_history_retires_it(pair):
    master, pkg = pair
    conn = sqlite3.connect(master)
    u = conn.execute("SELECT asset_uuid FROM maintenance_record WHERE asset_class = "
                     "'litter_bin' LIMIT 1").fetchone()[0]
    conn.close()
    with edit(pkg) as c:  # QField deletes the history first, then the bin
        c.execute("DELETE FROM maintenance_record WHERE asset_uuid = ?", (u,))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    r = row(master, "litter_bin", u)
    assert r is not None and r["retired_at"] is not None
    assert rep.counts["litter_bin"]["retire"] == 1
    assert any("retired instead" in n for n in rep.notes)


def test_new_assets_land_with_their_uuid_and_get_a_code(pair):
    master, pkg = pair
    geom = encode(shapely.Point(528000.5, 3381000.5), 4547)
    with edit(pkg) as c:
        c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type, condition) "
                  "VALUES (?, ?, '新垃圾箱', 'kitchen', 1)", (geom, NEW_UUID))
    rep = sync(master, pkg)
    r = row(master, "litter_bin", NEW_UUID)
    assert r["name"] == "新垃圾箱" and r["updated_by"] == "李四"
    assert r["obj_code"] is not None and r["obj_code"].startswith("4201060304")
    assert rep.counts["litter_bin"]["insert"] == 1


def test_records_and_attachments_added_in_the_field_land_once(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    rec, att = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
    with edit(pkg) as c:
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type, observation, condition_after) VALUES "
                  "(?, 'litter_bin', ?, '2026-11-25', 'inspection', '桶身破损', 4)", (rec, u))
        c.execute("INSERT INTO attachment (attachment_uuid, owner_uuid, owner_kind, file_name, "
                  "mime_type, sha256, size_bytes, content) VALUES (?, ?, 'maintenance_record', "
                  "'p.jpg', 'image/jpeg', ?, 3, ?)", (att, rec, "ab" * 32, b"\xff\xd8\xff"))
    rep = sync(master, pkg)
    assert row(master, "maintenance_record", rec)["observation"] == "桶身破损"
    assert row(master, "attachment", att)["content"] == b"\xff\xd8\xff"
    assert rep.counts["maintenance_record"]["insert"] == 1
    assert rep.counts["attachment"]["insert"] == 1
    shutil.copyfile(pkg, pkg.with_name("again.gpkg"))  # the same content brought in again
    again = sync(master, pkg.with_name("again.gpkg"))
    assert again.status in ("nothing-to-do", "already-synced")
    assert count(master, "maintenance_record", f"record_uuid = '{rec}'") == 1


def test_record_for_an_asset_deleted_in_the_master_is_kept_as_a_conflict(pair):
    master, pkg = pair
    u = bins_without_history(master, 1)[0]
    rec = "cccccccc-0000-4000-8000-000000000003"
    with edit(pkg) as c:
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type) VALUES (?, 'litter_bin', ?, '2026-11-25', "
                  "'cleaning')", (rec, u))
    with edit(master) as c:
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert row(master, "maintenance_record", rec) is None
    assert [(c.kind, c.uuid) for c in rep.conflicts] == [("orphan", rec)]
    assert rep.conflicts[0].asset_uuid == u


def test_values_outside_the_domain_never_land(pair):
    master, pkg = pair
    a, b = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 9, remarks = 'ok' WHERE asset_uuid = ?",
                  (a,))
        c.execute("UPDATE litter_bin SET bin_type = '不存在' WHERE asset_uuid = ?", (b,))
    before = row(master, "litter_bin", a)["condition"]
    rep = sync(master, pkg, prefer="field")
    assert row(master, "litter_bin", a)["condition"] == before
    assert row(master, "litter_bin", a)["remarks"] == "ok"
    kinds = sorted((c.uuid, c.field, c.kind, c.resolution) for c in rep.conflicts)
    assert kinds == sorted([(a, "condition", "invalid", None), (b, "bin_type", "invalid", None)])
    assert "allowed" in rep.conflicts[0].message


def test_dry_run_writes_nothing(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    before_master, before_pkg = master.read_bytes(), pkg.read_bytes()
    rep = sync(master, pkg, dry_run=True)
    assert rep.status == "dry-run" and rep.counts["litter_bin"]["update"] == 1
    assert master.read_bytes() == before_master and pkg.read_bytes() == before_pkg
    assert not (master.parent / (master.name + ".sync") / "backups").exists()


def test_report_json_round_trips(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET condition = 3 WHERE asset_uuid = ?", (u,))
    data = json.loads(json.dumps(sync(master, pkg).to_json()))
    assert data["sync_id"].startswith(data["package_id"][:8])
    assert data["counts"]["litter_bin"]["conflict"] == 1
    assert data["backup"] and Path(data["backup"]).exists()
    # the tables the sync wrote (the conflict kept the master's value: litter_bin is not)
    assert data["integrity_check"] == ("integrity_check(gpkg_contents), "
                                       "integrity_check(sync_conflict), "
                                       "integrity_check(sync_journal), integrity_check(sync_run)")


def test_layer_rewritten_by_another_tool_is_compared_by_content(pair):
    """A GDAL round trip (pandas in between) renumbers fids, drops the UNIQUE index and our
    triggers, stores condition as REAL and dates as timestamps: only real edits land."""
    import pyogrio

    master, pkg = pair
    df = pyogrio.read_dataframe(pkg, layer="litter_bin", fid_as_index=False)
    df = df.sort_values("name", ascending=False).reset_index(drop=True)
    a, b = df.loc[0, "asset_uuid"], df.loc[1, "asset_uuid"]
    df.loc[0, "condition"] = 5
    df.loc[1, "remarks"] = "重写后"
    df = df[df["asset_uuid"] != df.loc[2, "asset_uuid"]]  # and one deleted
    pyogrio.write_dataframe(df, pkg, layer="litter_bin")
    conn = sqlite3.connect(pkg)
    assert "REAL" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'litter_bin'"
                                  ).fetchone()[0]
    conn.close()
    rep = sync(master, pkg)
    assert rep.counts["litter_bin"]["update"] == 2
    assert rep.counts["litter_bin"]["delete"] + rep.counts["litter_bin"]["retire"] == 1
    assert row(master, "litter_bin", a)["condition"] == 5
    assert isinstance(row(master, "litter_bin", a)["condition"], int)
    assert row(master, "litter_bin", b)["remarks"] == "重写后"
    assert any("rewritten by another tool" in n for n in rep.notes)
    assert sync(master, pkg).status == "nothing-to-do"
