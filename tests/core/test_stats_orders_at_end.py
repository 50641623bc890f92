"""A past period's work orders by state count each order in its state at the period's end,
read from its moves (``work_order_event``), not in its state today: the dashboard's chart,
its bars' orders, the monthly report and ``citymgr stats orders``. Checked against a plain
Python replay of the events of the sample district (generated and committed)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from citymgr_desktop.core import stats
from citymgr_desktop.core.stats.dashboard import dashboard_figures, reported_by
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.report.tables import figure_table
from tests.core.test_stats import NOW, sample  # noqa: F401  (the fixture)

ENDED = [stats.Period.month("2026-10"), stats.Period.month("2026-09"),
         stats.Period(dt.date(2026, 8, 1), dt.date(2026, 9, 30))]


def _states_at(path: Path, period: stats.Period) -> dict[str, str]:
    """Each order reported by the period's end, in the state its last move before the end
    put it in (its state now when it has none)."""
    end = period.end_utc()
    with sqlite3.connect(path) as conn:
        orders = dict(conn.execute("SELECT work_order_uuid, state FROM work_order "
                                   "WHERE reported_at < ?", (end,)))
        for uuid, to_state, _at in conn.execute(
                "SELECT work_order_uuid, to_state, at FROM work_order_event "
                "WHERE at < ? ORDER BY at", (end,)):
            if uuid in orders:
                orders[uuid] = to_state
    return orders


@pytest.mark.parametrize("period", ENDED, ids=lambda p: p.label)
def test_past_period_counts_orders_in_their_state_at_its_end(sample, period):  # noqa: F811
    expected = _states_at(sample, period)
    with Store.open(sample, read_only=True) as store:
        figs = dashboard_figures(store, period, now=NOW)
        members = {s: set(stats.order_members(store, state=s, period=reported_by(period),
                                              as_of=figs.orders_as_of))
                   for s in set(expected.values())}
        now_counts = stats.order_counts(store, ("state",), period=reported_by(period))
    assert figs.orders_as_of == period.end_utc()
    assert figs.orders_on() == period.last
    got = {r["state"]: r["orders"] for r in figs.orders_by_state}
    assert got == dict(Counter(expected.values()))
    for state, uuids in members.items():  # a bar's click lists the orders it counts
        assert uuids == {u for u, s in expected.items() if s == state}
    with sqlite3.connect(sample) as conn:  # without ``as_of``: the states now
        current = Counter(r[0] for r in conn.execute(
            "SELECT state FROM work_order WHERE reported_at < ?", (period.end_utc(),)))
    assert {r["state"]: r["orders"] for r in now_counts} == dict(current)


def test_running_period_counts_orders_in_their_state_now(sample):  # noqa: F811
    period = stats.Period.month("2026-11")  # NOW is 2026-11-20
    with Store.open(sample, read_only=True) as store:
        figs = dashboard_figures(store, period, now=NOW)
        now_counts = stats.order_counts(store, ("state",), period=reported_by(period))
    assert figs.orders_as_of is None and figs.orders_on() is None
    assert figs.orders_by_state == now_counts


def test_stats_table_of_a_past_month_by_state_and_assignee(sample):  # noqa: F811
    period = stats.Period.month("2026-10")
    end = period.end_utc()
    with sqlite3.connect(sample) as conn:
        reported = {u: a for u, a in conn.execute(
            "SELECT work_order_uuid, assignee FROM work_order WHERE reported_at >= ? "
            "AND reported_at < ?", (period.start_utc(), end))}
    states = _states_at(sample, period)
    expected = Counter((states[u], reported[u]) for u in reported)
    with Store.open(sample, read_only=True) as store:
        table = figure_table(store, "orders", ["state", "assignee"], period=period, now=NOW,
                             lang="en")
    assert {(r["state"], r["assignee"]): r["orders"] for r in table.rows} == dict(expected)


def test_cli_past_month_keeps_its_states_after_a_later_move(tmp_path):
    """An October order moved today: ``citymgr stats --orders`` for October still counts it
    in its October state; without a period (now) it counts the new one."""
    import json
    import shutil

    from tests.core.test_stats import SAMPLE
    from tests.faults.support import run

    path = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, path)

    def by_state(*period: str) -> dict[str, int]:
        res = run(["stats", path, "--orders", "--by", "state", *period, "--json"])
        assert res.rc == 0, res.err
        return {r["state"]: r["orders"] for r in json.loads(res.out)}

    october = ("--from", "2026-10-01", "--to", "2026-10-31")
    before, before_now = by_state(*october), by_state()
    assert run(["workorders", "move", path, "202610130001", "--to", "resolved",
                "--note", "换了新垃圾桶", "--user", "王五"]).rc == 0  # was in_progress
    assert by_state(*october) == before
    now = by_state()
    assert now["in_progress"] == before_now["in_progress"] - 1
    assert now["resolved"] == before_now.get("resolved", 0) + 1
