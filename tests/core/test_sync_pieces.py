"""A sync streams: the changed rows are read 1,000 at a time and written 250 at a time, with
the journal read around each batch. The same sync cut into pieces of one row must give the
same merge, the same sync id, the same journal and an undo back to the same master."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from citymgr_desktop.core.sync import apply, phases
from tests.core.sync_support import (
    assert_same_files,
    checkout,
    conflicts,
    edit,
    journal,
    sync,
    undo,
    uuids,
)

NEW_RECORD = "aaaaaaaa-1111-4000-8000-000000000001"


def _make(small_district: Path, root: Path) -> tuple[Path, Path]:
    pkg = root / "field" / "pkg.gpkg"
    pkg.parent.mkdir(parents=True)
    checkout(small_district, pkg, surveyor="李四", history_years=None)
    return small_district, pkg


def _edit(master: Path, pkg: Path) -> None:
    """Edits of several rows of several tables on both sides: updates, a conflict, a
    delete, a new record whose grade moves its asset (two changes of one row)."""
    bins = uuids(pkg, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "work_order_asset)", 8)
    roads = uuids(pkg, "road_segment", limit=3)
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE asset_uuid = ?", (bins[0],))
        c.execute("UPDATE road_segment SET pci = 12.5 WHERE asset_uuid = ?", (roads[0],))
    with edit(pkg) as c:
        c.executemany("UPDATE litter_bin SET remarks = '现场 ' || fid, condition = 2 "
                      "WHERE asset_uuid = ?", [(u,) for u in bins[:5]])
        c.execute("UPDATE litter_bin SET name = '现场名' WHERE asset_uuid = ?", (bins[5],))
        c.executemany("UPDATE road_segment SET pci = 77 WHERE asset_uuid = ?",
                      [(u,) for u in roads])
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (bins[6],))
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type, condition_after) VALUES (?, 'litter_bin', ?, "
                  "'2026-11-25', 'inspection', 4)", (NEW_RECORD, bins[7]))


def test_a_sync_in_pieces_of_one_row_is_the_same_sync(small_district, tmp_path, monkeypatch):
    master, pkg = _make(small_district, tmp_path / "whole")
    other = tmp_path / "pieces"
    shutil.copytree(master.parent, other / "master", dirs_exist_ok=True)
    shutil.copytree(pkg.parent, other / "field")
    master_b, pkg_b = other / "master" / master.name, other / "field" / pkg.name
    for m, p in ((master, pkg), (master_b, pkg_b)):
        _edit(m, p)
    before_b = tmp_path / "before.gpkg"
    shutil.copyfile(master_b, before_b)

    whole = sync(master, pkg)
    monkeypatch.setattr(phases, "CHUNK", 1)
    monkeypatch.setattr(apply, "BATCH", 1)
    pieces = sync(master_b, pkg_b)

    assert whole.status == pieces.status == "applied"
    assert pieces.sync_id == whole.sync_id  # the same content, the same id
    assert pieces.counts == whole.counts
    assert pieces.counts["litter_bin"]["update"] >= 6
    assert pieces.counts["maintenance_record"]["insert"] == 1
    assert conflicts(pieces) == conflicts(whole) != []
    assert journal(master_b, pieces.sync_uuid) == journal(master, whole.sync_uuid)
    # the asset the new record grades has two changes: one journal entry, both values in it
    graded = [e for e in journal(master_b, pieces.sync_uuid)
              if e[0] == "litter_bin" and "'condition': 4" in e[4]]
    assert len(graded) == 1
    # written batch by batch as the rows are: numbered 1, 2, ... without a gap all the same
    conn = sqlite3.connect(master_b)
    seqs = [r[0] for r in conn.execute("SELECT seq FROM sync_journal WHERE sync_uuid = ? "
                                       "ORDER BY seq", (pieces.sync_uuid,))]
    conn.close()
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == pieces.journal_entries

    undo(master_b, pieces.sync_uuid)
    assert_same_files(master_b, before_b)
    # the next sync's base: the field's changed rows, copied from the package in SQL
    deltas = list(Path(str(master_b) + ".sync").rglob("delta-*.gpkg"))
    assert len(deltas) == 1
    conn = sqlite3.connect(deltas[0])
    try:
        conn.execute("ATTACH DATABASE ? AS f", (str(pkg_b),))
        for table, n in (("litter_bin", 6), ("road_segment", 3), ("maintenance_record", 1)):
            rows = conn.execute(f"SELECT * FROM main.{table} ORDER BY fid").fetchall()
            assert len(rows) == n
            assert rows == conn.execute(f"SELECT * FROM f.{table} WHERE fid IN (SELECT fid "
                                        f"FROM main.{table}) ORDER BY fid").fetchall()
        assert conn.execute("SELECT table_name FROM sync_delta_deleted").fetchall() == [
            ("litter_bin",)]
    finally:
        conn.close()


def test_the_next_base_is_written_whole_without_ajournal(small_district, tmp_path):
    """The next base (a delta of the package) is a new file written without SQLite's
    rollback journal under a temporary name, then flushed and renamed: it is whole, alone in
    its folder (no journal, no temporary file left), and the next sync merges against it."""
    master, pkg = _make(small_district, tmp_path)
    _edit(master, pkg)
    assert sync(master, pkg, user="测试").status == "applied"
    delta = next(master.parent.glob(f"{master.name}.sync/packages/*/delta-*.gpkg"))
    assert sorted(p.name for p in delta.parent.iterdir()
                  if p.name.startswith(("delta", "."))) == [delta.name]
    conn = sqlite3.connect(delta)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # a normal file
    conn.close()
    with edit(pkg) as c:  # a second trip: merged against the base rebuilt from the delta
        c.execute("UPDATE litter_bin SET remarks = '第二次' WHERE fid = (SELECT max(fid) "
                  "FROM litter_bin)")
    again = sync(master, pkg, user="测试")
    assert again.status == "applied" and again.totals()["update"] == 1
