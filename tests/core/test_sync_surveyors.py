"""Several surveyors, several trips: packages from the same base merge in turn without losing
anybody's edits, and a device that syncs again only brings what is new."""

from __future__ import annotations

import shutil

from tests.core.sync_support import checkout, edit, row, sync, uuids


def test_two_packages_of_the_same_area_merge_in_turn(small_district, tmp_path):
    master = small_district
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    checkout(master, a, surveyor="甲")
    checkout(master, b, surveyor="乙")
    u1, u2, u3 = uuids(a, "litter_bin", limit=3)
    with edit(a) as c:
        c.execute("UPDATE litter_bin SET remarks = 'A' WHERE asset_uuid IN (?, ?)", (u1, u3))
        c.execute("UPDATE litter_bin SET name = '甲改' WHERE asset_uuid = ?", (u2,))
    with edit(b) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u1,))
        c.execute("UPDATE litter_bin SET remarks = 'B' WHERE asset_uuid = ?", (u3,))
    ra = sync(master, a)
    rb = sync(master, b)
    assert not ra.conflicts
    assert row(master, "litter_bin", u1)["remarks"] == "A"
    assert row(master, "litter_bin", u1)["condition"] == 5
    assert row(master, "litter_bin", u2)["name"] == "甲改"
    [conf] = rb.conflicts  # both surveyors wrote remarks of u3
    assert (conf.uuid, conf.field, conf.master, conf.field_value) == (u3, "remarks", "A", "B")
    assert row(master, "litter_bin", u3)["remarks"] == "A"
    assert row(master, "litter_bin", u3)["updated_by"] == "甲"


def test_one_package_copied_to_two_surveyors_loses_neither(small_district, tmp_path):
    """The same file handed to two people: the second sync must not undo the first."""
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    copy = tmp_path / "copy.gpkg"
    shutil.copyfile(pkg, copy)
    u1, u2 = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '甲' WHERE asset_uuid = ?", (u1,))
    with edit(copy) as c:
        c.execute("UPDATE litter_bin SET remarks = '乙' WHERE asset_uuid = ?", (u2,))
    sync(master, pkg)
    rep = sync(master, copy)
    assert row(master, "litter_bin", u1)["remarks"] == "甲"
    assert row(master, "litter_bin", u2)["remarks"] == "乙"
    assert not rep.conflicts and rep.counts["litter_bin"]["update"] == 1


def test_a_device_that_syncs_again_brings_only_what_is_new(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    u1, u2 = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '第一次' WHERE asset_uuid = ?", (u1,))
    first = sync(master, pkg)
    # the office corrects the surveyor's remark; the surveyor goes on working on other assets
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室更正' WHERE asset_uuid = ?", (u1,))
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '第二次' WHERE asset_uuid = ?", (u2,))
    second = sync(master, pkg)
    assert second.based_on == f"sync {first.sync_id}"
    assert not second.conflicts  # the old remark of u1 is not brought in again
    assert row(master, "litter_bin", u1)["remarks"] == "办公室更正"
    assert row(master, "litter_bin", u2)["remarks"] == "第二次"
    assert sync(master, pkg).status == "nothing-to-do"


def test_a_conflict_left_open_is_not_raised_again_by_the_next_trip(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    u1, u2 = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (u1,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE asset_uuid = ?", (u1,))
    assert len(sync(master, pkg).conflicts) == 1
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '又一处' WHERE asset_uuid = ?", (u2,))
    second = sync(master, pkg)
    assert not second.conflicts
    assert row(master, "litter_bin", u2)["remarks"] == "又一处"


def test_a_package_from_a_read_only_medium_still_merges_once(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '只读' WHERE asset_uuid = ?", (u,))
    pkg.chmod(0o444)
    try:
        first = sync(master, pkg)
        assert any("could not be marked" in n for n in first.notes)
        again = sync(master, pkg)  # not marked: the sync id recognises the content
        assert again.status == "already-synced" and again.sync_id == first.sync_id
    finally:
        pkg.chmod(0o644)
    assert row(master, "litter_bin", u)["remarks"] == "只读"
