"""The statistics on randomised files (Hypothesis): assets with and without a grade, retired
or not, records in and out of the period, orders in any state with or without deadline,
dispatch, resolution, closing and rework; every figure against the pandas computation."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citymgr_desktop.core import gpkg, stats
from citymgr_desktop.core.gpkg.geometry import encode
from citymgr_desktop.core.store import Store, create_project
from tests.core import stats_reference as ref

DAYS = [dt.date(2026, 8, 1) + dt.timedelta(days=d) for d in range(0, 150, 3)]
DISTRICTS = st.sampled_from(["积玉桥街道", "粮道街道", None])
MOMENT = st.builds(lambda d, m: dt.datetime.combine(d, dt.time()) + dt.timedelta(minutes=m),
                   st.sampled_from(DAYS), st.integers(0, 24 * 60 - 1))


def stamp(t: dt.datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


asset = st.fixed_dictionaries({
    "layer": st.sampled_from(["litter_bin", "bridge"]),
    "district": DISTRICTS, "bgid": st.sampled_from(["g1", "g2", None]),
    "condition": st.sampled_from([None, 1, 2, 3, 4, 5]),
    "retired_at": st.one_of(st.none(), MOMENT), "updated_at": st.one_of(st.none(), MOMENT),
    "install_date": st.one_of(st.none(), st.sampled_from(DAYS)),
    "x": st.floats(0, 2000), "y": st.floats(0, 2000)})
record = st.fixed_dictionaries({
    "asset": st.integers(0, 10_000), "date": st.sampled_from(DAYS),
    "type": st.sampled_from(["inspection", "repair", "cleaning"]),
    "cost": st.one_of(st.none(), st.floats(0, 5000)), "after": st.sampled_from([None, 2, 4, 5])})
order = st.fixed_dictionaries({
    "assignee": st.sampled_from(["甲养护队", "乙养护队", None]),
    "state": st.sampled_from(["reported", "dispatched", "in_progress", "resolved", "checked",
                              "closed", "rework", "cancelled", "on_hold"]),
    "reported": MOMENT, "dispatched": st.booleans(), "deadline": st.one_of(st.none(), MOMENT),
    "resolved": st.one_of(st.none(), MOMENT), "closed": st.one_of(st.none(), MOMENT),
    "rework": st.one_of(st.none(), MOMENT)})
period = st.builds(lambda a, b: stats.Period(*sorted([a, b], key=lambda d: d or dt.date.min))
                   if a and b else stats.Period(a, b),
                   st.one_of(st.none(), st.sampled_from(DAYS)),
                   st.one_of(st.none(), st.sampled_from(DAYS)))


@pytest.fixture(scope="module")
def empty_project(tmp_path_factory):
    path = tmp_path_factory.mktemp("random") / "empty.gpkg"
    create_project(path)
    return path


def build(path, assets, records, orders) -> None:
    conn = gpkg.connect(str(path))
    srs = conn.execute("SELECT srs_id FROM gpkg_geometry_columns LIMIT 1").fetchone()[0]
    made = []
    with conn:
        for a in assets:
            u = str(uuid.uuid4())
            conn.execute(
                f'INSERT INTO "{a["layer"]}" (geom, asset_uuid, district, bgid, condition, '
                "retired_at, updated_at, install_date) VALUES (?,?,?,?,?,?,?,?)",
                (encode(shapely.Point(400_000 + a["x"], 3_380_000 + a["y"]), srs), u,
                 a["district"], a["bgid"], a["condition"], stamp(a["retired_at"]),
                 stamp(a["updated_at"]),
                 a["install_date"] and a["install_date"].isoformat()))
            made.append((a["layer"], u))
        for r in records if made else []:
            layer, u = made[r["asset"] % len(made)]
            conn.execute(
                "INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                "record_date, record_type, condition_after, labour_cost, material_cost) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (str(uuid.uuid4()), layer, u, r["date"].isoformat(), r["type"], r["after"],
                 r["cost"], None if r["cost"] is None else r["cost"] / 3))
        for n, o in enumerate(orders):
            w = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO work_order (work_order_uuid, case_no, priority, title, assignee, "
                "state, reported_at, dispatched_at, deadline, resolved_at, closed_at) "
                "VALUES (?,?,3,'t',?,?,?,?,?,?,?)",
                (w, f"2026{n:08d}", o["assignee"], o["state"], stamp(o["reported"]),
                 stamp(o["reported"]) if o["dispatched"] else None, stamp(o["deadline"]),
                 stamp(o["resolved"]), stamp(o["closed"])))
            if o["rework"] is not None:
                conn.execute("INSERT INTO work_order_event (event_uuid, work_order_uuid, "
                             "from_state, to_state, at, by) VALUES (?,?,?,?,?,?)",
                             (str(uuid.uuid4()), w, "resolved", "rework", stamp(o["rework"]),
                              "t"))
    conn.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(assets=st.lists(asset, max_size=25), records=st.lists(record, max_size=30),
       orders=st.lists(order, max_size=25), period=period, now=MOMENT)
def test_random_files(empty_project, tmp_path, assets, records, orders, period, now):
    path = tmp_path / f"r-{uuid.uuid4().hex}.gpkg"
    shutil.copyfile(empty_project, path)
    build(path, assets, records, orders)
    data = ref.read(path)
    with Store.open(path, read_only=True) as store:
        for by in [("layer", "district"), ("bgid",), ()]:
            rows = stats.condition_table(store, by, period=period, now=now)
            got = {tuple(getattr(r, k) for k in by): (r.assets, *r.conditions, r.not_assessed)
                   for r in rows}
            want = ref.condition_counts(data, by, ref.ended(period.last, now))
            if by:
                assert got == want
            else:
                assert got[()] == want.get((), (0,) * 7)
        for by in [("month", "layer"), ()]:
            rows = stats.record_table(store, by, period=period)
            got = {tuple(getattr(r, k) for k in by): (r.records, round(r.cost, 6)) for r in rows}
            want = ref.record_sums(data, by, period.first, period.last)
            assert {k: (n, pytest.approx(c)) for k, (n, c) in want.items()} == got
        ev = stats.evaluation(store, period, now=now)
        assert {r.assignee: (r.due, r.on_time, r.overdue, r.closed, r.rework) for r in ev} == \
            ref.evaluation(data, period.first, period.last, now)
        cov = stats.inspection_coverage(store, period=period, now=now)
        day = period.end_day(now)
        assert {r.layer: (r.assets, r.inspected) for r in cov} == ref.coverage(
            data, day, stats.inspection_intervals(store), ref.ended(period.last, now))
        counts = {r["state"]: r["orders"] for r in stats.order_counts(store, ("state",))}
        assert counts == data["work_order"].state.value_counts().to_dict()
