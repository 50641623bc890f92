"""The same behaviour tests against both stores (a parametrised fixture): the GeoPackage
file and the PostGIS database holding the same district answer and change alike through
the store interface (``core/store/protocol.py``) and the core features on top of it."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from citymgr_desktop.core import history
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.store import open_store
from citymgr_desktop.core.workorders.query import list_orders


@pytest.fixture(params=["geopackage", "postgis"])
def project_store(request, small_district):
    if request.param == "geopackage":
        target = str(small_district)
    else:
        from citymgr_desktop.core.store.postgis import publish

        target = request.getfixturevalue("pg_url")
        publish(small_district, target)
    with open_store(target) as store:
        yield store


def _first_bin(store) -> dict:
    frame = store.read("litter_bin", include_retired=False)
    uuid = frame.sort_values("obj_code").iloc[0]["asset_uuid"]
    return store.get_row("litter_bin", uuid)


def test_describes_the_project(project_store):
    store = project_store
    assert store.is_asset_project() and store.district_code == "420106"
    layers = {li.name: li for li in store.layers()}
    assert layers["litter_bin"].geometry_type == "POINT" and layers["litter_bin"].count > 0
    assert store.project_crs().to_epsg() == 4547
    assert "粮道街道" in store.districts()
    assert store.domains()["bin_type"]["values"]["kitchen"] == "厨余垃圾 Kitchen waste"


def test_an_update_lands_with_who_and_when(project_store):
    store = project_store
    row = _first_bin(store)
    store.apply([Delta("litter_bin", row["asset_uuid"], {"remarks": row["remarks"]},
                       {"remarks": "复查 2026-11"})], "王五")
    now = store.get_row("litter_bin", row["asset_uuid"])
    assert now["remarks"] == "复查 2026-11" and now["updated_by"] == "王五"
    assert now["updated_at"] > row["updated_at"]


def test_a_new_asset_gets_an_object_code_and_can_be_read_back(project_store):
    store = project_store
    uuid = "00000000-0000-4000-8000-00000000abcd"
    store.apply([Delta("litter_bin", uuid, None, {
        "geom": shapely.Point(528800.0, 3381500.0), "name": "新垃圾箱", "district": "粮道街道",
        "bin_type": "kitchen", "condition": 1})], "王五")
    row = store.get_row("litter_bin", uuid)
    assert row["obj_code"].startswith("4201060304") and len(row["obj_code"]) == 16
    assert row["geom"].equals(shapely.Point(528800.0, 3381500.0))
    assert store.read("litter_bin").query("asset_uuid == @uuid").shape[0] == 1


def test_a_record_sets_the_condition_by_the_inspection_rule(project_store):
    store = project_store
    row = _first_bin(store)
    after = 5 if row["condition"] != 5 else 4
    deltas = history.plan_add(store, None, row["asset_uuid"], {
        "record_type": "inspection", "record_date": "2099-03-04", "condition_after": after},
        user="王五")
    history.apply(store, DeltaSet(deltas), "王五")
    records = history.records(store, row["asset_uuid"])
    assert records[0]["record_date"] == "2099-03-04"
    assert records[0]["condition_before"] == row["condition"]
    assert store.get_row("litter_bin", row["asset_uuid"])["condition"] == after
    assert history.asset_class_for(store, row["asset_uuid"]) == "litter_bin"


def test_work_order_lists(project_store):
    orders = list_orders(project_store)
    assert orders and all(o["asset_count"] >= 1 for o in orders)
    filed = list_orders(project_store, states=["filed"])
    assert {o["state"] for o in filed} <= {"filed"}
    assert [o["case_no"] for o in orders] == sorted((o["case_no"] for o in orders),
                                                    reverse=True)


def test_an_order_its_events_and_assets_and_a_move_to_closed(project_store):
    from citymgr_desktop.core.workorders import orders as wo

    store = project_store
    listed = next(o for o in list_orders(store, states=["resolved"]))
    order = wo.get_order(store, listed["case_no"])
    assert wo.get_order(store, order["work_order_uuid"]) == order
    events = wo.events_of(store, order["work_order_uuid"])
    assert events and events[-1]["to_state"] == "resolved"
    assets = wo.assets_of(store, order["work_order_uuid"])
    assert len(assets) == listed["asset_count"]
    assert wo.asset_class_of(store, [u for _c, u in assets]) == {u: c for c, u in assets}
    before = len(history.records(store, assets[0][1]))
    wo.move_order(store, order["case_no"], "checked", "王五", "核查通过")
    wo.move_order(store, order["case_no"], "closed", "王五", "验收合格")
    moved = wo.get_order(store, order["case_no"])
    assert moved["state"] == "closed" and moved["closed_at"]
    assert wo.events_of(store, order["work_order_uuid"])[-1]["to_state"] == "closed"
    assert len(history.records(store, assets[0][1])) == before + 1  # the closing record
    with pytest.raises(Exception, match="maintenance record"):
        wo.delete_order(store, order["case_no"])


# -- the statistics (core/stats): the same numbers from a file and from its database --------
_NOW = dt.datetime(2026, 11, 25, 8, 0)  # naive UTC, as core/clock.py


def _figures(store) -> dict:
    """Every figure of core/stats, as plain data (members sorted: row order is the store's)."""
    from citymgr_desktop.core import stats
    from citymgr_desktop.core.stats import orders, records

    out: dict = {}
    for period in (None, stats.Period.month("2026-10"), stats.Period.parse("2026-01-01", None)):
        key = period.label if period else "all"
        out[key, "condition"] = [
            r.as_dict(by) for by in [(), ("layer",), ("layer", "district"), ("bgid",)]
            for r in stats.condition_table(store, by, period=period, now=_NOW)]
        out[key, "coverage"] = [r.as_dict() for by in [("layer",), ("layer", "district")]
                                for r in stats.inspection_coverage(store, by, period=period,
                                                                   now=_NOW)]
        out[key, "records"] = [r.as_dict(by) for by in [(), ("month",), ("month", "layer"),
                                                         ("type",)]
                               for r in stats.record_table(store, by, period=period)]
        out[key, "graded_poor"] = records.graded_poor(store, period)
        out[key, "orders"] = [stats.order_counts(store, (k,), period=period)
                              for k in orders.ORDER_KEYS]
        evaluation = stats.evaluation(store, period, now=_NOW)
        out[key, "evaluation"] = [r.as_dict() for r in evaluation]
        out[key, "evaluation members"] = {
            (r.assignee, f): sorted(stats.evaluation_members(
                store, f, assignee=r.assignee, period=period, now=_NOW))
            for r in evaluation for f in orders.FIGURES}
        out[key, "overdue"] = [o["case_no"] for o in stats.overdue_orders(store, period,
                                                                           now=_NOW)]
    out["condition members"] = {c: {k: sorted(v) for k, v in stats.condition_members(
        store, district="粮道街道", condition=c, now=_NOW).items()} for c in (0, 1, 4.5, None)}
    out["record members"] = {k: sorted(v) for k, v in stats.record_members(
        store, month="2026-10").items()}
    wids = stats.order_members(store, state="dispatched")
    out["order members"] = sorted(wids)
    out["orders by uuid"] = orders.orders_by_uuid(store, wids, now=_NOW)
    out["order assets"] = {k: sorted(v) for k, v in orders.order_assets(store, wids).items()}
    for kind in stats.HOTSPOT_KINDS:
        grid = stats.hotspot_grid(store, kind)
        out["hotspots", kind] = (grid.x0, grid.y0, grid.size, grid.cells)
    month = stats.monthly_figures(store, "2026-10", now=_NOW)
    out["monthly key figures"] = month.key
    out["monthly dashboard"] = (
        [r.as_dict(("layer", "district")) for r in month.dashboard.condition_by_layer_district],
        [r.as_dict(("month", "layer")) for r in month.dashboard.records_by_month],
        month.dashboard.orders_by_state, [r.as_dict() for r in month.dashboard.evaluation])
    return out


def test_the_statistics_are_the_same_numbers_as_the_files(project_store, small_district):
    from citymgr_desktop.core.store import Store

    with Store.open(small_district, read_only=True) as file_store:
        expected = _figures(file_store)
    assert expected["monthly key figures"]["records"][0] > 0  # the month has figures
    assert any(expected["hotspots", "poor_assets"][3].values())
    got = _figures(project_store)
    for key in expected:
        assert got[key] == expected[key], key


def test_time_limits_and_the_calendar_are_kept_alike(project_store):
    from citymgr_desktop.core.workorders import deadlines as dl

    dl.set_time_limit(project_store, "bridge", 1, 6, "working_hours")
    dl.set_time_limit(project_store, None, 4, 12, "working_days")
    dl.set_time_limit(project_store, None, 4, 10, "working_days")  # replaces, never adds
    limits = [t for t in dl.time_limits(project_store) if t.priority in (1, 4)]
    assert [(t.asset_class, t.priority, t.value, t.unit) for t in limits
            if (t.asset_class, t.priority) in {("bridge", 1), (None, 4)}] == [
        (None, 4, 10.0, "working_days"), ("bridge", 1, 6.0, "working_hours")]
    cal = dl.seed_calendar(project_store, [2026])
    assert dt.date(2026, 10, 1) in cal.holidays
    assert dl.calendar_of(project_store).holidays == cal.holidays
