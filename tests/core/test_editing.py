"""The editing session: commands with undo/redo, validation, reads with pending edits, save
writes only the changed rows and keeps fids, retire instead of delete, discard."""

from __future__ import annotations

import sqlite3

import pytest
from shapely.geometry import LineString, Point

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.errors import (
    ConflictError,
    ExpressionError,
    GeometryError,
    ReadOnlyError,
    ValidationError,
)
from citymgr_desktop.core.store import Store


def _all_rows(path, table):
    conn = sqlite3.connect(path)
    try:
        return {r[0]: r for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY fid')}
    finally:
        conn.close()


@pytest.fixture()
def session(district):
    store = Store.open(district)
    s = EditSession(store, user="王工")
    yield s
    s.close()
    store.close()


def _uuids(session, where, n=None, layer="litter_bin"):
    got = session.select(layer, where)
    return got if n is None else got[:n]


def _free_and_referenced(store):
    free = [r[0] for r in store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN "
        "(SELECT asset_uuid FROM maintenance_record) AND asset_uuid NOT IN "
        "(SELECT asset_uuid FROM work_order_asset) ORDER BY fid LIMIT 3")]
    refd = [r[0] for r in store.conn.execute(
        "SELECT DISTINCT asset_uuid FROM maintenance_record WHERE asset_class = 'litter_bin' "
        "LIMIT 2")]
    return free, refd


def test_edit_undo_redo_and_labels(session):
    uid = _uuids(session, "condition = 1", 1)[0]
    stack = session.commands
    cmd = session.set_value("litter_bin", uid, "condition", 4)
    assert cmd is not None and session.dirty
    assert stack.undo_command() is cmd and stack.redo_command() is None
    assert stack.undo_label().startswith("Edit Condition of ")
    assert cmd.label.render("zh_CN").endswith("的技术状况")
    assert session.row("litter_bin", uid)["condition"] == 4
    assert stack.undo() and not session.dirty
    assert session.row("litter_bin", uid)["condition"] == 1
    assert stack.redo_label() == str(cmd.label)
    stack.redo()
    assert session.row("litter_bin", uid)["condition"] == 4
    # setting the value it already has is no edit at all
    assert session.set_value("litter_bin", uid, "condition", "4") is None
    assert len(stack) == 1


def test_values_are_validated_with_field_and_allowed_values(session):
    uid = _uuids(session, "true", 1)[0]
    with pytest.raises(ValidationError, match=r"condition.*allowed: 1 \(Good\).*5 \(Critical\)"):
        session.set_value("litter_bin", uid, "condition", 7)
    with pytest.raises(ValidationError, match=r"capacity_l.*allowed: \[5, 1100\] L"):
        session.set_value("litter_bin", uid, "capacity_l", 5000)
    with pytest.raises(ValidationError, match=r"at most 100 characters"):
        session.set_value("litter_bin", uid, "name", "长" * 101)
    with pytest.raises(ValidationError, match=r"not a valid date"):
        session.set_value("litter_bin", uid, "install_date", "2024-02-30")
    with pytest.raises(ValidationError, match=r"maintained by the app"):
        session.set_value("litter_bin", uid, "retired_at", "2024-01-01")
    with pytest.raises(ValidationError, match=r"has no field 'colour'"):
        session.set_value("litter_bin", uid, "colour", "red")
    with pytest.raises(ValidationError, match=r"obj_code must be 16 digits"):
        session.set_value("litter_bin", uid, "obj_code", "123")
    assert not session.dirty and len(session.commands) == 0


def test_labels_and_aliases_are_accepted(session):
    uid = _uuids(session, "bin_type = 'other'", 1)[0]
    session.set_values("litter_bin", uid, {"垃圾分类": "厨余垃圾", "技术状况": "差",
                                           "install_date": "2024/5/1"})
    row = session.row("litter_bin", uid)
    assert (row["bin_type"], row["condition"], row["install_date"]) == \
        ("kitchen", 4, "2024-05-01")
    assert session.commands.undo_label().startswith("Edit 3 fields of")


