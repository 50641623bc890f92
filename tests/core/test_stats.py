"""The statistics (core/stats) against an independent pandas computation over every row, on
the sample district (generated and committed) and on randomised files (Hypothesis), with
empty periods and unassessed or retired assets; the definitions are docs/statistics.md."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from citymgr_desktop.core import stats
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.stats.dashboard import merge_condition_rows, twelve_months_to
from citymgr_desktop.core.stats.orders import order_assets
from citymgr_desktop.core.store import Store
from tests.core import stats_reference as ref

NOW = dt.datetime(2026, 11, 20, 12, 0)  # the sample's "today" (UTC)
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"
PERIODS = [
    stats.Period(),
    stats.Period.month("2026-11"),
    stats.Period.month("2026-10"),
    stats.Period(dt.date(2026, 8, 1), dt.date(2026, 9, 30)),
    stats.Period(dt.date(2026, 9, 15), None),
    stats.Period(None, dt.date(2026, 8, 31)),
    stats.Period.month("2020-02"),  # nothing happened then: an empty period
]


@pytest.fixture(params=["generated", "committed"])
def sample(request, district, tmp_path) -> Path:
    if request.param == "generated":
        return district
    dst = tmp_path / "committed.gpkg"
    shutil.copyfile(SAMPLE, dst)
    return dst


def _condition_as_dict(rows, by):
    return {tuple(getattr(r, k) for k in by): (r.assets, *r.conditions, r.not_assessed)
            for r in rows}


@pytest.mark.parametrize("by", [(), ("layer",), ("district",), ("layer", "district"),
                                ("layer", "district", "bgid"), ("bgid",)])
def test_condition_table_equals_pandas(sample, by):
    data = ref.read(sample)
    with Store.open(sample, read_only=True) as store:
        rows = stats.condition_table(store, by)
        ended = stats.condition_table(store, by, period=stats.Period.month("2020-06"))
    assert _condition_as_dict(rows, by) == ref.condition_counts(data, by)
    expected_then = ref.condition_counts(data, by, dt.date(2020, 6, 30))
    assert {k: v for k, v in _condition_as_dict(ended, by).items() if v[0]} == \
        {k: v for k, v in expected_then.items() if v[0]}
    assert all(r.assets == sum(r.conditions) + r.not_assessed for r in rows)


def test_unassessed_retired_and_poor_share(sample):
    with Store.open(sample) as store:
        bins = stats.condition_members(store, layers=["litter_bin"])["litter_bin"]
        with store.session() as conn:
            conn.execute("UPDATE litter_bin SET condition = NULL WHERE asset_uuid IN (?, ?)",
                         bins[:2])
            conn.execute("UPDATE litter_bin SET retired_at = '2026-11-01T00:00:00.000Z' "
                         "WHERE asset_uuid = ?", (bins[2],))
        data = ref.read(sample)
        rows = stats.condition_table(store, ("layer",))
        assert _condition_as_dict(rows, ("layer",)) == ref.condition_counts(data, ("layer",))
        before = stats.condition_table(store, ("layer",), period=stats.Period.month("2026-10"))
        bin_row = next(r for r in rows if r.layer == "litter_bin")
        bin_before = next(r for r in before if r.layer == "litter_bin")
        assert bin_before.assets == bin_row.assets + 1  # retired in November: there in October
        live = data["assets"][data["assets"].retired_at.isna()]
        graded = live.condition.isin([1, 2, 3, 4, 5])
        poor = live.condition.isin([4, 5]).sum()
        total = stats.condition_table(store, ())[0]
        assert total.poor_share == pytest.approx(poor / graded.sum())
        unassessed = stats.condition_members(store, layers=["litter_bin"], condition=0)
        assert set(bins[:2]) <= set(unassessed["litter_bin"])
        assert len(unassessed["litter_bin"]) == bin_row.not_assessed


def test_members_are_the_assets_behind_each_figure(sample):
    with Store.open(sample, read_only=True) as store:
        for row in stats.condition_table(store, ("layer", "district")):
            for c, n in zip((1, 2, 3, 4, 5), row.conditions, strict=True):
                ids = stats.condition_members(store, layers=[row.layer],
                                              district=row.district, condition=c)
                assert len(ids.get(row.layer, [])) == n
            poor = stats.condition_members(store, layers=[row.layer], district=row.district,
                                           condition=4.5)
            assert len(poor.get(row.layer, [])) == row.poor


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_records_and_cost_equal_pandas(sample, period):
    data = ref.read(sample)
    first, last = period.first, period.last
    with Store.open(sample, read_only=True) as store:
        for by in [(), ("month",), ("month", "layer"), ("layer", "type"),
                   ("month", "layer", "type")]:
            rows = stats.record_table(store, by, period=period)
            got = {tuple(getattr(r, k) for k in by): (r.records, round(r.cost, 6))
                   for r in rows}
            want = ref.record_sums(data, by, first, last)
            assert got == want, by
        members = stats.record_members(store, month="2026-10")
        expect = data["maintenance_record"]
        expect = expect[expect.record_date.str.startswith("2026-10")]
        assert {(c, u) for c, ids in members.items() for u in ids} == \
            set(zip(expect.asset_class, expect.asset_uuid, strict=True))


def test_empty_period_gives_zero_rows_not_errors(sample):
    empty = stats.Period.month("2020-02")
    with Store.open(sample, read_only=True) as store:
        assert stats.record_table(store, ("month",), period=empty) == []
        total = stats.record_table(store, (), period=empty)[0]
        assert (total.records, total.cost) == (0, 0.0)
        assert stats.evaluation(store, empty, now=NOW) == []
        t = stats.evaluation_total([])
        assert (t.due, t.on_time_rate, t.closure_rate, t.rework_rate) == (0, None, None, None)
        assert stats.order_counts(store, ("state",), period=empty) == []
        figs = stats.monthly_figures(store, "2020-02", now=NOW)
        assert figs.key["records"] == (0, 0) and figs.key["due"] == (0, 0)


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_evaluation_equals_pandas(sample, period):
    data = ref.read(sample)
    with Store.open(sample, read_only=True) as store:
        rows = stats.evaluation(store, period, now=NOW)
        got = {r.assignee: (r.due, r.on_time, r.overdue, r.closed, r.rework) for r in rows}
        assert got == ref.evaluation(data, period.first, period.last, NOW)
        for r in rows:
            for figure in stats.orders.FIGURES:
                ids = stats.evaluation_members(store, figure, assignee=r.assignee,
                                               period=period, now=NOW)
                assert len(ids) == getattr(r, figure), (r.assignee, figure)
            if r.due:
                assert r.on_time_rate == r.on_time / r.due
                assert r.closure_rate == r.closed / r.due
                assert r.rework_rate == r.rework / r.due


def test_rework_counts_the_event_history(sample):
    """An order resolved, sent back for rework and resolved again counts as rework and as
    disposed at its last resolution."""
    from citymgr_desktop.core.workorders import orders as wo

    with Store.open(sample) as store:
        order = next(o for o in stats.orders.orders_by_uuid(
            store, stats.order_members(store, state="in_progress")))
        case = order["case_no"]
        for to in ("resolved", "rework", "in_progress", "resolved"):
            wo.move_order(store, case, to, "tester", "test")
        now = dt.datetime.utcnow() + dt.timedelta(days=400)
        rows = stats.evaluation(store, stats.Period(), now=now)
        data = ref.read(sample)
        got = {r.assignee: (r.due, r.on_time, r.overdue, r.closed, r.rework) for r in rows}
        assert got == ref.evaluation(data, None, None, now)
        ids = stats.evaluation_members(store, "rework", assignee=order["assignee"],
                                       period=stats.Period(), now=now)
        assert order["work_order_uuid"] in ids


def test_order_counts_equal_pandas(sample):
    data = ref.read(sample)
    o = data["work_order"]
    with Store.open(sample, read_only=True) as store:
        for by in [("state",), ("source",), ("assignee",), ("state", "assignee")]:
            got = {tuple(r[k] for k in by): r["orders"] for r in stats.order_counts(store, by)}
            want = o.groupby(list(by), dropna=False).size().to_dict()
            want = {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in want.items()}
            assert got == want
        period = stats.Period.month("2026-10")
        got = sum(r["orders"] for r in stats.order_counts(store, (), period=period))
        reported = ref.times(o.reported_at)
        assert got == int(((reported >= ref.local_midnight_utc(period.first))
                           & (reported < ref.local_midnight_utc(dt.date(2026, 11, 1)))).sum())
        for r in stats.order_counts(store, ("state",)):
            ids = stats.order_members(store, state=r["state"])
            assert len(ids) == r["orders"]
            assets = order_assets(store, ids)
            links = data["work_order_asset"]
            assert sum(map(len, assets.values())) == len(
                set(zip(*[links[links.work_order_uuid.isin(ids)][c]
                          for c in ("asset_class", "asset_uuid")], strict=True)))


@pytest.mark.parametrize("period", [stats.Period(), stats.Period.month("2026-10"),
                                    stats.Period.month("2020-02")], ids=lambda p: p.label)
def test_inspection_coverage_equals_pandas(sample, period):
    data = ref.read(sample)
    with Store.open(sample, read_only=True) as store:
        rows = stats.inspection_coverage(store, period=period, now=NOW)
        intervals = stats.inspection_intervals(store)
    day = period.end_day(NOW)
    want = ref.coverage(data, day, intervals, ref.ended(period.last, NOW))
    assert {r.layer: (r.assets, r.inspected) for r in rows} == want
    assert all(r.as_of == day for r in rows)


def test_inspection_intervals_are_data_in_the_file(sample):
    from citymgr_desktop.core.stats.intervals import set_inspection_intervals

    with Store.open(sample) as store:
        assert stats.inspection_intervals(store)["litter_bin"] == 90
        set_inspection_intervals(store, {"litter_bin": 3650})
        assert stats.inspection_intervals(store)["litter_bin"] == 3650
        rows = {r.layer: r for r in stats.inspection_coverage(store, now=NOW)}
        data = ref.read(sample)
        want = ref.coverage(data, NOW.date(), stats.inspection_intervals(store))
        assert (rows["litter_bin"].assets, rows["litter_bin"].inspected) == want["litter_bin"]
        with pytest.raises(ValidationError, match="whole number of days"):
            set_inspection_intervals(store, {"bridge": 0})
        with pytest.raises(ValidationError, match="not an asset class"):
            set_inspection_intervals(store, {"lamp": 30})


@pytest.mark.parametrize("kind", stats.HOTSPOT_KINDS)
def test_hotspots_equal_binning_in_pandas(sample, kind):
    """Cells from the spatial index's boxes binned in pandas; the exact geometries give the
    same totals and the same cells but for points within half a metre of a cell edge (the
    index stores its boxes as 32-bit floats)."""
    import shapely

    from citymgr_desktop.core.workorders.states import OPEN_STATES

    data = ref.read(sample)
    with Store.open(sample, read_only=True) as store:
        grid = stats.hotspot_grid(store, kind, size=250.0)
        exact = {layer: store.read(layer, columns=["asset_uuid"]) for layer in ref.LAYERS}
    a = data["assets"].copy()
    a["i"] = np.floor(((a.minx + a.maxx) / 2 - grid.x0) / grid.size).astype(int)
    a["j"] = np.floor(((a.miny + a.maxy) / 2 - grid.y0) / grid.size).astype(int)
    if kind == "poor_assets":
        items = a[a.retired_at.isna() & a.condition.isin([4, 5])][["i", "j", "asset_uuid"]]
    else:
        o = data["work_order"]
        open_ids = o.work_order_uuid[o.state.isin([s.value for s in OPEN_STATES])]
        links = data["work_order_asset"]
        links = links[links.work_order_uuid.isin(set(open_ids))]
        items = links.merge(a, left_on=["asset_class", "asset_uuid"],
                            right_on=["layer", "asset_uuid"])[["i", "j", "work_order_uuid"]]
    want = items.drop_duplicates().groupby(["i", "j"]).size().to_dict()
    assert grid.cells == {(int(i), int(j)): int(n) for (i, j), n in want.items()}
    assert grid.x0 % 250 == 0 and grid.y0 % 250 == 0 and min(i for i, _ in grid.cells) >= 0
    if kind == "poor_assets":
        centres = {}
        for frame in exact.values():
            b = shapely.bounds(frame.geometry.values)
            centres.update(zip(frame.asset_uuid, zip((b[:, 0] + b[:, 2]) / 2,
                                                     (b[:, 1] + b[:, 3]) / 2, strict=True),
                               strict=True))
        assert len(items) == grid.total
        for i, j, u in items.itertuples(index=False):
            x, y = centres[u]
            gi, gj = (x - grid.x0) / grid.size, (y - grid.y0) / grid.size
            near_edge = min(abs(gi - round(gi)), abs(gj - round(gj))) * grid.size < 0.5
            assert near_edge or (int(np.floor(gi)), int(np.floor(gj))) == (i, j)


def test_dashboard_and_monthly_figures_agree_with_the_single_figures(sample):
    with Store.open(sample, read_only=True) as store:
        period = stats.Period.month("2026-11")
        figs = stats.dashboard_figures(store, period, now=NOW)
        assert figs.condition_by("layer") == stats.condition_table(store, ("layer",))
        assert figs.condition_by("district") == stats.condition_table(store, ("district",))
        assert figs.evaluation == stats.evaluation(store, period, now=NOW)
        assert figs.month_labels()[0] == "2025-12" and figs.month_labels()[-1] == "2026-11"
        assert set(figs.seconds) and all(v >= 0 for v in figs.seconds.values())
        month = stats.monthly_figures(store, "2026-11", now=NOW)
        this, last = month.key["records"]
        assert this == stats.record_table(store, (), period=period)[0].records
        assert last == stats.record_table(store, (), period=stats.Period.month("2026-10")
                                          )[0].records
        assert month.key["due"][0] == stats.evaluation_total(figs.evaluation).due
        assert month.overdue == stats.overdue_orders(store, period, now=NOW)
        assert all(o["overdue"] for o in month.overdue)


def test_period_parsing_and_errors():
    p = stats.Period.month("2026-11")
    assert (p.first, p.last) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert p.start_utc() == "2026-10-31T16:00:00.000Z"
    assert p.end_utc() == "2026-11-30T16:00:00.000Z"
    assert p.previous_month() == stats.Period.month("2026-10")
    assert stats.Period.month("2026-01").previous_month() == stats.Period.month("2025-12")
    assert p.label == "2026-11"
    assert twelve_months_to(dt.date(2026, 3, 5)) == stats.Period(dt.date(2025, 4, 1),
                                                                 dt.date(2026, 3, 31))
    for bad in ("2026-13", "11-2026", "x"):
        with pytest.raises(ValidationError):
            stats.Period.month(bad)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        stats.Period.parse("2026/11/01", None)
    with pytest.raises(ValidationError, match="starts"):
        stats.Period.parse("2026-11-02", "2026-11-01")
    with pytest.raises(ValidationError, match="unknown key"):
        stats.condition_table(None, ("layer", "colour"))  # type: ignore[arg-type]
    rows = [stats.ConditionRow("bridge", "a", None, 3, (1, 0, 0, 1, 0), 1),
            stats.ConditionRow("road_segment", "a", None, 2, (0, 0, 0, 0, 1), 1)]
    assert merge_condition_rows(rows, ("district",))[0].conditions == (1, 0, 0, 1, 1)
