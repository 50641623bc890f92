"""Independent computations of the statistics for the tests: every row read into pandas and
the figures worked out there, with timestamps parsed as datetimes (the core compares the
stored text in SQL), so the two ways share nothing but the definitions in
docs/statistics.md."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")
ASSET_COLUMNS = ("fid", "asset_uuid", "district", "bgid", "condition", "install_date",
                 "retired_at", "updated_at")


def read(path: Path) -> dict[str, pd.DataFrame]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        frames = []
        for layer in LAYERS:
            f = pd.read_sql(f'SELECT {", ".join(ASSET_COLUMNS)} FROM "{layer}"', conn)
            f["layer"] = layer
            box = pd.read_sql(f'SELECT id AS fid, minx, maxx, miny, maxy FROM "rtree_{layer}_geom"',
                              conn)
            frames.append(f.merge(box, on="fid", how="left"))
        out = {"assets": pd.concat(frames, ignore_index=True)}
        for t in ("maintenance_record", "work_order", "work_order_event", "work_order_asset"):
            out[t] = pd.read_sql(f"SELECT * FROM {t}", conn)
    finally:
        conn.close()
    return out


def local_midnight_utc(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day) - pd.Timedelta(hours=8)


def times(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601").dt.tz_convert(None)


def ended(last: dt.date | None, now: dt.datetime | None) -> dt.date | None:
    """``last`` when the period is over at ``now`` (default: the real clock), else None: an
    unfinished period counts the live register."""
    if last is None:
        return None
    now_ts = pd.Timestamp(now) if now is not None else pd.Timestamp.now("UTC").tz_convert(None)
    return last if local_midnight_utc(last + dt.timedelta(days=1)) <= now_ts else None


def register(assets: pd.DataFrame, last: dt.date | None) -> pd.DataFrame:
    """The register at the end of ``last`` (None: the live assets)."""
    if last is None:
        return assets[assets.retired_at.isna()]
    end = local_midnight_utc(last + dt.timedelta(days=1))
    retired = times(assets.retired_at)
    written = times(assets.updated_at)
    undated = assets.install_date.isna()
    keep = (retired.isna() | (retired >= end)) & (
        (~undated & (assets.install_date <= last.isoformat()))
        | (undated & (written.isna() | (written < end))))
    return assets[keep]


def condition_counts(data, by: tuple[str, ...], last: dt.date | None = None) -> dict:
    """{group key tuple: (assets, c1..c5, not_assessed)}."""
    a = register(data["assets"], last).copy()
    grade = a.condition.where(a.condition.isin([1, 2, 3, 4, 5]))
    a["g"] = grade.fillna(0).astype(int)
    out = {}
    groups = a.groupby(list(by), dropna=False) if by else [((), a)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        key = tuple(None if (isinstance(k, float) and np.isnan(k)) else k for k in key)
        counts = [int((g.g == c).sum()) for c in (1, 2, 3, 4, 5)]
        out[key] = (len(g), *counts, int((g.g == 0).sum()))
    return out


def record_sums(data, by: tuple[str, ...], first: dt.date | None, last: dt.date | None):
    r = data["maintenance_record"].copy()
    d = pd.to_datetime(r.record_date)
    keep = pd.Series(True, index=r.index)
    if first is not None:
        keep &= d >= pd.Timestamp(first)
    if last is not None:
        keep &= d <= pd.Timestamp(last)
    r = r[keep]
    r["month"] = pd.to_datetime(r.record_date).dt.strftime("%Y-%m")
    r["layer"], r["type"] = r.asset_class, r.record_type
    r["cost"] = r[["labour_cost", "material_cost", "equipment_cost"]].fillna(0).sum(axis=1)
    out = {}
    groups = r.groupby(list(by)) if by else [((), r)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        out[key] = (len(g), round(float(g.cost.sum()), 6))
    return out


def evaluation(data, first: dt.date | None, last: dt.date | None, now: dt.datetime) -> dict:
    """{assignee: (due, on_time, overdue, closed, rework)} by the definitions."""
    o = data["work_order"].copy()
    cutoff = pd.Timestamp(now)
    if last is not None:
        cutoff = min(cutoff, local_midnight_utc(last + dt.timedelta(days=1)))
    deadline = times(o.deadline)
    done_before = o.state.isin(["resolved", "checked", "closed"]) & (
        times(o.resolved_at) < cutoff)
    due = (o.state != "cancelled") & o.dispatched_at.notna() & deadline.notna() & (
        (deadline < cutoff) | done_before)
    if first is not None:
        due &= deadline >= local_midnight_utc(first)
    if last is not None:
        due &= deadline < local_midnight_utc(last + dt.timedelta(days=1))
    o = o[due].copy()
    resolved = times(o.resolved_at)
    closed_at = times(o.closed_at)
    dl = times(o.deadline)
    o["on_time"] = o.state.isin(["resolved", "checked", "closed"]) & resolved.notna() & (
        resolved <= dl)
    o["closed"] = (o.state == "closed") & closed_at.notna() & (closed_at < cutoff)
    ev = data["work_order_event"]
    ev_at = times(ev["at"])
    reworked = set(ev.work_order_uuid[(ev.to_state == "rework") & (ev_at < cutoff)])
    o["rework"] = o.work_order_uuid.isin(reworked)
    out = {}
    o["who"] = o.assignee.fillna("\x00none")
    for name, g in o.groupby("who"):
        name = None if name == "\x00none" else name
        on = int(g.on_time.sum())
        out[name] = (len(g), on, len(g) - on, int(g.closed.sum()), int(g.rework.sum()))
    return out


def coverage(data, day: dt.date, intervals: dict[str, int], register_last=None) -> dict:
    """{layer: (assets, inspected)}."""
    a = register(data["assets"], register_last)
    r = data["maintenance_record"]
    when = pd.to_datetime(r.record_date)
    out = {}
    for layer in LAYERS:
        since = pd.Timestamp(day - dt.timedelta(days=intervals[layer]))
        ok = r[(r.asset_class == layer) & (r.record_type == "inspection")
               & (when > since) & (when <= pd.Timestamp(day))]
        live = a[a.layer == layer]
        out[layer] = (len(live), int(live.asset_uuid.isin(set(ok.asset_uuid)).sum()))
    return out
