"""The comparison skips the pages a package shares byte for byte with its base
(``core/sync/pages.py``). Whatever the field did to the package, the sync must merge exactly
what it merges when every row is compared: twin masters and packages get the same edits,
one twin syncs with the page comparison and the other with every row compared, and the
reports, sync ids, conflicts and journals must be the same."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from citymgr_desktop.core.sync import diff
from tests.core.sync_support import checkout, conflicts, edit, journal, row, sync, uuids

NEW_BIN = "bbbbbbbb-2222-4000-8000-000000000002"
NEW_RECORD = "aaaaaaaa-1111-4000-8000-000000000001"
LONG = "长" * 1000  # 3,000 bytes: a record with two of them spills into overflow pages
FREE_BINS = ("asset_uuid NOT IN (SELECT asset_uuid FROM maintenance_record) AND asset_uuid "
             "NOT IN (SELECT asset_uuid FROM work_order_asset)")


def _twins(district: Path, root: Path, long_value: bool = False) -> list[tuple[Path, Path]]:
    """Two copies of a master (with its .sync folder) and of its whole-file package."""
    if long_value:  # a record longer than a page goes out in the package
        first = uuids(district, "maintenance_record", limit=1)[0]
        with edit(district) as c:
            c.execute("UPDATE maintenance_record SET observation = ?, work_done = ? "
                      "WHERE record_uuid = ?", (LONG, LONG, first))
    pkg = root / "a" / "field" / "pkg.gpkg"
    pkg.parent.mkdir(parents=True)
    master = root / "a" / district.name
    shutil.move(district, master)
    checkout(master, pkg, surveyor="李四", history_years=None)
    shutil.copytree(root / "a", root / "b")
    return [(master, pkg), (root / "b" / master.name, root / "b" / "field" / pkg.name)]


def _scattered(master: Path, pkg: Path) -> None:
    """Field edits spread over the file, a conflict with the office, a new record."""
    bins = uuids(pkg, "litter_bin", limit=10_000)
    roads = uuids(pkg, "road_segment", limit=5)
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE asset_uuid = ?", (bins[37],))
        c.execute("UPDATE road_segment SET pci = 12.5 WHERE asset_uuid = ?", (roads[0],))
    with edit(pkg) as c:
        c.executemany("UPDATE litter_bin SET remarks = '现场 ' || fid, condition = 2 "
                      "WHERE asset_uuid = ?", [(u,) for u in bins[::37]])
        c.executemany("UPDATE road_segment SET pci = 77 WHERE asset_uuid = ?",
                      [(u,) for u in roads])


def _moved(master: Path, pkg: Path) -> None:
    """Rows that grow until their pages split (rows move to new pages), rows that shrink."""
    bins = uuids(pkg, "litter_bin", limit=10_000)
    with edit(pkg) as c:
        c.executemany("UPDATE litter_bin SET remarks = ? || fid WHERE asset_uuid = ?",
                      [("路" * 400, u) for u in bins[200:260]])
        c.executemany("UPDATE litter_bin SET name = NULL, remarks = NULL WHERE asset_uuid = ?",
                      [(u,) for u in bins[600:640]])


def _deleted_and_inserted(master: Path, pkg: Path) -> None:
    """Rows deleted, a new asset (a copy of a bin under a new uuid), a new record."""
    free = uuids(pkg, "litter_bin", FREE_BINS, 40)
    conn = sqlite3.connect(pkg)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(litter_bin)")
            if r[1] not in ("fid", "asset_uuid", "obj_code")]
    conn.close()
    names = ", ".join(cols)
    with edit(pkg) as c:
        c.executemany("DELETE FROM litter_bin WHERE asset_uuid = ?", [(u,) for u in free[::3]])
        c.execute(f"INSERT INTO litter_bin (asset_uuid, {names}) SELECT ?, {names} "
                  "FROM litter_bin WHERE asset_uuid = ?", (NEW_BIN, free[1]))
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type, condition_after) VALUES (?, 'litter_bin', ?, "
                  "'2026-11-25', 'inspection', 4)", (NEW_RECORD, free[2]))


def _vacuumed(master: Path, pkg: Path) -> None:
    """Edits, then the whole package rewritten (every page renumbered)."""
    _scattered(master, pkg)
    _deleted_and_inserted(master, pkg)
    conn = sqlite3.connect(pkg)
    conn.execute("VACUUM")
    conn.close()


def _same_length(master: Path, pkg: Path) -> None:
    """The end of a long record changed to a value of the same length: SQLite rewrites the
    overflow page in place and leaves the record's leaf page byte for byte as it was."""
    first = uuids(pkg, "maintenance_record", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE maintenance_record SET work_done = ? WHERE record_uuid = ?",
                  (LONG[:-10] + "改" * 10, first))


