"""Selecting assets by expression through the store (one function for editing, work orders and
the attribute table), its one layer check, and the store's read questions for views."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.errors import BadFileError, CancelledError, NotFoundError, ValidationError
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store, asset_table, select_assets
from citymgr_desktop.core.store.queries import query_error
from citymgr_desktop.core.workorders import query as wo_query


@pytest.fixture
def store(small_district):
    s = Store.open(small_district)
    yield s
    s.close()


def _sql(store, sql, params=()):
    return [r[0] for r in store.conn.execute(sql, params)]


def _bins(store, where):
    return _sql(store, f"SELECT asset_uuid FROM litter_bin WHERE {where} ORDER BY fid")


def test_one_layer_check_everywhere(store):
    with pytest.raises(NotFoundError) as first:
        asset_table("work_order")
    message = str(first.value)
    assert message.startswith("'work_order' is not an asset layer; asset layers: road_segment")
    session = EditSession(store, "测试", journal=False)
    for call in (lambda: select_assets(store, "work_order", "true"),
                 lambda: session.select("work_order", "true"),
                 lambda: wo_query.select_assets(store, "work_order", "true")):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert str(caught.value) == message


def test_the_file_part_is_the_sql_answer(store):
    got = select_assets(store, "litter_bin", "condition >= 4")
    want = _bins(store, "condition >= 4 AND retired_at IS NULL")
    assert got.uuids == want and got.new == []
    assert got.fids.tolist() == _sql(
        store, "SELECT fid FROM litter_bin WHERE condition >= 4 AND retired_at IS NULL "
        "ORDER BY fid")
    assert len(select_assets(store, "litter_bin", None, include_retired=True)) == \
        store.row_count("litter_bin")


def test_pending_edits_are_judged_by_their_new_values(store):
    now_five, was_five, deleted = _bins(store, "condition = 1")[0], *_bins(
        store, "condition = 5")[:2]
    pending = [
        Delta("litter_bin", now_five, {"condition": 1}, {"condition": 5}),
        Delta("litter_bin", was_five, {"condition": 5}, {"condition": 2}),
        Delta("litter_bin", deleted, {"condition": 5}, None),
        Delta("litter_bin", "new-1", None, {"condition": 5, "name": "新"}),
        Delta("litter_bin", "new-2", None, {"condition": 3}),
        Delta("bridge", "other", None, {"condition": 5}),  # another layer: not counted
    ]
    got = select_assets(store, "litter_bin", "condition = 5", pending=pending)
    file_five = set(_bins(store, "condition = 5 AND retired_at IS NULL"))
    assert set(got.saved_uuids) == (file_five | {now_five}) - {was_five, deleted}
    assert got.new == ["new-1"] and got.uuids[-1] == "new-1"
    fids = store.fids_of("litter_bin", got.saved_uuids)
    assert [fids[u] for u in got.saved_uuids] == sorted(fids.values())  # in fid order
    only_fids = select_assets(store, "litter_bin", "condition = 5", pending=pending,
                              with_uuids=False)
    assert only_fids.saved_uuids is None and np.array_equal(only_fids.fids, got.fids)
    with pytest.raises(ValueError):
        _ = only_fids.uuids


def test_retired_by_a_pending_edit_is_hidden(store):
    bin_uuid = _bins(store, "retired_at IS NULL")[0]
    pending = [Delta("litter_bin", bin_uuid, {"retired_at": None},
                     {"retired_at": "2026-01-01T00:00:00Z"})]
    assert bin_uuid not in select_assets(store, "litter_bin", "true", pending=pending).uuids
    assert bin_uuid in select_assets(store, "litter_bin", "true", pending=pending,
                                     include_retired=True).uuids


def test_order_and_among(store):
    got = select_assets(store, "litter_bin", None, order_by="condition", descending=True)
    assert got.fids.tolist() == _sql(
        store, "SELECT fid FROM litter_bin WHERE retired_at IS NULL "
        "ORDER BY condition DESC, fid DESC")
    some = _bins(store, "retired_at IS NULL")[3:7]
    pending = [Delta("litter_bin", "new-1", None, {"condition": 5}),
               Delta("litter_bin", "new-2", None, {"condition": 5})]
    chosen = select_assets(store, "litter_bin", "true", pending=pending,
                           among={*some, "new-2"})
    assert chosen.uuids == [*some, "new-2"]


def test_a_stopped_query_is_cancelled(store):
    store.conn.set_progress_handler(lambda: store.interrupt() or 0, 10)
    try:
        with pytest.raises(CancelledError):
            select_assets(store, "litter_bin", "condition >= 1")
    finally:
        store.conn.set_progress_handler(None, 0)
    other = query_error("litter_bin", sqlite3.OperationalError("no such column: y"))
    assert isinstance(other, BadFileError) and str(other) == "litter_bin: no such column: y"


def test_session_select_keeps_new_assets_last_in_the_order_they_were_added(store):
    session = EditSession(store, "测试", journal=False)
    first = _bins(store, "retired_at IS NULL")[0]
    session.set_value("litter_bin", first, "remarks", "改")
    got = session.select("litter_bin", "remarks = '改'")
    assert got == [first]


def test_store_reads_for_views(store):
    assert "condition" in store.fields("litter_bin")
    columns = store.attribute_columns("litter_bin")
    assert "geom" not in columns and columns[0] == "fid"
    assert store.column_names("litter_bin") == ["fid", "geom", *columns[1:]]
    some = _bins(store, "1")[:3]
    fids = store.fids_of("litter_bin", [*some, "nope"])
    assert set(fids) == set(some) and store.uuids_of_fids("litter_bin", fids.values()) == \
        {f: u for u, f in fids.items()}
    rows = store.rows_by_fid("litter_bin", fids.values(), ["asset_uuid", "condition"])
    assert {r[0] for r in rows.values()} == set(some)
    order_fid = _sql(store, "SELECT fid FROM work_order LIMIT 1")
    if order_fid:
        row = store.row_by_key("work_order", order_fid[0])
        assert row is not None and row["fid"] == order_fid[0]
    assert store.row_by_key("litter_bin", "not a number") is None
    assert store.row_by_key("litter_bin", 10**9) is None
    reader = store.reader()
    try:
        assert reader.read_only and reader.row_count("litter_bin") == store.row_count(
            "litter_bin")
    finally:
        reader.close()


def test_store_extents(store):
    layers = ["road_segment", "bridge", "green_space", "litter_bin"]
    (box, count) = store.asset_extent(layers)
    live = sum(_sql(store, f"SELECT count(*) FROM {t} WHERE retired_at IS NULL")[0]
               for t in layers)
    assert count == live and box[0] < box[2] and box[1] < box[3]
    by_district = store.asset_extents_by("district", layers)
    assert list(by_district) == sorted(by_district) == store.districts()
    name = next(iter(by_district))
    assert store.asset_extents_by("district", layers, district=name) == {
        name: by_district[name]}
    with pytest.raises(ValidationError):
        store.asset_extents_by("district; DROP TABLE x", layers)
    some = _bins(store, "1")[:2]
    boxes = store.asset_boxes("litter_bin", [*some, "nope"])
    assert set(boxes) == set(some)
