"""What a check-in refuses before anything lands in the master: rows without a uuid or sharing
one, a package whose schema drifted, a file that is no package or another master's, a missing
base copy, and a master whose index disagrees with its rows once the sync has written."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import shapely

from citymgr_desktop.core.errors import BadFileError, NotFoundError, SchemaError
from citymgr_desktop.core.gpkg.geometry import encode
from tests.core.sync_support import count, edit, sync, uuids
from tests.faults.corpus import rebuild_without_constraints


def test_new_asset_without_uuid_is_refused_naming_its_row(pair):
    """A row without a uuid cannot be told from an asset whose uuid a tool lost: the package
    is refused before anything is written (docs/sync.md, "Identities")."""
    master, pkg = pair
    with edit(pkg) as c:
        rebuild_without_constraints(c, "litter_bin")
        c.execute("INSERT INTO litter_bin (geom, name, bin_type) VALUES (?, '无编号', 'other')",
                  (encode(shapely.Point(528100, 3381100), 4547),))
        fid = c.execute("SELECT max(fid) FROM litter_bin").fetchone()[0]
    before = master.read_bytes()
    with pytest.raises(BadFileError, match=f"litter_bin fid {fid}: no asset_uuid"):
        sync(master, pkg)
    assert master.read_bytes() == before


def test_duplicated_uuid_from_copy_paste_is_refused_naming_both_rows(pair):
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        rebuild_without_constraints(c, "litter_bin")
        c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) SELECT geom, "
                  "asset_uuid, '复制的', bin_type FROM litter_bin WHERE asset_uuid = ?", (u,))
        fids = [r[0] for r in c.execute("SELECT fid FROM litter_bin WHERE asset_uuid = ? "
                                        "ORDER BY fid", (u,))]
    before = master.read_bytes()
    with pytest.raises(BadFileError, match=f"litter_bin fid {fids[0]}, {fids[1]}: asset_uuid "
                                           f"{u} is held by 2 rows"):
        sync(master, pkg)
    assert master.read_bytes() == before


def test_schema_drift_stops_the_merge(pair):
    master, pkg = pair
    with edit(pkg) as c:
        c.execute("ALTER TABLE litter_bin ADD COLUMN colour TEXT")
        c.execute("UPDATE litter_bin SET condition = 5")
    before = count(master, "litter_bin", "condition = 5")
    with pytest.raises(SchemaError, match=r"litter_bin\.colour: column was added"):
        sync(master, pkg)
    assert count(master, "litter_bin", "condition = 5") == before
    assert count(master, "sync_run") == 0


def test_a_file_that_is_not_a_package_is_refused(pair, small_master, tmp_path):
    master, _ = pair
    other = tmp_path / "other.gpkg"
    shutil.copyfile(small_master, other)
    with pytest.raises(BadFileError, match="not a citymgr field package"):
        sync(master, other)


def test_a_package_of_another_master_is_refused(pair, tmp_path, small_master):
    _, pkg = pair
    stranger = tmp_path / "stranger.gpkg"
    shutil.copyfile(small_master, stranger)
    with pytest.raises(NotFoundError) as refused:
        sync(stranger, pkg)
    # it says which master the package came from (the file name the package records)
    assert f"was checked out from {small_master.name}, not from this master" in str(
        refused.value)
    assert f"是从 {small_master.name} 检出的" in refused.value.message.render("zh_CN")


def test_a_truncated_package_is_to_be_copied_again_from_the_device(pair):
    master, pkg = pair
    with pkg.open("r+b") as fh:
        fh.truncate(pkg.stat().st_size // 2)
    with pytest.raises(BadFileError) as refused:
        sync(master, pkg)
    assert "copy the package again from the tablet or phone" in str(refused.value)
    assert "请从平板或手机重新复制数据包" in refused.value.message.render("zh_CN")


def test_missing_base_copy_is_named(pair):
    master, pkg = pair
    shutil.rmtree(master.with_name(master.name + ".sync"))
    with pytest.raises(BadFileError, match=r"base copy .* is missing"):
        sync(master, pkg)


def test_an_index_that_disagrees_with_its_rows_in_a_written_table_stops_the_sync(pair):
    """The quick_check of the master on open passes such a file (it does not compare index
    entries with rows); the check of the tables the sync wrote does, and nothing lands."""
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    conn = sqlite3.connect(master)
    conn.execute("PRAGMA writable_schema = ON")  # the index now claims another column
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, '(district)', '(remarks)') "
                 "WHERE name = 'idx_litter_bin_district'")
    conn.commit()
    conn.close()
    before, pkg_before = master.read_bytes(), pkg.read_bytes()
    with pytest.raises(BadFileError, match="integrity check failed after the sync"):
        sync(master, pkg, backup=False)
    assert master.read_bytes() == before
    # the next base (the delta) is gone too, and the package is not marked
    assert pkg.read_bytes() == pkg_before
    folder = Path(f"{master}.sync") / "packages"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["base.gpkg"]


@pytest.mark.parametrize("side", ["master", "package"])
def test_a_freelist_pointing_at_a_live_page_elsewhere_stops_the_sync(pair, side):
    """The whole-file check stays (docs/sync.md): a damaged freelist whose head is a live
    page of a table the sync neither reads for its changes nor writes (road_segment) passes
    ``quick_check(litter_bin)``, and the next page the sync allocates would overwrite that
    road. The file is refused before anything is written."""
    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (u,))
    damaged = master if side == "master" else pkg
    conn = sqlite3.connect(damaged)
    road_page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'road_segment'"
                             ).fetchone()[0]
    assert conn.execute("PRAGMA quick_check(litter_bin)").fetchone()[0] == "ok"
    conn.close()
    data = bytearray(damaged.read_bytes())
    data[32:36] = road_page.to_bytes(4, "big")  # the header's first freelist trunk page
    data[36:40] = (1).to_bytes(4, "big")        # and a freelist of one page
    damaged.write_bytes(bytes(data))
    conn = sqlite3.connect(damaged)
    assert conn.execute("PRAGMA quick_check(litter_bin)").fetchone()[0] == "ok"  # not seen
    conn.close()
    before = master.read_bytes()
    with pytest.raises(BadFileError):
        sync(master, pkg, backup=False)
    assert master.read_bytes() == before


def test_a_damaged_copy_of_a_package_found_whole_before_is_checked_again(pair, tmp_path):
    """The whole-file check is remembered for a file's version (path, size, modification
    time, inode), never for its content's header: a copy that keeps the size, the
    modification time and SQLite's change counter of a package found whole, but lost a page
    on the way, is checked and refused."""
    import os

    from tests.faults.corpus import bit_flipped

    master, pkg = pair
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (u,))
    copy = tmp_path / "拷贝" / pkg.name
    copy.parent.mkdir()
    shutil.copy2(pkg, copy)  # keeps the modification time
    sync(master, pkg, dry_run=True)  # the package found whole (and remembered)
    header, stat = pkg.read_bytes()[:100], pkg.stat()
    bit_flipped(copy)
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert copy.read_bytes()[:100] == header and copy.stat().st_size == stat.st_size
    before = master.read_bytes()
    with pytest.raises(BadFileError):
        sync(master, copy, backup=False)
    assert master.read_bytes() == before
