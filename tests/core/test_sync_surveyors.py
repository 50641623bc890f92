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


def _data(path):
    """The synced tables of a file, row by row (fid included)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in ("road_segment", "bridge", "green_space", "litter_bin",
                          "maintenance_record", "attachment")}
    finally:
        conn.close()


def test_the_next_base_is_the_package_as_synced_rebuilt_from_small_deltas(small_district,
                                                                          tmp_path):
    import shapely

    from citymgr_desktop.core.gpkg.geometry import encode
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import registry as reg
    from citymgr_desktop.core.sync.base import base_for, materialize

    master = small_district
    pkg = tmp_path / "p.gpkg"
    res = checkout(master, pkg)
    bins = uuids(pkg, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "maintenance_record)", 6)
    for trip in range(3):
        with edit(pkg) as c:
            c.execute("UPDATE litter_bin SET remarks = ? WHERE asset_uuid = ?",
                      (f"第{trip}次", bins[trip]))
            c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (bins[3 + trip],))
            c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES (?, ?, "
                      "'新', 'other')", (encode(shapely.Point(528000 + trip, 3381000), 4547),
                                         f"00000000-0000-4000-8000-00000000000{trip}"))
        rep = sync(master, pkg)
        assert rep.status == "applied" and not rep.conflicts
        with Store.open(master) as store:
            pkgrec = reg.get_package(store.conn, res.package_uuid)
            chain = base_for(master, store.conn, pkgrec, rep.sync_uuid)
        assert len(chain.deltas) == trip + 1 and chain.start.name == "base.gpkg"
        assert all(d.stat().st_size < 200_000 for d in chain.deltas)
        rebuilt = materialize(chain, tmp_path)
        assert _data(rebuilt) == _data(pkg)
        rebuilt.unlink()
    folder = reg.package_dir(master, res.package_uuid)
    assert sorted(p.name[:6] for p in folder.iterdir()) == ["base.g", "delta-", "delta-",
                                                            "delta-"]


def test_a_rewritten_package_is_kept_whole_and_later_deltas_build_on_it(small_district,
                                                                        tmp_path):
    import pyogrio

    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    df = pyogrio.read_dataframe(pkg, layer="litter_bin", fid_as_index=False)
    df = df.sort_values("name").reset_index(drop=True)  # new fids for everything
    u = df.loc[0, "asset_uuid"]
    df.loc[0, "remarks"] = "重写"
    pyogrio.write_dataframe(df, pkg, layer="litter_bin")
    first = sync(master, pkg)
    assert first.counts["litter_bin"]["update"] == 1
    folder = master.with_name(master.name + ".sync") / "packages"
    assert any(p.name.startswith("base-") for p in next(folder.iterdir()).iterdir())
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '再改' WHERE asset_uuid = ?", (u,))
    second = sync(master, pkg)
    assert second.counts["litter_bin"]["update"] == 1 and not second.conflicts
    assert row(master, "litter_bin", u)["remarks"] == "再改"
    assert sync(master, pkg).status == "nothing-to-do"


def test_masters_and_packages_in_wal_mode(small_district, tmp_path):
    """QGIS leaves GeoPackages in WAL mode: backups and base copies then go through SQLite's
    backup API so that pages still in the -wal file are not lost."""
    import sqlite3

    master = small_district
    pkg = tmp_path / "p.gpkg"
    checkout(master, pkg)
    for path in (master, pkg):
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
        conn.close()
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = 'wal' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert rep.status == "applied" and row(master, "litter_bin", u)["remarks"] == "wal"
    backup = sqlite3.connect(rep.backup)
    assert backup.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert backup.execute("SELECT remarks FROM litter_bin WHERE asset_uuid = ?",
                          (u,)).fetchone()[0] != "wal"
    backup.close()
    assert sync(master, pkg).status == "nothing-to-do"


def test_undo_and_whole_file_check_out_of_a_master_in_wal_mode(small_district, tmp_path):
    import sqlite3

    master = small_district
    conn = sqlite3.connect(master)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    pkg = tmp_path / "p.gpkg"
    res = checkout(master, pkg)  # the whole-file path copies the master
    assert res.counts["litter_bin"] > 0
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = 'wal' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    from tests.core.sync_support import undo

    out = undo(master, rep.sync_id)
    assert out["backup"] and row(master, "litter_bin", u)["remarks"] != "wal"
