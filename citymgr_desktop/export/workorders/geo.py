"""The assets of work orders as GeoJSON (RFC 7946: WGS 84 lon/lat, EPSG:4326) or as a
GeoPackage for a crew's phone (QField, Mergin Maps, any GIS app), also in EPSG:4326 so apps
that know nothing of CGCS2000 Gauss-Kruger zones still place them right.

One feature per order and asset, carrying the order's case number, title, state, priority and
deadline and the asset's code, name, sub-district and condition, as words a person reads.
The GeoPackage holds one layer per asset class (one geometry type per layer, as QField wants)
and is written as GeoPackage 1.3 for QGIS 3.22, with a default QGIS style per layer in
``layer_styles`` (coloured by condition, as in the app). Files are written under a temporary
name and renamed; a GeoJSON's name is the file's.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
from pyproj import CRS

from citymgr_desktop.core.clock import OFFICE_TZ, parse_iso
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.workorders.query import ReportOrder
from citymgr_desktop.export.workorders.rows import ASSET_COLUMNS, asset_row
from citymgr_desktop.export.writers import WGS84, write_geojson, write_gpkg


def assets_frame(orders: Sequence[ReportOrder], crs: CRS | str, *, lang: str = "zh",
                 progress: Progress | None = None, zone: dt.tzinfo = OFFICE_TZ
                 ) -> gpd.GeoDataFrame:
    """A GeoDataFrame (EPSG:4326) of every order-asset pair that has a geometry: the deadline
    a date and time in ``zone`` (the office's), the last record's date a date."""
    prog = ensure(progress)
    rows, geoms, deadlines, dates = [], [], [], []
    for i, rep in enumerate(orders):
        prog.update(i, len(orders), rep.case_no)
        for a in rep.assets:
            if a.geometry is None:
                continue
            rows.append(asset_row(rep.order, a, lang))
            raw = asset_row(rep.order, a, lang, raw=True)
            deadlines.append(_moment(raw["deadline"], zone))
            dates.append(_day(raw["last_record_date"]))
            geoms.append(a.geometry)
    columns = [c for c, _ in ASSET_COLUMNS]
    frame = gpd.GeoDataFrame(rows, columns=columns, geometry=geoms, crs=crs)
    frame["deadline"] = pd.Series(deadlines, index=frame.index,
                                  dtype=pd.ArrowDtype(pa.timestamp("s", tz=_offset(zone))))
    frame["last_record_date"] = pd.Series(dates, index=frame.index,
                                          dtype=pd.ArrowDtype(pa.date32()))
    return frame.to_crs(WGS84)


def _offset(zone: dt.tzinfo) -> str:
    """``+08:00`` for the office's zone (Arrow names a fixed zone by its offset)."""
    delta = zone.utcoffset(None) or dt.timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _moment(value: object, zone: dt.tzinfo) -> dt.datetime | None:
    """A stored UTC timestamp as an aware time in ``zone``; None when empty or not a time."""
    try:
        d = parse_iso(str(value)) if value else None
    except ValueError:
        return None
    return None if d is None else d.replace(tzinfo=dt.timezone.utc).astimezone(zone)


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def export_geojson(orders: Sequence[ReportOrder], path: str | os.PathLike[str], crs: CRS | str,
                   *, lang: str = "zh", progress: Progress | None = None) -> Path:
    """Write the orders' assets to a GeoJSON FeatureCollection (7 decimals: about 1 cm)."""
    prog = ensure(progress)
    frame = assets_frame(orders, crs, lang=lang, progress=prog)
    if frame.empty:
        raise ValidationError("the chosen work orders have no assets with a geometry")
    return write_geojson(frame, path, progress=prog)


def export_gpkg(orders: Sequence[ReportOrder], path: str | os.PathLike[str], crs: CRS | str, *,
                lang: str = "zh", progress: Progress | None = None) -> Path:
    """Write the orders' assets to a GeoPackage, one layer per asset class."""
    prog = ensure(progress)
    frame = assets_frame(orders, crs, lang=lang, progress=prog)
    if frame.empty:
        raise ValidationError("the chosen work orders have no assets with a geometry")
    raw_class = [a.asset_class for rep in orders for a in rep.assets if a.geometry is not None]
    frame["_cls"] = raw_class
    # a GeoPackage DATETIME is UTC, written with a Z (GeoPackage 1.3, 1.1.1.1.1); QGIS and
    # QField show it in the device's zone
    frame["deadline"] = frame["deadline"].astype(pd.ArrowDtype(pa.timestamp("s", tz="UTC")))
    parts = [(f"workorder_{t.name}", frame[frame["_cls"] == t.name].drop(columns="_cls"), t)
             for t in sc.ASSET_TABLES]
    return write_gpkg([p for p in parts if not p[1].empty], path, lang=lang, progress=prog)
