"""Resolving open conflicts after a sync: each choice (ancestor, master, field, edit), whole
rows, clear refusals, and undo of a resolution (the conflict opens again)."""

from __future__ import annotations

import sqlite3

import pytest

from citymgr_desktop.core.errors import ConflictError, ValidationError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import Resolution, list_conflicts, resolve_conflicts
from tests.core.sync_support import checkout, edit, row, sync, undo, uuids


@pytest.fixture
def conflicted(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    conn = sqlite3.connect(master)
    free = [r[0] for r in conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
        "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset) "
        "ORDER BY fid LIMIT 3")]
    conn.close()
    a, gone, kept = free
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场', capacity_l = 1000 WHERE asset_uuid=?",
                  (a,))
        c.execute("UPDATE litter_bin SET remarks = '现场改' WHERE asset_uuid = ?", (gone,))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (kept,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室', capacity_l = 1100 WHERE asset_uuid=?",
                  (a,))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (gone,))
        c.execute("UPDATE litter_bin SET remarks = '办公室改' WHERE asset_uuid = ?", (kept,))
    rep = sync(master, pkg)
    with Store.open(master) as store:
        found = {(c.uuid, c.field): c for c in list_conflicts(store)}
    return master, rep, found, (a, gone, kept)


def resolve(master, *res, user="审核员"):
    with Store.open(master) as store:
        return resolve_conflicts(store, list(res), user=user)


def test_open_conflicts_are_listed_with_their_choices(conflicted):
    _, rep, found, (a, gone, kept) = conflicted
    assert set(found) == {(a, "remarks"), (a, "capacity_l"), (gone, "*"), (kept, "*")}
    assert found[(a, "remarks")].choices() == ("ancestor", "master", "field", "edit")
    assert found[(a, "remarks")].field_value == "现场" and found[(a, "remarks")].master == "办公室"
    assert found[(gone, "*")].kind == "edit/delete"
    assert found[(gone, "*")].field_value["remarks"] == "现场改"
    assert found[(kept, "*")].kind == "delete/edit"
    assert {c.sync_id for c in found.values()} == {rep.sync_id}


def test_each_choice_lands_and_is_recorded(conflicted):
    master, _, found, (a, gone, kept) = conflicted
    out = resolve(master,
                  Resolution(found[(a, "remarks")].conflict_uuid, "field"),
                  Resolution(found[(a, "capacity_l")].conflict_uuid, "edit", "240"),
                  Resolution(found[(gone, "*")].conflict_uuid, "field"),
                  Resolution(found[(kept, "*")].conflict_uuid, "master"))
    assert out["resolved"] == 4 and out["sync_id"].startswith("resolve-")
    r = row(master, "litter_bin", a)
    assert (r["remarks"], r["capacity_l"], r["updated_by"]) == ("现场", 240, "审核员")
    assert row(master, "litter_bin", gone)["remarks"] == "现场改"  # brought back
    assert row(master, "litter_bin", kept)["remarks"] == "办公室改"
    conn = sqlite3.connect(master)
    states = dict(conn.execute("SELECT field_name || row_uuid, resolution FROM sync_conflict"))
    assert states[f"remarks{a}"] == "field" and states[f"capacity_l{a}"] == "edit"
    assert conn.execute("SELECT count(*) FROM sync_conflict WHERE state = 'open'"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT kind, applied_by FROM sync_run WHERE sync_id = ?",
                        (out["sync_id"],)).fetchone() == ("resolve", "审核员")


def test_ancestor_and_field_delete(conflicted):
    master, _, found, (a, _gone, kept) = conflicted
    ancestor = found[(a, "remarks")].ancestor
    resolve(master, Resolution(found[(a, "remarks")].conflict_uuid, "ancestor"),
            Resolution(found[(kept, "*")].conflict_uuid, "field"))
    assert row(master, "litter_bin", a)["remarks"] == ancestor
    assert row(master, "litter_bin", kept) is None


def test_bad_edits_are_refused_and_nothing_changes(conflicted):
    master, _, found, (a, _, _) = conflicted
    before = master.read_bytes()
    with pytest.raises(ValidationError, match=r"capacity_l .*not allowed; allowed"):
        resolve(master, Resolution(found[(a, "remarks")].conflict_uuid, "field"),
                Resolution(found[(a, "capacity_l")].conflict_uuid, "edit", "2000"))
    with pytest.raises(ValidationError, match="choose one of"):
        resolve(master, Resolution(found[(a, "remarks")].conflict_uuid, "sideways"))
    assert master.read_bytes() == before


def test_undo_of_a_resolution_opens_the_conflict_again(conflicted):
    master, rep, found, (a, _, _) = conflicted
    out = resolve(master, Resolution(found[(a, "remarks")].conflict_uuid, "field"))
    with pytest.raises(ConflictError, match="undo that resolution first"):
        undo(master, rep.sync_id)
    undo(master, out["sync_id"])
    assert row(master, "litter_bin", a)["remarks"] == "办公室"
    with Store.open(master) as store:
        again = [c for c in list_conflicts(store) if c.uuid == a and c.field == "remarks"]
    assert len(again) == 1
    undo(master, rep.sync_id)  # now the sync itself can go
    with Store.open(master) as store:
        assert list_conflicts(store) == []


def test_a_resolved_conflict_cannot_be_resolved_twice(conflicted):
    master, _, found, (a, _, _) = conflicted
    cid = found[(a, "remarks")].conflict_uuid
    resolve(master, Resolution(cid, "master"))
    with pytest.raises(Exception, match="is not open"):
        resolve(master, Resolution(cid, "field"))
    assert uuids(master, "litter_bin", limit=1)


def test_redo_of_a_resolution_resolves_again(conflicted):
    from citymgr_desktop.core.sync import redo_sync

    master, _, found, (a, _, _) = conflicted
    cid = found[(a, "remarks")].conflict_uuid
    out = resolve(master, Resolution(cid, "field"))
    undo(master, out["sync_uuid"])
    assert row(master, "litter_bin", a)["remarks"] == "办公室"
    with Store.open(master) as store:
        redo_sync(store, out["sync_uuid"])
        assert cid not in {c.conflict_uuid for c in list_conflicts(store)}
    assert row(master, "litter_bin", a)["remarks"] == "现场"
    conn = sqlite3.connect(master)
    assert conn.execute("SELECT state, resolution FROM sync_conflict WHERE conflict_uuid = ?",
                        (cid,)).fetchone() == ("resolved", "field")
