"""Show pending edits in a layer read from the file (for the map canvas and exports):
deleted assets drop out, edited ones get their new values and geometry, new ones are
appended with their temporary negative fids, retired ones can be hidden.

Cost follows the number of pending edits of the layer, not the size of the frame (one
vectorised ``isin`` to find the edited rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:
    from citymgr_desktop.core.editing.view import SessionView


def overlay_frame(session: SessionView, layer: str, frame: pd.DataFrame, *,
                  include_retired: bool = True) -> pd.DataFrame:
    """``frame`` (indexed by fid, with ``asset_uuid``) with the session's pending edits."""
    pending = session.pending_for(layer)
    if not pending or sc.ASSET_TABLES_BY_NAME.get(layer) is None:
        return frame
    key = sc.ASSET_TABLES_BY_NAME[layer].key
    if key not in frame.columns:
        raise ValueError(f"the frame of {layer} needs its {key} column to show pending edits")
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    by_uuid = {d.uuid: d for d in pending}
    hit = frame[key].isin(list(by_uuid)).to_numpy()
    out = frame.copy() if hit.any() else frame
    drop = []
    for fid, uuid in zip(out.index[hit], out.loc[hit, key].tolist(), strict=True):
        d = by_uuid[uuid]
        if d.kind == "delete":
            drop.append(fid)
            continue
        for name, value in (d.new or {}).items():
            column = geom_col if name == sc.GEOMETRY_COLUMN else name
            if column is not None and column in out.columns:
                _set(out, fid, column, value)
    if drop:
        out = out.drop(index=drop)
    new_rows = session.inserted(layer)
    if new_rows:
        records = []
        for _, row in new_rows:
            rec = {c: row.get(c) for c in out.columns if c != geom_col}
            if geom_col is not None:
                rec[geom_col] = row.get(sc.GEOMETRY_COLUMN)
            records.append(rec)
        for rec in records:
            for c in rec:
                if c != geom_col and pd.api.types.is_datetime64_any_dtype(out[c]):
                    rec[c] = _as_dtype(out[c].dtype, rec[c])
        extra = pd.DataFrame.from_records(records, columns=list(out.columns),
                                          index=pd.Index([fid for fid, _ in new_rows],
                                                         name=out.index.name))
        if geom_col is not None:
            extra = gpd.GeoDataFrame(extra, geometry=geom_col, crs=frame.crs)
        out = pd.concat([out, extra]) if len(out) else extra
        if geom_col is not None and not isinstance(out, gpd.GeoDataFrame):
            out = gpd.GeoDataFrame(out, geometry=geom_col, crs=frame.crs)
    if not include_retired and "retired_at" in out.columns:
        out = out[out["retired_at"].isna()]
    return out


def _as_dtype(dtype: object, value: object) -> object:
    """An ISO date text as the Timestamp a GDAL-read datetime column holds."""
    if value is None or not isinstance(value, str):
        return pd.NaT if value is None else value
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        return pd.NaT
    tz = getattr(dtype, "tz", None)
    if tz is None and stamp.tz is not None:
        return stamp.tz_convert(None)
    if tz is not None and stamp.tz is None:
        return stamp.tz_localize("UTC")
    return stamp


def _set(frame: pd.DataFrame, fid: object, column: str, value: object) -> None:
    """Set one cell, converting dates to the column's dtype and widening it if needed."""
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        value = _as_dtype(frame[column].dtype, value)
    try:
        frame.at[fid, column] = value
    except (TypeError, ValueError):
        frame[column] = frame[column].astype(object)
        frame.at[fid, column] = value