def test_obj_code_must_stay_unique(session):
    a, b = _uuids(session, "true", 2)
    code_b = session.row("litter_bin", b)["obj_code"]
    with pytest.raises(ValidationError, match="already used"):
        session.set_value("litter_bin", a, "obj_code", code_b)


def test_bulk_set_is_one_undo_step(session):
    targets = _uuids(session, "condition in (1, 2)")
    assert len(targets) > 1000
    already = len(_uuids(session, "condition = 2"))
    cmd = session.bulk_set("litter_bin", targets, {"condition": 2})
    assert len(cmd.deltas) == len(targets) - already  # rows already 2 are not "changed"
    assert str(cmd.label) == f"Set Condition of {len(cmd.deltas):,} litter bins"
    assert len(session.commands) == 1
    assert set(_uuids(session, "condition = 2")) >= set(targets)
    session.commands.undo()
    assert not session.dirty
    with pytest.raises(ValidationError, match="unique per asset"):
        session.bulk_set("litter_bin", targets[:2], {"obj_code": "4201060304999999"})


def test_field_calculator(session):
    roads = _uuids(session, "pci is not null", layer="road_segment")
    before = {u: r["pci"] for u, r in session.rows("road_segment", roads, ["pci"]).items()}
    cmd = session.calculate("road_segment", roads, "pci", "round(pci * 0.9, 1)")
    after = session.rows("road_segment", roads, ["pci"])
    u = roads[0]
    assert after[u]["pci"] == pytest.approx(round(before[u] * 0.9, 1))
    assert str(cmd.label).startswith("Calculate PCI of ")
    with pytest.raises(ValidationError, match=r"results are not allowed; first: .*pci.*\[0, 100\]"):
        session.calculate("road_segment", roads, "pci", "pci * 3 + 100")
    with pytest.raises(ValidationError, match="holds integer values"):
        session.calculate("road_segment", roads, "lanes", "name")
    with pytest.raises(ExpressionError):
        session.calculate("road_segment", roads, "pci", "pci +")
    names = session.calculate("road_segment", roads[:5], "remarks", "'PCI ' || name")
    assert len(names.deltas) == 5
    assert len(session.commands) == 2


def test_add_and_move_point(session):
    store = session.store
    top = store.conn.execute("SELECT max(obj_code) FROM litter_bin").fetchone()[0]
    u1 = session.add_point("litter_bin", Point(528_800, 3_381_500),
                           {"name": "新增1", "bin_type": "可回收物"})
    u2 = session.add_point("litter_bin", Point(528_810, 3_381_500), {"name": "新增2"})
    r1, r2 = session.row("litter_bin", u1), session.row("litter_bin", u2)
    assert r1["obj_code"] == top[:10] + f"{int(top[10:]) + 1:06d}"
    assert r2["obj_code"] == top[:10] + f"{int(top[10:]) + 2:06d}"
    assert r1["bin_type"] == "recyclable"
    assert session.fids("litter_bin", [u1, u2]) == {u1: -1, u2: -2}
    assert session.select("litter_bin", "name like '新增%'") == [u1, u2]
    session.move_point("litter_bin", u1, Point(528_900, 3_381_600))
    assert session.row("litter_bin", u1)["geom"].equals(Point(528_900, 3_381_600))
    with pytest.raises(GeometryError, match="holds POINT"):
        session.add_point("litter_bin", LineString([(0, 0), (1, 1)]))
    road = _uuids(session, "true", 1, layer="road_segment")[0]
    with pytest.raises(GeometryError, match="only point assets"):
        session.move_point("road_segment", road, Point(1, 1))
    session.save()
    fid1 = store.conn.execute("SELECT fid FROM litter_bin WHERE asset_uuid=?", (u1,)).fetchone()
    assert fid1 is not None
    hit = store.conn.execute("SELECT minx FROM rtree_litter_bin_geom WHERE id=?", fid1).fetchone()
    assert hit == (pytest.approx(528_900),)


