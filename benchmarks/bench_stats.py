"""Statistics and dashboard refresh benchmark: a district of 1M assets with 100k work orders
(each with its legal event trail) and 1M maintenance records; prints the time of each
figure's SQL (the floor) and of a whole dashboard refresh in the app's widget (worker
thread, charts and tables), and of the monthly report's figures.

The sample generator makes the assets and some history; this script adds the orders,
events and records it lacks (``bench-data/stats-<N>.gpkg``, reused between runs).
Run: ``python benchmarks/bench_stats.py [--features 1000000] [--orders 100000]
[--records 1000000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _data import DATA, sample_file

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.create import bulk_insert
from citymgr_desktop.core.workorders.states import WorkOrderState, path_to

ASSIGNEES = ("区市政设施养护中心", "区桥梁管理所", "区园林绿化养护中心", "区环境卫生管理站",
             "积玉桥街道城管科", "粮道街道城管科", "中华路街道城管科", "黄鹤楼街道城管科")
STATES = {"reported": 0.05, "filed": 0.05, "dispatched": 0.08, "in_progress": 0.1,
          "resolved": 0.07, "checked": 0.05, "closed": 0.5, "returned": 0.02, "on_hold": 0.02,
          "rework": 0.03, "cancelled": 0.03}
TODAY = dt.datetime(2026, 11, 20, 9, 0)
NOW = dt.datetime(2026, 11, 20, 12, 0)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    return [f"{a:016x}-{b:016x}"[:36] for a, b in raw.tolist()]


def _insert(conn, table: sc.Table, rows: dict[str, list]) -> None:
    bulk_insert(conn, table, rows, None, 0)


def add_history(path: Path, orders: int, records: int, seed: int = 11) -> None:
    """Top the file up to ``orders`` work orders and ``records`` maintenance records."""
    rng = np.random.default_rng(seed)
    conn = gpkg.connect(str(path))
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("BEGIN")
    pools = {t.name: [r[0] for r in conn.execute(f'SELECT asset_uuid FROM "{t.name}"')]
             for t in sc.ASSET_TABLES}
    have = conn.execute("SELECT count(*) FROM maintenance_record").fetchone()[0]
    n = max(0, records - have)
    classes = rng.choice(list(pools), size=n, p=[0.3, 0.02, 0.18, 0.5])
    days = rng.integers(0, 3 * 365, n)
    kinds = rng.choice(["inspection", "repair", "cleaning", "replacement", "reconstruction"],
                       size=n, p=[0.5, 0.25, 0.17, 0.06, 0.02])
    cost = np.where(kinds != "inspection", rng.uniform(100, 9000, n).round(0), 0.0)
    _insert(conn, sc.MAINTENANCE_RECORD, {
        "record_uuid": _uuids(rng, n), "asset_class": classes.tolist(),
        "asset_uuid": [pools[c][int(rng.integers(len(pools[c])))] for c in classes.tolist()],
        "record_date": [(TODAY.date() - dt.timedelta(days=int(d))).isoformat() for d in days],
        "record_type": kinds.tolist(), "crew": ["养护一班"] * n,
        "condition_after": rng.integers(1, 6, n).tolist(),
        "labour_cost": cost.tolist(), "material_cost": (cost / 2).tolist(),
        "equipment_cost": (cost / 4).tolist(), "created_by": ["bench"] * n})
    have = conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    m = max(0, orders - have)
    order_ids = _uuids(rng, m)
    states = rng.choice(list(STATES), size=m, p=list(STATES.values()))
    rows: dict[str, list] = {f.name: [] for f in sc.WORK_ORDER.fields}
    events: dict[str, list] = {k: [] for k in ("work_order_uuid", "from_state", "to_state",
                                               "at", "by")}
    links: dict[str, list] = {"work_order_uuid": [], "asset_class": [], "asset_uuid": []}
    serial: dict[dt.date, int] = {}
    for k, state in enumerate(states.tolist()):
        cls = str(rng.choice(list(pools), p=[0.35, 0.05, 0.2, 0.4]))
        at = TODAY - dt.timedelta(minutes=int(rng.integers(0, 365 * 24 * 60)))
        day = at.date()
        serial[day] = serial.get(day, 0) + 1
        wid = order_ids[k]
        row = {f.name: None for f in sc.WORK_ORDER.fields}
        priority = int(rng.choice([1, 2, 3, 4], p=[0.05, 0.2, 0.6, 0.15]))
        row.update(work_order_uuid=wid, case_no=f"{day:%Y%m%d}{serial[day]:05d}",
                   source=str(rng.choice(["patrol", "supervisor", "hotline", "public"])),
                   asset_class=cls, priority=priority, title="基准工单", state=state,
                   assignee=ASSIGNEES[int(rng.integers(len(ASSIGNEES)))], created_by="bench",
                   deadline=_iso(at + dt.timedelta(days={1: 0.1, 2: 0.5, 3: 3, 4: 10}[priority])))
        trail = list(path_to(WorkOrderState(state)))
        if state == "closed" and rng.random() < 0.08:  # closed after a rework
            trail = [*trail[:5], WorkOrderState.REWORK, WorkOrderState.IN_PROGRESS,
                         WorkOrderState.RESOLVED, *trail[5:]]
        prev = None
        for s in trail:
            row[f"{s.value}_at"] = _iso(at)
            for key, value in (("work_order_uuid", wid), ("from_state", prev),
                               ("to_state", s.value), ("at", _iso(at)), ("by", "bench")):
                events[key].append(value)
            prev = s.value
            at += dt.timedelta(hours=int(rng.integers(1, 60)))
        row["updated_at"] = _iso(at)
        for key, value in row.items():
            rows[key].append(value)
        for _ in range(int(rng.integers(1, 4))):
            links["work_order_uuid"].append(wid)
            links["asset_class"].append(cls)
            links["asset_uuid"].append(pools[cls][int(rng.integers(len(pools[cls])))])
    _insert(conn, sc.WORK_ORDER, rows)
    _insert(conn, sc.WORK_ORDER_ASSET, links)
    events["event_uuid"] = _uuids(rng, len(events["at"]))
    _insert(conn, sc.WORK_ORDER_EVENT, events)
    conn.execute("COMMIT")
    conn.close()


def stats_file(features: int, orders: int, records: int) -> Path:
    path = DATA / f"stats-{features}-{orders}-{records}.gpkg"
    if not path.exists():
        src = sample_file(features)
        tmp = path.with_suffix(".tmp.gpkg")
        shutil.copyfile(src, tmp)
        t0 = time.perf_counter()
        add_history(tmp, orders, records)
        tmp.rename(path)
        print(f"added history to {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def median_of(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    path = stats_file(args.features, args.orders, args.records)
    from citymgr_desktop.core import stats

    with Store.open(path) as store:  # open for writing once: adds the statistics indexes
        counts = {t: store.row_count(t) for t in ("work_order", "maintenance_record",
                                                   "work_order_event")}
    period = stats.Period.month("2026-11")
    with Store.open(path, read_only=True) as store:
        assets = sum(store.row_count(t.name) for t in sc.ASSET_TABLES)
        print(f"\n{path.name}: {assets:,} assets, {counts['work_order']:,} work orders, "
              f"{counts['work_order_event']:,} events, {counts['maintenance_record']:,} records")
        stats.dashboard_figures(store, period, now=NOW)  # warm the page cache
        floors: dict[str, list[float]] = {}
        totals = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            figs = stats.dashboard_figures(store, period, now=NOW)
            totals.append(time.perf_counter() - t0)
            for k, v in figs.seconds.items():
                floors.setdefault(k, []).append(v)
        print(f"\n| figure (SQL on the store, median of {args.runs}) | seconds |")
        print("| --- | ---: |")
        for k, v in floors.items():
            print(f"| {k} | {statistics.median(v):.3f} |")
        print(f"| **all dashboard figures (the floor)** | **{statistics.median(totals):.3f}** |")
        t_month, _ = median_of(lambda: stats.monthly_figures(store, period, now=NOW), 3)
        t_cond, _ = median_of(lambda: stats.condition_table(store, ("layer", "district",
                                                                    "bgid")), 3)
        t_past, _ = median_of(lambda: stats.condition_table(
            store, ("layer", "district"), period=stats.Period.month("2026-10"), now=NOW), 3)
        t_hot, _ = median_of(lambda: stats.hotspot_grid(store, "poor_assets"), 3)
        t_cases, _ = median_of(lambda: stats.hotspot_grid(store, "open_cases"), 3)
        print(f"| monthly report figures (two months of key figures + dashboard) "
              f"| {t_month:.3f} |")
        print(f"| condition by class, sub-district and grid | {t_cond:.3f} |")
        print(f"| condition by class and sub-district at a past month's end | {t_past:.3f} |")
        print(f"| hot spots: poor assets / open cases | {t_hot:.3f} / {t_cases:.3f} |")
    refresh_in_app(path, period, args.runs, statistics.median(totals))


def refresh_in_app(path: Path, period, runs: int, floor: float) -> None:
    """The dashboard widget's whole refresh: worker thread on reader stores, figures, charts
    and evaluation table drawn; from the request to the widget showing it. Once with all
    four charts drawn again, once with figures that did not change (charts kept)."""
    from PySide6.QtWidgets import QApplication

    from citymgr_desktop.ui.dashboard.dashboard_widget import DashboardWidget

    app = QApplication.instance() or QApplication([])
    with Store.open(path, read_only=True) as store:
        widget = DashboardWidget(lang="zh_CN", now=NOW)
        widget.resize(1400, 900)
        widget.show()
        widget.set_store(store, period=period)
        canvases = (widget.by_class, widget.by_district, widget.records, widget.orders)
        results = {}
        for mode in ("all four charts drawn", "figures unchanged, charts kept"):
            times = []
            for _ in range(runs + 1):
                if mode.startswith("all"):
                    for c in canvases:
                        c.forget()
                t0 = time.perf_counter()
                widget.refresh()
                while widget.is_refreshing():
                    app.processEvents()
                    time.sleep(0.002)
                for _ in range(3):  # the charts' queued draws and paints
                    app.processEvents()
                times.append(time.perf_counter() - t0)
            results[mode] = statistics.median(times[1:])
        widget.close()
        widget.shutdown()
    for mode, t in results.items():
        print(f"| **dashboard refresh in the app, {mode} (median of {runs})** | **{t:.3f}** |")
    print(f"\nrefresh − floor = {results['all four charts drawn'] - floor:.3f} s "
          "(threads, charts and tables)")


if __name__ == "__main__":
    main()
