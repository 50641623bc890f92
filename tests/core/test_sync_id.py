"""The sync id is made from the rows the merge reads, and stays the id earlier versions
computed by reading the package's changed values a second time (``sync_run.sync_id`` is
compared across versions: a package synced by an older version must still be recognised).
The reference below is that older computation, word for word."""

from __future__ import annotations

import hashlib
import json
import shutil

import shapely
import shapely.affinity

from citymgr_desktop.core.gpkg.geometry import decode, encode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sync import phases
from citymgr_desktop.core.sync.diff import CHUNK, all_columns, fetch_by_rowid, fetch_rows
from citymgr_desktop.core.sync.values import dumps
from tests.core.photo_support import write_jpeg
from tests.core.sync_support import count, dump, edit, row, sync, uuids

NEW_BIN = "bbbbbbbb-0000-4000-8000-0000000000{:02d}"
NEW_RECORD = "cccccccc-0000-4000-8000-0000000000{:02d}"


def reference_id(package_uuid, parent, conn, diffs, chunk=CHUNK):
    """``files.content_id`` as it was up to 408942d (the changed values read again)."""
    h = hashlib.sha256(f"{package_uuid}|{parent or 'check-out'}".encode())
    for name in sorted(diffs):
        d, t = diffs[name], sc.table(name)
        changed = {c for cols in d.updated.values() for c in cols} | {t.key}
        cols = [c for c in all_columns(t) if c in changed]
        updated = sorted(d.updated)
        for i in range(0, len(updated), chunk):
            part = updated[i:i + chunk]
            rows = fetch_rows(conn, "f", t, part, cols)
            for u in part:
                row_ = rows[u]
                h.update(json.dumps(["U", name, u, [[c, dumps(row_[c])] for c in d.updated[u]]]
                                    ).encode())
        for u in sorted(d.deleted):
            h.update(json.dumps(["D", name, u]).encode())
        inserted = sorted(d.inserted, key=lambda n: n.rowid)
        for i in range(0, len(inserted), chunk):
            news = inserted[i:i + chunk]
            by_rowid = fetch_by_rowid(conn, "f", t, [n.rowid for n in news], all_columns(t))
            for n in news:
                row_ = by_rowid[n.rowid]
                h.update(json.dumps(["I", name, n.uuid, n.rowid,
                                     [[c, dumps(v)] for c, v in sorted(row_.items())]]).encode())
    return f"{package_uuid[:8]}-{h.hexdigest()[:12]}"


def expected_ids(monkeypatch):
    """The reference id of every sync that reaches the merge, computed on its own inputs."""
    seen = []
    real = phases.SyncJob._merge

    def merge(job, diffs):
        if any(diffs.values()):
            seen.append(reference_id(job.pkg.package_uuid, job.parent, job.conn, diffs, 7))
        return real(job, diffs)

    monkeypatch.setattr(phases.SyncJob, "_merge", merge)
    return seen


def test_the_id_is_the_one_older_versions_computed(pair, tmp_path, monkeypatch):
    master, pkg = pair
    expected = expected_ids(monkeypatch)
    bins = uuids(pkg, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM maintenance_record)",
                 30)
    roads = uuids(pkg, "road_segment", limit=3)
    records = uuids(pkg, "maintenance_record", limit=2)
    write_jpeg(pkg.parent / "DCIM" / "bin.jpg")
    with edit(pkg) as c:  # updates of many rows (more than one chunk of 7), two tables
        c.executemany("UPDATE litter_bin SET remarks = '现场 ' || fid, condition = 2 "
                      "WHERE asset_uuid = ?", [(u,) for u in bins[:20]])
        c.execute("UPDATE maintenance_record SET observation = '复查' WHERE record_uuid = ?",
                  (records[0],))
        for i, u in enumerate(roads):  # geometry edits
            geom = decode(row(pkg, "road_segment", u)["geom"])
            c.execute("UPDATE road_segment SET geom = ? WHERE asset_uuid = ?",
                      (encode(shapely.affinity.translate(geom, 1.5 + i, -0.5), 4547), u))
        c.executemany("DELETE FROM litter_bin WHERE asset_uuid = ?",
                      [(u,) for u in bins[20:29]])
        for i in range(9):  # new rows, a new record with a photo from the field
            c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES "
                      "(?, ?, ?, 'other')",
                      (encode(shapely.Point(528000 + i, 3381000 - i), 4547), NEW_BIN.format(i),
                       f"新 {i}"))
        c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                  "record_date, record_type, observation, photo) VALUES (?, 'litter_bin', ?, "
                  "'2026-11-25', 'inspection', '现场', 'DCIM/bin.jpg')",
                  (NEW_RECORD.format(1), bins[29]))
    with edit(master) as c:  # the office's edits: conflicts and edit/delete
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE asset_uuid = ?", (bins[0],))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (bins[1],))
    copy = tmp_path / "copy" / "pkg.gpkg"  # the same content, not marked by the sync
    shutil.copytree(pkg.parent, copy.parent)
    first = sync(master, pkg)
    assert first.status == "applied" and first.photos["loaded"] == 1
    assert count(master, "attachment", f"owner_uuid = '{NEW_RECORD.format(1)}'") == 1
    assert [first.sync_id] == expected

    # the same content again: recognised by its id before anything is checked or written
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = '后来' WHERE asset_uuid = ?", (bins[2],))
    before = dump(master, set())
    again = sync(master, copy)
    assert again.status == "already-synced" and again.sync_id == first.sync_id
    assert again.sync_uuid == first.sync_uuid and not again.conflicts
    assert dump(master, set()) == before
    assert expected == [first.sync_id, first.sync_id]

    # a second sync of the marked package (a parent run): inserts and an update
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET name = '再次' WHERE asset_uuid = ?", (bins[3],))
        c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES "
                  "(?, ?, '又新', 'other')",
                  (encode(shapely.Point(528100, 3381100), 4547), NEW_BIN.format(50)))
    second = sync(master, pkg)
    assert second.status == "applied" and second.sync_id == expected[-1] != first.sync_id
    assert len(expected) == 3
