"""Maintenance history and work orders for the synthetic district.

Works on the rows already written (reads them back with SQL) so the links are real: every
record names an existing asset, every order's assets exist, and each order's state was
reached by legal moves of the state machine, recorded as events.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np

from citymgr_desktop.core.clock import to_utc
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sample.names import uuids
from citymgr_desktop.core.store.create import DEFAULT_TIME_LIMITS, bulk_insert
from citymgr_desktop.core.workorders.deadlines import WorkCalendar, load_calendar
from citymgr_desktop.core.workorders.states import WorkOrderState, case_number, path_to

TODAY = dt.date(2026, 11, 20)
CALENDAR_YEARS = (2025, 2026, 2027)  # the official calendar seeded into the sample
CREWS = ("养护一班", "养护二班", "巡查组", "应急抢修队", "保洁三组")
_TYPES = ("inspection", "repair", "cleaning", "replacement", "reconstruction")
_TYPE_P = (0.5, 0.25, 0.17, 0.06, 0.02)
_OBSERVATIONS = {
    "road_segment": ("路面坑槽", "裂缝", "井盖沉降", "路面完好"),
    "bridge": ("伸缩缝堵塞", "栏杆锈蚀", "桥面铺装破损", "结构完好"),
    "green_space": ("枯枝", "缺株", "病虫害", "长势良好"),
    "litter_bin": ("箱体破损", "满溢", "标识脱落", "外观完好"),
}


def _assets(conn: sqlite3.Connection, table: str) -> tuple[list[str], np.ndarray]:
    rows = conn.execute(f'SELECT asset_uuid, coalesce(condition, 0) FROM "{table}"').fetchall()
    return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.int64)


def history(conn: sqlite3.Connection, rng: np.random.Generator, features: int) -> None:
    """1-4 records over the last three years for part of the assets."""
    share = 0.3 if features <= 20_000 else 0.1
    for table in sc.ASSET_TABLES:
        ids, cond = _assets(conn, table.name)
        n = len(ids)
        chosen = rng.random(n) < share
        per = rng.integers(1, 5, n) * chosen
        idx = np.repeat(np.arange(n), per)
        m = len(idx)
        if m == 0:
            continue
        kinds = rng.choice(_TYPES, size=m, p=_TYPE_P)
        days = rng.integers(0, 3 * 365, m)
        dates = [(TODAY - dt.timedelta(days=int(d))).isoformat() for d in days]
        after = cond[idx]
        before = np.clip(after + rng.integers(0, 2, m), 1, 5)
        obs = np.array(_OBSERVATIONS[table.name])[np.minimum(before - 1, 3)]
        repair_like = kinds != "inspection"
        labour = np.where(repair_like, rng.uniform(200, 5000, m).round(0), 0.0)
        material = np.where(repair_like, rng.uniform(0, 8000, m).round(0), 0.0)
        equipment = np.where(repair_like, rng.uniform(0, 3000, m).round(0), 0.0)
        cols = {
            "record_uuid": uuids(rng, m),
            "asset_class": [table.name] * m,
            "asset_uuid": [ids[i] for i in idx.tolist()],
            "record_date": dates,
            "record_type": kinds.tolist(),
            "crew": rng.choice(CREWS, m).tolist(),
            "observation": obs.tolist(),
            "work_done": [("已处理" if r else "记录状况") for r in repair_like.tolist()],
            "condition_before": [int(b) if a else None for b, a in zip(before.tolist(),
                                                                        after.tolist(),
                                                                        strict=True)],
            "condition_after": [int(a) if a else None for a in after.tolist()],
            "labour_cost": labour.tolist(),
            "material_cost": material.tolist(),
            "equipment_cost": equipment.tolist(),
            "created_at": [f"{d}T17:00:00.000Z" for d in dates],
            "created_by": ["sample"] * m,
        }
        bulk_insert(conn, sc.MAINTENANCE_RECORD, cols, None, 0)


_STATE_P = {
    "reported": 0.08, "filed": 0.08, "dispatched": 0.12, "in_progress": 0.14, "resolved": 0.1,
    "checked": 0.06, "closed": 0.3, "returned": 0.03, "on_hold": 0.03, "rework": 0.03,
    "cancelled": 0.03,
}
# who disposes of an order: the department that maintains its class (处置单位)
_ASSIGNEES = {
    "road_segment": "区市政设施养护中心", "bridge": "区桥梁管理所",
    "green_space": "区园林绿化养护中心", "litter_bin": "区环境卫生管理站",
}
_TITLES = {
    "road_segment": "路面破损修复", "bridge": "桥梁病害处置", "green_space": "绿地养护整改",
    "litter_bin": "垃圾箱维修更换",
}
# The result a crew reports on the "resolved" move (a disposal must say what was done).
_RESULTS = {
    "road_segment": "已铣刨修补破损路面", "bridge": "已修补桥面病害并清理伸缩缝",
    "green_space": "已补植修剪并清理绿地", "litter_bin": "已维修更换垃圾箱",
}


def work_orders(conn: sqlite3.Connection, rng: np.random.Generator, features: int) -> None:
    """Orders on poor assets, spread over every state, each with its legal event trail."""
    count = int(np.clip(features // 100, 12, 2000))
    states = rng.choice(list(_STATE_P), size=count, p=list(_STATE_P.values()))
    orders, links, events = [], [], []
    order_ids = uuids(rng, count)
    per_day: dict[dt.date, int] = {}
    pools = {t.name: _assets(conn, t.name) for t in sc.ASSET_TABLES}
    calendar = load_calendar(conn)
    for n, state in enumerate(states.tolist()):
        cls = str(rng.choice([t.name for t in sc.ASSET_TABLES], p=[0.35, 0.05, 0.2, 0.4]))
        ids, cond = pools[cls]
        poor = np.flatnonzero(cond >= 4)
        pool = poor if len(poor) else np.arange(len(ids))
        k = min(len(pool), int(rng.integers(1, 4)))
        picked = rng.choice(pool, size=k, replace=False)
        day = TODAY - dt.timedelta(days=int(rng.integers(0, 120)))
        per_day[day] = per_day.get(day, 0) + 1
        # reported in office time (09:00-16:59, China Standard Time), stored in UTC
        at = to_utc(dt.datetime(day.year, day.month, day.day, 9, 0)
                    + dt.timedelta(minutes=int(rng.integers(0, 480))))
        priority = int(rng.choice([1, 2, 3, 4], p=[0.05, 0.2, 0.6, 0.15]))
        wid = order_ids[n]
        row = {
            "work_order_uuid": wid, "case_no": case_number(day, per_day[day]),
            "source": str(rng.choice(["patrol", "supervisor", "hotline", "public", "assigned"])),
            "asset_class": cls, "priority": priority, "title": _TITLES[cls],
            "description": f"{_TITLES[cls]}（{k}处）", "district": None,
            "deadline": _iso(_deadline(calendar, cls, priority, at)),
            "assignee": _ASSIGNEES[cls], "state": state, "created_by": "sample",
        }
        prev = None
        for s in path_to(WorkOrderState(state)):
            row[f"{s.value}_at"] = _iso(at)
            events.append({"work_order_uuid": wid, "from_state": prev, "to_state": s.value,
                           "at": _iso(at), "by": "sample",
                           "note": _RESULTS[cls] if s is WorkOrderState.RESOLVED else None})
            prev = s.value
            at += dt.timedelta(hours=int(rng.integers(1, 30)))
        row["updated_at"] = _iso(at)
        orders.append(row)
        links += [{"work_order_uuid": wid, "asset_class": cls, "asset_uuid": ids[i]}
                  for i in picked.tolist()]
    _insert_rows(conn, sc.WORK_ORDER, orders)
    _insert_rows(conn, sc.WORK_ORDER_ASSET, links)
    for e, u in zip(events, uuids(rng, len(events)), strict=True):
        e["event_uuid"] = u
    _insert_rows(conn, sc.WORK_ORDER_EVENT, events)


def _deadline(calendar: WorkCalendar, cls: str, priority: int, at: dt.datetime) -> dt.datetime:
    """The deadline by the same rule as a new order: the class's time limit (else the one
    for any class) counted in working time on the file's calendar."""
    limits = {(c, p): (v, u) for c, p, v, u in DEFAULT_TIME_LIMITS}
    value, unit = limits.get((cls, priority)) or limits[(None, priority)]
    return calendar.deadline(at, value, unit)


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _insert_rows(conn: sqlite3.Connection, table: sc.Table, rows: list[dict]) -> None:
    names = [f.name for f in table.fields]
    cols = {n: [r.get(n) for r in rows] for n in names}
    bulk_insert(conn, table, cols, None, 0)