def _outcome(master: Path, rep) -> tuple:
    entries = journal(master, rep.sync_uuid) if rep.sync_uuid else []
    return rep.status, rep.sync_id, rep.counts, conflicts(rep), entries


def _sync_twins(twins, monkeypatch) -> tuple[tuple, tuple]:
    (master_a, pkg_a), (master_b, pkg_b) = twins
    by_pages = sync(master_a, pkg_a)
    with monkeypatch.context() as m:
        m.setattr(diff, "changed_ranges", lambda *_args: {})  # every row compared
        by_rows = sync(master_b, pkg_b)
    return _outcome(master_a, by_pages), _outcome(master_b, by_rows)


@pytest.mark.parametrize("edits", [_scattered, _moved, _deleted_and_inserted, _vacuumed],
                         ids=lambda f: f.__name__.strip("_"))
def test_the_page_comparison_merges_what_comparing_every_row_merges(district, tmp_path,
                                                                    monkeypatch, edits):
    twins = _twins(district, tmp_path)
    for master, pkg in twins:
        edits(master, pkg)
    by_pages, by_rows = _sync_twins(twins, monkeypatch)
    assert by_pages == by_rows
    assert by_pages[0] == "applied" and by_pages[4] != []

    # a second trip: the base is now rebuilt from the check-out copy and a delta
    for _master, pkg in twins:
        bins = uuids(pkg, "litter_bin", limit=500)
        with edit(pkg) as c:
            c.executemany("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?",
                          [(u,) for u in bins[::50]])
    again_pages, again_rows = _sync_twins(twins, monkeypatch)
    # (the sync ids differ: each names its twin's first run as the base)
    assert again_pages[:1] + again_pages[2:] == again_rows[:1] + again_rows[2:]
    assert again_pages[0] == "applied" and again_pages[4] != []


def test_the_pages_of_the_base_and_package_narrow_the_comparison(district, tmp_path):
    """Scattered edits of a package: the rows to compare are a small part of the table, and
    every changed row is inside them."""
    (master, pkg), _ = _twins(district, tmp_path)
    _scattered(master, pkg)
    base = next(Path(str(master) + ".sync").rglob("base.gpkg"))
    ranges = diff.changed_ranges(base, pkg, ["litter_bin", "bridge"])
    assert ranges["bridge"] == []  # no page of it changed
    conn = sqlite3.connect(pkg)
    fids = [r[0] for r in conn.execute("SELECT fid FROM litter_bin WHERE remarks LIKE '现场 %'")]
    total = conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0]
    conn.close()
    def inside(fid: int) -> bool:
        return any(lo <= fid <= hi for lo, hi in ranges["litter_bin"])

    assert fids and all(inside(f) for f in fids)
    assert sum(inside(f) for f in range(1, total + 1)) < total / 2


def test_a_same_length_change_of_a_long_value_lands(district, tmp_path, monkeypatch):
    """Only an overflow page differs (the leaf that points to it is the same bytes): the
    change is still found and merged, as when every row is compared."""
    twins = _twins(district, tmp_path, long_value=True)
    for master, pkg in twins:
        _same_length(master, pkg)
    by_pages, by_rows = _sync_twins(twins, monkeypatch)
    assert by_pages == by_rows
    assert by_pages[2]["maintenance_record"]["update"] == 1
    first = uuids(twins[0][1], "maintenance_record", limit=1)[0]
    assert row(twins[0][0], "maintenance_record", first)["work_done"] == LONG[:-10] + "改" * 10