def test_delete_or_retire(session):
    store = session.store
    free, refd = _free_and_referenced(store)
    cmd = session.delete("litter_bin", free + refd)
    assert str(cmd.label) == "Delete 3 and retire 2 litter bins"
    assert cmd.label.render("zh_CN") == "删除3个、注销2个垃圾箱"
    assert session.select("litter_bin", "true", include_retired=True).count(refd[0]) == 1
    assert refd[0] not in session.select("litter_bin", "true")  # hidden by default
    session.save()
    left = {r[0]: r[1] for r in store.conn.execute(
        f"SELECT asset_uuid, retired_at FROM litter_bin WHERE asset_uuid IN "
        f"({','.join('?' * 5)})", free + refd)}
    assert set(left) == set(refd) and all(v.endswith("Z") for v in left.values())
    # history still points at real assets
    dangling = store.conn.execute(
        "SELECT count(*) FROM maintenance_record m WHERE asset_class='litter_bin' AND NOT "
        "EXISTS (SELECT 1 FROM litter_bin b WHERE b.asset_uuid = m.asset_uuid)").fetchone()[0]
    assert dangling == 0
    # deleting a new, unsaved asset simply forgets it
    u = session.add_point("litter_bin", Point(528_800, 3_381_500))
    session.delete("litter_bin", [u])
    assert not session.dirty


def test_delete_becomes_retire_when_history_appears_before_save(session):
    store = session.store
    free, _ = _free_and_referenced(store)
    session.delete("litter_bin", free[:1])
    with store.session() as conn:  # e.g. another window records a repair meanwhile
        conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                     "record_date, record_type) VALUES ('r-1', 'litter_bin', ?, "
                     "'2026-11-26', 'repair')", (free[0],))
    result = session.save()
    assert result.retired_instead == 1
    assert store.conn.execute("SELECT retired_at IS NOT NULL FROM litter_bin WHERE "
                              "asset_uuid=?", (free[0],)).fetchone() == (1,)


def test_save_writes_only_changed_rows_and_keeps_fids(district):
    tables = ["litter_bin", "road_segment", "bridge", "green_space", "maintenance_record",
              "work_order"]
    before = {t: _all_rows(district, t) for t in tables}
    store = Store.open(district)
    s = EditSession(store, user="王工")
    edited = _uuids(s, "condition = 3", 40)
    s.bulk_set("litter_bin", edited, {"condition": 4})
    s.set_value("litter_bin", edited[0], "name", "改名")
    free, _ = _free_and_referenced(store)
    s.delete("litter_bin", free[:1])
    new = s.add_point("litter_bin", Point(528_800, 3_381_500), {"name": "新"})
    fids = s.fids("litter_bin", edited)
    gone = s.fids("litter_bin", free[:1])[free[0]]
    result = s.save()
    assert result.counts == {"litter_bin": {"insert": 1, "update": 40, "delete": 1}}
    s.close()
    store.close()
    after = {t: _all_rows(district, t) for t in tables}
    for t in tables[1:]:
        assert after[t] == before[t], t
    b, a = before["litter_bin"], after["litter_bin"]
    changed = {fid for fid in b if fid in a and a[fid] != b[fid]}
    assert changed == set(fids.values())
    assert gone in b and gone not in a
    added = set(a) - set(b)
    assert len(added) == 1 and min(added) > max(b)
    (new_fid,) = added
    assert a[new_fid][2] == new


def test_save_is_all_or_nothing(session, monkeypatch):
    from citymgr_desktop.core.store import write as store_write

    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 5)
    session.add_point("litter_bin", Point(528_800, 3_381_500), {"name": "x"})
    count = session.store._count("litter_bin")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store_write, "_updates", boom)
    with pytest.raises(OSError):
        session.save()
    assert session.store._count("litter_bin") == count
    assert session.store.get_row("litter_bin", uid)["condition"] == 1
    assert session.dirty  # nothing lost: the edits are still pending
    monkeypatch.undo()
    session.save()
    assert session.store.get_row("litter_bin", uid)["condition"] == 5


def test_conflicting_change_by_another_program(session):
    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 4)
    with session.store.session() as conn:
        conn.execute("UPDATE litter_bin SET condition = 2 WHERE asset_uuid = ?", (uid,))
    assert session.check_conflicts() == [
        f"litter_bin {uid} condition: the edit started from 1, the file now has 2"]
    with pytest.raises(ConflictError, match="started from 1, the file now has 2"):
        session.save()
    assert session.dirty
    session.save(force=True)
    assert session.store.get_row("litter_bin", uid)["condition"] == 4


