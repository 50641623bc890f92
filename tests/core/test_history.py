"""Maintenance history: add/edit/delete records as undoable deltas, condition updates from
the newest record, attachments with SHA-256 inside the GeoPackage, the CLI."""

from __future__ import annotations

import hashlib
import json

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core import history
from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders.orders import DeltaCommand


@pytest.fixture
def store(small_district):
    with Store.open(small_district) as s:
        yield s


def _bin(store: Store) -> tuple[str, int | None]:
    u, c = store.conn.execute("SELECT asset_uuid, condition FROM litter_bin WHERE "
                              "condition = 4 ORDER BY fid LIMIT 1").fetchone()
    return u, c


def _condition(store: Store, uuid: str) -> int | None:
    return store.conn.execute("SELECT condition FROM litter_bin WHERE asset_uuid=?",
                              (uuid,)).fetchone()[0]


def test_add_inspection_updates_condition_and_undo_restores(store):
    uid, cond = _bin(store)
    stack = CommandStack()
    deltas = history.plan_add(store, None, uid, {"record_type": "inspection",
                                                 "record_date": "2099-01-02",
                                                 "condition_after": 2, "crew": "巡查组",
                                                 "observation": "箱体完好"}, user="tester")
    rid = next(d.uuid for d in deltas if d.table == "maintenance_record")
    stack.push(DeltaCommand(store, deltas, "Add record", "tester"))
    rec = history.records(store, uid)[0]
    assert rec["record_uuid"] == rid and rec["condition_before"] == cond
    assert rec["created_by"] == "tester" and rec["asset_class"] == "litter_bin"
    assert _condition(store, uid) == 2
    stack.undo()
    assert _condition(store, uid) == cond
    assert rid not in {r["record_uuid"] for r in history.records(store, uid)}
    stack.redo()
    assert _condition(store, uid) == 2


def test_older_record_does_not_change_condition(store):
    uid, _ = _bin(store)
    history.apply(store, history.plan_add(store, "litter_bin", uid, {
        "record_type": "inspection", "record_date": "2099-01-02", "condition_after": 3}))
    history.apply(store, history.plan_add(store, "litter_bin", uid, {
        "record_type": "repair", "record_date": "2000-01-01", "condition_after": 1}))
    assert _condition(store, uid) == 3
    keep = history.plan_add(store, "litter_bin", uid, {
        "record_type": "inspection", "record_date": "2099-05-05", "condition_after": 5},
        update_condition=False)
    history.apply(store, keep)
    assert _condition(store, uid) == 3


def test_edit_and_delete_are_undoable(store):
    uid, _ = _bin(store)
    add = history.plan_add(store, None, uid, {"record_type": "repair",
                                              "record_date": "2099-01-02", "crew": "A"})
    history.apply(store, add)
    rid = next(d.uuid for d in add if d.table == "maintenance_record")
    stack = CommandStack()
    edit = history.plan_edit(store, rid, {"crew": "B", "labour_cost": "120.5"})
    assert len(edit) == 1
    stack.push(DeltaCommand(store, edit, "Edit", "t"))
    rec = history.get_record(store, rid)
    assert rec["crew"] == "B" and rec["labour_cost"] == 120.5
    assert not history.plan_edit(store, rid, {"crew": "B"})  # nothing changes
    history.apply(store, history.plan_attach(store, rid, b"photo-bytes", "a.jpg"))
    stack.push(DeltaCommand(store, history.plan_delete(store, rid), "Delete", "t"))
    with pytest.raises(NotFoundError):
        history.get_record(store, rid)
    assert history.attachments(store, rid) == []
    stack.undo()
    assert history.get_record(store, rid)["crew"] == "B"
    att = history.attachments(store, rid)
    assert len(att) == 1 and history.attachment_content(store, att[0]["attachment_uuid"]) \
        == b"photo-bytes"
    stack.undo()
    assert history.get_record(store, rid)["crew"] == "A"


def test_bad_values_are_refused_with_the_field_named(store):
    uid, _ = _bin(store)
    with pytest.raises(ValidationError, match=r"record_type.*allowed: inspection"):
        history.plan_add(store, None, uid, {"record_type": "fix", "record_date": "2026-01-01"})
    with pytest.raises(ValidationError, match="condition_after"):
        history.plan_add(store, None, uid, {"record_type": "repair",
                                            "record_date": "2026-01-01",
                                            "condition_after": 7})
    with pytest.raises(ValidationError, match="record_date"):
        history.plan_add(store, None, uid, {"record_type": "repair", "record_date": "soon"})
    with pytest.raises(ValidationError, match="record_date"):
        history.plan_add(store, None, uid, {"record_type": "repair"})
    with pytest.raises(ValidationError, match="no editable field"):
        history.plan_add(store, None, uid, {"record_type": "repair",
                                            "record_date": "2026-01-01", "asset_uuid": "x"})
    with pytest.raises(NotFoundError):
        history.plan_add(store, None, "nope", {"record_type": "repair",
                                               "record_date": "2026-01-01"})


def test_attachments_sha256_duplicates_and_damage(store, tmp_path):
    uid, _ = _bin(store)
    photo = tmp_path / "井盖.jpg"
    data = bytes(range(256)) * 100
    photo.write_bytes(data)
    history.apply(store, history.plan_attach_file(store, uid, photo, caption="破损", user="u"))
    att = history.attachments(store, uid)
    assert len(att) == 1
    a = att[0]
    assert a["sha256"] == hashlib.sha256(data).hexdigest() and a["size_bytes"] == len(data)
    assert a["owner_kind"] == "litter_bin" and a["mime_type"] == "image/jpeg"
    assert a["file_name"] == "井盖.jpg" and "content" not in a
    assert history.attachment_content(store, a["attachment_uuid"]) == data
    with pytest.raises(ValidationError, match="already attached"):
        history.plan_attach(store, uid, data, "copy.jpg")
    with pytest.raises(BadFileError):
        history.plan_attach_file(store, uid, tmp_path / "missing.jpg")
    with store.session() as conn:
        conn.execute("UPDATE attachment SET content = ? WHERE attachment_uuid = ?",
                     (b"tampered", a["attachment_uuid"]))
    with pytest.raises(BadFileError, match="damaged"):
        history.attachment_content(store, a["attachment_uuid"])
    stack = CommandStack()
    stack.push(DeltaCommand(store, history.plan_detach(store, a["attachment_uuid"]), "D", "u"))
    assert history.attachments(store, uid) == []
    stack.undo()
    assert len(history.attachments(store, uid)) == 1


def test_cli_history_add_and_list(small_district, tmp_path, capsys):
    f = str(small_district)
    with Store.open(small_district) as s:
        uid, _ = _bin(s)
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG fake")
    assert main(["history", "add", f, "--asset", uid, "--type", "inspection", "--date",
                 "2099-03-04", "--condition-after", "2", "--crew", "巡查组", "--observation",
                 "满溢", "--attach", str(photo), "--by", "cli"]) == 0
    rid = capsys.readouterr().out.strip()
    assert main(["history", "list", f, "--asset", uid, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["record_uuid"] == rid and rows[0]["attachments"] == ["p.png"]
    assert rows[0]["crew"] == "巡查组" and rows[0]["condition_after"] == 2
    with Store.open(small_district) as s:
        assert _condition(s, uid) == 2
    assert main(["history", "add", f, "--asset", uid, "--type", "inspect", "--date",
                 "2099-03-04"]) == 8
    assert "allowed: inspection" in capsys.readouterr().err
    assert main(["history", "list", f, "--asset", "nope"]) == 10
