"""Photos in the field loop, edited as another tool would (plain SQL on the package, files in
its folder): office photos go out as files, field photos come back as attachments, bad
paths and files are refused and reported, a photo edited on both sides is a conflict, undo
and redo, and the inspection rule that a field record shares with the app."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from citymgr_desktop.core import history
from citymgr_desktop.core.errors import ConflictError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import photos as sync_photos
from citymgr_desktop.core.sync import redo_sync
from tests.core.photo_support import jpeg_bytes, write_jpeg
from tests.core.sync_support import checkout, count, edit, row, sync, undo, uuids

REC = "aaaaaaaa-0000-4000-8000-0000000000{:02d}"


def free_bins(path: Path, n: int) -> list[str]:
    return uuids(path, "litter_bin", "asset_uuid NOT IN (SELECT asset_uuid FROM "
                 "maintenance_record)", n)


def add_record(c: sqlite3.Connection, n: int, asset: str, photo: str | None,
               date: str = "2026-11-25", condition_after: int | None = None) -> str:
    rid = REC.format(n)
    c.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
              "record_date, record_type, observation, condition_after, photo) VALUES "
              "(?, 'litter_bin', ?, ?, 'inspection', '现场', ?, ?)",
              (rid, asset, date, condition_after, photo))
    return rid


def test_bad_photo_paths_and_files_are_reported_and_the_records_still_land(pair, tmp_path,
                                                                           monkeypatch):
    master, pkg = pair
    folder = pkg.parent
    secret = tmp_path / "secret.jpg"  # outside the package folder: must never be read
    write_jpeg(secret)
    good = write_jpeg(folder / "DCIM" / "good.jpg")
    write_jpeg(folder / "DCIM" / "big.jpg", padding=4096)
    (folder / "DCIM" / "notes.jpg").write_bytes(b"#!/bin/sh\necho not a photo\n")
    os.symlink(secret, folder / "DCIM" / "link.jpg")
    os.symlink(tmp_path, folder / "DCIM" / "outside")
    cases = {"good": "DCIM/good.jpg", "climb": "../secret.jpg", "absolute": str(secret),
             "link": "DCIM/link.jpg", "linked_dir": "DCIM/outside/secret.jpg",
             "missing": "DCIM/missing.jpg", "big": "DCIM/big.jpg", "text": "DCIM/notes.jpg",
             "windows": "C:/DCIM/x.jpg", "url": "file:///etc/passwd"}
    bins = free_bins(pkg, len(cases))
    with edit(pkg) as c:
        rids = {name: add_record(c, i, bins[i], path) for i, (name, path) in
                enumerate(cases.items())}
    read: list[Path] = []
    real_read = sync_photos.read_file

    def spy(path, **kw):
        read.append(Path(path))
        return real_read(path, **kw)

    monkeypatch.setattr(sync_photos, "read_file", spy)
    monkeypatch.setattr(sync_photos, "MAX_ATTACHMENT_BYTES", 3000)
    rep = sync(master, pkg)
    assert rep.status == "applied"
    for rid in rids.values():  # every record lands, with the path the field gave it
        assert row(master, "maintenance_record", rid) is not None
    reasons = {p["uuid"]: p["reason"] for p in rep.photos["problems"]}
    assert reasons == {rids["climb"]: "refused", rids["absolute"]: "refused",
                       rids["link"]: "refused", rids["linked_dir"]: "refused",
                       rids["windows"]: "refused", rids["url"]: "refused",
                       rids["missing"]: "missing", rids["big"]: "too big",
                       rids["text"]: "not a photo"}
    assert rep.photos["loaded"] == 1
    assert all(secret.resolve() != p.resolve() for p in read if p.exists())
    assert all(tmp_path / "field" in p.resolve().parents for p in read if p.exists())
    atts = history_of(master, rids["good"])
    assert [a["sha256"] for a in atts] == [hashlib.sha256(good).hexdigest()]
    assert count(master, "attachment") == 1
    assert any("DCIM/missing.jpg" in n for n in rep.notes)


def history_of(master: Path, owner: str) -> list[dict]:
    with Store.open(master, read_only=True) as store:
        return history.attachments(store, owner)


def test_a_photo_changed_on_both_sides_is_a_conflict(pair):
    master, pkg = pair
    write_jpeg(pkg.parent / "DCIM" / "field.jpg")
    u = free_bins(pkg, 1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET photo = 'DCIM/field.jpg' WHERE asset_uuid = ?", (u,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET photo = 'DCIM/office.jpg' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    [conflict] = rep.conflicts
    assert (conflict.field, conflict.kind) == ("photo", "edit/edit")
    assert (conflict.master, conflict.field_value) == ("DCIM/office.jpg", "DCIM/field.jpg")
    assert row(master, "litter_bin", u)["photo"] == "DCIM/office.jpg"
    assert count(master, "attachment") == 0  # the master kept its value: nothing read


def test_the_same_file_for_a_record_and_its_asset_is_stored_once(pair):
    master, pkg = pair
    write_jpeg(pkg.parent / "DCIM" / "one.jpg")
    u = free_bins(pkg, 1)[0]
    with edit(pkg) as c:
        rid = add_record(c, 1, u, "DCIM/one.jpg")
        c.execute("UPDATE litter_bin SET photo = 'DCIM/one.jpg' WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)
    assert (rep.photos["loaded"], rep.photos["already_stored"]) in ((1, 1),)
    assert count(master, "attachment") == 1
    with Store.open(master, read_only=True) as store:
        photos = history.asset_photos(store, u)
    assert [p["owner_uuid"] for p in photos] in ([rid], [u])


def test_dry_run_says_what_it_would_read_and_writes_nothing(pair):
    master, pkg = pair
    write_jpeg(pkg.parent / "DCIM" / "a.jpg")
    u = free_bins(pkg, 2)
    with edit(pkg) as c:
        add_record(c, 1, u[0], "DCIM/a.jpg")
        add_record(c, 2, u[1], "../b.jpg")
    rep = sync(master, pkg, dry_run=True)
    assert rep.status == "dry-run"
    assert rep.photos["loaded"] == 1 and rep.photos["problems"][0]["reason"] == "refused"
    assert rep.counts["attachment"]["insert"] == 1
    assert count(master, "attachment") == 0 and count(master, "maintenance_record",
                                                      f"record_uuid = '{REC.format(1)}'") == 0


def test_undo_removes_the_photos_and_redo_reads_them_again(pair):
    master, pkg = pair
    data = write_jpeg(pkg.parent / "DCIM" / "a.jpg")
    u = free_bins(pkg, 1)[0]
    with edit(pkg) as c:
        rid = add_record(c, 1, u, "DCIM/a.jpg", condition_after=1)
    rep = sync(master, pkg)
    assert count(master, "attachment") == 1
    journal = sqlite3.connect(master).execute(
        "SELECT new_values FROM sync_journal WHERE table_name = 'attachment'").fetchone()[0]
    assert "$sha256" in journal and len(journal) < 2000  # the bytes are not in the journal
    undo(master, rep.sync_id)
    assert count(master, "attachment") == 0
    with Store.open(master) as store:
        redo_sync(store, rep.sync_id)
    [att] = history_of(master, rid)
    with Store.open(master, read_only=True) as store:
        assert history.attachment_content(store, att["attachment_uuid"]) == data
    undo(master, rep.sync_id)
    (pkg.parent / "DCIM" / "a.jpg").write_bytes(jpeg_bytes(colour=(1, 2, 3)))
    with Store.open(master) as store, pytest.raises(ConflictError, match="no longer"):
        redo_sync(store, rep.sync_id)
    assert count(master, "attachment") == 0


def test_office_photos_travel_out_as_files(small_district, tmp_path):
    master = small_district
    u = free_bins(master, 1)[0]
    photo = jpeg_bytes(colour=(10, 200, 10))
    with Store.open(master) as store:
        deltas = history.plan_add(store, "litter_bin", u, {"record_date": "2026-10-01",
                                                           "record_type": "repair"})
        history.apply(store, deltas)
        rid = next(d.uuid for d in deltas if d.table == "maintenance_record")
        history.apply(store, history.plan_attach(store, rid, photo, "修理后.jpg"))
        path = history.get_record(store, rid)["photo"]
    assert path.startswith("DCIM/") and path.endswith(".jpg")
    pkg = tmp_path / "out" / "p.gpkg"
    pkg.parent.mkdir()
    res = checkout(master, pkg, surveyor="李四", history_years=None)
    assert res.photos == 1
    assert (pkg.parent / path).read_bytes() == photo
    conn = sqlite3.connect(pkg)
    content, file_path = conn.execute("SELECT content, file_path FROM attachment").fetchone()
    assert content is None and file_path == path  # the bytes travel as the file only
    assert conn.execute("SELECT photo FROM maintenance_record WHERE record_uuid = ?",
                        (rid,)).fetchone()[0] == path
    conn.close()
    # a second package into the same folder finds the file there and leaves it
    again = checkout(master, tmp_path / "out" / "q.gpkg", history_years=None)
    assert again.photos == 1 and not again.notes
    # and nothing is brought back twice when the package comes home unchanged
    assert sync(master, pkg).status == "nothing-to-do"


def test_a_stored_path_that_would_leave_the_folder_is_not_written(small_district, tmp_path):
    master = small_district
    u = free_bins(master, 1)[0]
    with Store.open(master) as store:
        history.apply(store, history.plan_attach(store, u, jpeg_bytes(), "a.jpg",
                                                 file_path="../../escape.jpg"))
    pkg = tmp_path / "a" / "b" / "p.gpkg"
    pkg.parent.mkdir(parents=True)
    res = checkout(master, pkg, history_years=0)
    assert res.photos == 0 and any("outside" in n for n in res.notes)
    assert not (tmp_path / "escape.jpg").exists()


def test_a_field_record_grades_its_asset_as_the_same_record_in_the_app(small_district,
                                                                       tmp_path):
    """One rule: a newer graded record wins, an older one does not; the app and the sync
    agree on both."""
    app_copy = tmp_path / "app.gpkg"
    app_copy.write_bytes(small_district.read_bytes())
    pkg = tmp_path / "field" / "p.gpkg"
    pkg.parent.mkdir()
    checkout(small_district, pkg, history_years=None)
    fresh, older = free_bins(small_district, 2)
    with Store.open(app_copy) as store, Store.open(small_district) as master:
        for s in (store, master):  # both files: the asset was graded 3 on 2026-11-01
            history.apply(s, history.plan_add(s, "litter_bin", older, {
                "record_date": "2026-11-01", "record_type": "inspection", "condition_after": 3}))
        for uuid, date in ((fresh, "2026-11-25"), (older, "2026-10-01")):
            history.apply(store, history.plan_add(store, "litter_bin", uuid, {
                "record_date": date, "record_type": "inspection", "condition_after": 5}))
    with edit(pkg) as c:
        add_record(c, 1, fresh, None, "2026-11-25", condition_after=5)
        add_record(c, 2, older, None, "2026-10-01", condition_after=5)
    sync(small_district, pkg)
    for uuid in (fresh, older):
        assert row(small_district, "litter_bin", uuid)["condition"] == \
            row(app_copy, "litter_bin", uuid)["condition"]
    assert row(small_district, "litter_bin", fresh)["condition"] == 5
    assert row(small_district, "litter_bin", older)["condition"] == 3
    for n, (uuid, date) in enumerate(((fresh, "2026-11-25"), (older, "2026-10-01")), 1):
        # condition before: the asset's condition when the record came in, as in the app
        with Store.open(app_copy, read_only=True) as store:
            app = next(r for r in history.records(store, uuid) if r["record_date"] == date)
        field = row(small_district, "maintenance_record", REC.format(n))
        assert field["condition_before"] == app["condition_before"] is not None