def test_undo_after_save_edits_again(session):
    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 3)
    session.save()
    assert not session.dirty
    session.commands.undo()
    assert session.dirty and session.row("litter_bin", uid)["condition"] == 1
    session.save()
    assert session.store.get_row("litter_bin", uid)["condition"] == 1


def test_discard_forgets_everything(session):
    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 3)
    session.add_point("litter_bin", Point(528_800, 3_381_500))
    events = []
    session.subscribe(events.append)
    session.discard()
    assert not session.dirty and len(session.commands) == 0
    assert events[-1].reset and "litter_bin" in events[-1].tables
    assert session.store.get_row("litter_bin", uid)["condition"] == 1


def test_events_name_tables_and_assets(session):
    events = []
    session.subscribe(events.append)
    uid = _uuids(session, "true", 1)[0]
    session.set_value("litter_bin", uid, "condition", 5)
    assert events[-1].tables == {"litter_bin"} and events[-1].uuids["litter_bin"] == {uid}
    session.save()
    assert events[-1].saved


def test_overlay_shows_pending_edits_in_a_frame(session):
    store = session.store
    frame = store.read("litter_bin")
    free, refd = _free_and_referenced(store)
    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 5)
    session.move_point("litter_bin", uid, Point(528_000, 3_380_000))
    session.delete("litter_bin", free[:1] + refd[:1])
    new = session.add_point("litter_bin", Point(528_800, 3_381_500), {"name": "新"})
    out = session.overlay("litter_bin", frame)
    assert len(out) == len(frame) - 1 + 1
    row = out[out["asset_uuid"] == uid].iloc[0]
    assert row["condition"] == 5 and row.geometry.equals(Point(528_000, 3_380_000))
    assert out.loc[-1, "asset_uuid"] == new and out.loc[-1].geometry.equals(
        Point(528_800, 3_381_500))
    hidden = session.overlay("litter_bin", frame, include_retired=False)
    assert refd[0] not in set(hidden["asset_uuid"])
    assert len(frame) == store.layer("litter_bin").count  # the input is left alone


def test_read_only_file_cannot_be_edited(district):
    with Store.open(district, read_only=True) as store, \
            pytest.raises(ReadOnlyError, match="read-only"):
        EditSession(store)


def test_conflict_made_through_another_connection(session):
    uid = _uuids(session, "condition = 1", 1)[0]
    session.set_value("litter_bin", uid, "condition", 4)
    from citymgr_desktop.core import gpkg

    other = gpkg.connect(str(session.store.path))  # e.g. QGIS editing the same file
    other.execute("UPDATE litter_bin SET condition = 3 WHERE asset_uuid = ?", (uid,))
    other.close()
    with pytest.raises(ConflictError, match="the file now has 3"):
        session.save()


def test_nearest_asset_and_neighbour_values_see_pending_edits(session):
    from citymgr_desktop.core.editing.view import nearest_asset, neighbour_values

    uid = _uuids(session, "true", 1)[0]
    x, y = session.row("litter_bin", uid)["geom"].coords[0]
    assert nearest_asset(session, "litter_bin", x + 0.5, y, 2.0) == uid
    session.move_point("litter_bin", uid, Point(x + 500, y))
    assert nearest_asset(session, "litter_bin", x + 500.5, y, 2.0) == uid  # where it is now
    new = session.add_point("litter_bin", Point(x + 900, y + 900), {"district": "测试街道"})
    assert nearest_asset(session, "litter_bin", x + 900, y + 901, 5.0) == new
    assert neighbour_values(session, "litter_bin", x + 901, y + 900)["district"] == "测试街道"
    session.delete("litter_bin", [new])
    assert nearest_asset(session, "litter_bin", x + 900, y + 901, 5.0) is None


def test_events_can_be_held_and_released(session):
    events = []
    session.subscribe(events.append)
    session.hold_events()
    uid = _uuids(session, "true", 1)[0]
    session.set_value("litter_bin", uid, "remarks", "x")
    session.save()
    assert events == []
    session.release_events()
    assert len(events) == 2 and events[1].saved
