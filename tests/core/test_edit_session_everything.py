"""One edit session for everything a person changes: assets, maintenance records, work
orders, attachments are pending together, read as if saved, undone in order, saved in one
transaction; our own edits never look like another program's, a real other writer is
merged field by field; a crashed session's journal is merged with today's file."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from citymgr_desktop.core import history
from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.editing.journal import journal_path
from citymgr_desktop.core.errors import ConflictError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo


@pytest.fixture()
def session(district):
    store = Store.open(district)
    s = EditSession(store, user="王工")
    yield s
    s.close()
    store.close()


def _bin(session, where="condition = 1"):
    return session.select("litter_bin", where)[0]


def _write_elsewhere(path, sql, *params):
    """Another program (QGIS, ``citymgr edit``) writes to the file on its own connection."""
    conn = sqlite3.connect(path)
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(fn, 1, lambda _g: 0)
    with conn:
        conn.execute(sql, params)
    conn.close()


def test_a_record_with_condition_after_joins_the_pending_condition_edit(session):
    """Issue 12, item 4: no 'another program' for our own record."""
    store, uid = session.store, _bin(session)
    session.set_value("litter_bin", uid, "condition", 4)
    deltas = history.plan_add(store, "litter_bin", uid, {
        "record_date": "2099-01-01", "record_type": "inspection", "condition_after": 2},
        user="王工", pending=session.pending)
    session.push_deltas(deltas, "Add maintenance record")
    assert session.row("litter_bin", uid)["condition"] == 2
    recs = history.records(store, uid, pending=session.pending)
    assert recs[0]["record_date"] == "2099-01-01" and recs[0]["condition_before"] == 4
    assert store.get_row("litter_bin", uid)["condition"] == 1  # nothing written yet
    result = session.save()  # no ConflictError
    assert result.counts["maintenance_record"]["insert"] == 1
    assert store.get_row("litter_bin", uid)["condition"] == 2
    assert history.records(store, uid)[0]["condition_after"] == 2


def test_undo_covers_assets_records_orders_and_attachments_in_order(session, tmp_path):
    store, uid = session.store, _bin(session)
    session.set_value("litter_bin", uid, "remarks", "看过")
    rec = history.plan_add(store, "litter_bin", uid, {"record_date": "2099-01-02",
                                                      "record_type": "repair"},
                           pending=session.pending)
    session.push_deltas(rec, "Add record")
    rid = next(d.uuid for d in rec if d.table == "maintenance_record")
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG fake")
    session.push_deltas(history.plan_attach_file(store, rid, photo, pending=session.pending),
                        "Attach")
    assert [a["file_name"] for a in history.attachments(store, rid, pending=session.pending)] \
        == ["p.png"]
    order = wo.plan_create(store, wo.OrderSpec("修", 2, [("litter_bin", uid)]), "王工",
                           pending=session.pending)
    session.push_deltas(order, "Create order")
    assert len(session.commands) == 4
    for expected in (4, 3, 2, 1):
        assert len(session.pending) > 0
        session.commands.undo()
        if expected == 3:
            assert not [d for d in session.pending if d.table.startswith("work_order")]
        if expected == 2:
            assert history.attachments(store, rid, pending=session.pending) == []
    assert not session.dirty
    for _ in range(4):
        session.commands.redo()
    session.save()
    assert history.attachment_content(store, history.attachments(store, rid)[0][
        "attachment_uuid"]) == b"\x89PNG fake"
    assert store.get_row("litter_bin", uid)["remarks"] == "看过"


def test_a_real_other_program_is_merged_field_by_field(session):
    store, uid = session.store, _bin(session)
    other = session.select("litter_bin", "condition = 1")[1]
    session.set_values("litter_bin", uid, {"condition": 4, "remarks": "mine"})
    session.set_value("litter_bin", other, "condition", 3)
    # QGIS changes the same bin's condition (conflict) and its name (no conflict)
    _write_elsewhere(store.path, "UPDATE litter_bin SET condition = 2, name = 'QGIS' "
                     "WHERE asset_uuid = ?", uid)
    with pytest.raises(ConflictError) as caught:
        session.save()
    (conflict,) = caught.value.conflicts
    assert (conflict.field, conflict.ours_old, conflict.theirs, conflict.mine) == \
        ("condition", 1, 2, 4)
    assert session.dirty and store.get_row("litter_bin", other)["condition"] == 1
    session.resolve({conflict.key: "theirs"})
    session.save()
    row = store.get_row("litter_bin", uid)
    assert (row["condition"], row["remarks"], row["name"]) == (2, "mine", "QGIS")
    assert store.get_row("litter_bin", other)["condition"] == 3


def test_discard_keeps_the_undo_of_what_was_saved(session):
    store, uid = session.store, _bin(session)
    order = wo.plan_create(store, wo.OrderSpec("修", 2, [("litter_bin", uid)]), "王工",
                           pending=session.pending)
    session.push_deltas(order, "Create order")
    session.save()
    session.set_value("litter_bin", uid, "condition", 5)
    session.discard()
    assert session.commands.undo_label() == "Create order"
    session.commands.undo()
    session.save()
    assert store.conn.execute("SELECT count(*) FROM work_order WHERE title = '修'"
                              ).fetchone()[0] == 0


def test_recovery_merges_with_a_later_change_and_shows_the_conflict(district):
    with Store.open(district) as store:
        s = EditSession(store)
        a, b, c = s.select("litter_bin", "condition = 1")[:3]
        s.set_values("litter_bin", a, {"condition": 4, "remarks": "恢复"})
        s.set_value("litter_bin", b, "condition", 4)
        s.set_value("litter_bin", c, "condition", 5)
        s.journal.close(remove=False)  # the process dies here
    # after the crash, citymgr edit changes a's condition, and makes c's change itself
    _write_elsewhere(district, "UPDATE litter_bin SET condition = 3 WHERE asset_uuid = ?", a)
    _write_elsewhere(district, "UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", c)
    with Store.open(district) as store:
        s = EditSession(store)
        rec = s.recovery
        assert rec.already_saved == 1  # c
        (conflict,) = rec.conflicts
        assert (conflict.uuid, conflict.field, conflict.ours_old, conflict.theirs,
                conflict.mine) == (a, "condition", 1, 3, 4)
        assert rec.count == 2  # a (remarks clean, condition in conflict) and b
        s.restore({conflict.key: "theirs"})
        s.save()
        assert store.get_row("litter_bin", a)["condition"] == 3  # the later change stays
        assert store.get_row("litter_bin", a)["remarks"] == "恢复"
        assert store.get_row("litter_bin", b)["condition"] == 4
        s.close()


def test_a_copy_of_the_project_mentions_the_journal_beside_the_original(district, tmp_path):
    copy = tmp_path / "copy" / "district-copy.gpkg"
    copy.parent.mkdir()
    shutil.copyfile(district, copy)
    with Store.open(district) as store:
        s = EditSession(store)
        s.set_value("litter_bin", _bin(s), "condition", 4)
        s.journal.close(remove=False)  # crash: the journal stays beside the original
    with Store.open(copy) as store:
        s = EditSession(store, search=[str(district.parent)])
        assert s.recovery is None
        (found,) = s.elsewhere
        assert found.project_file == district.resolve() and found.edits == 1
        assert found.journal == journal_path(district).resolve()
        s.close()
