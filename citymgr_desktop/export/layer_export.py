"""One asset layer to a file for a crew or another GIS (QGIS's "Save Features As…"): the
assets an expression, a selection or nothing chooses, as GeoJSON (WGS 84, RFC 7946, one
geometry type per file), GeoPackage (the project's CRS, a QGIS style), CSV or XLSX (a
location point per asset in WGS 84). Coded values are written as the words of the chosen
language or as the stored codes. Unsaved edits are exported as the window shows them (as
the work-order export does). Shared by ``citymgr export`` and the app's worker; the files
go through the exports' one set of writers (``export/writers.py``).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.expression import Expression
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import asset_table, select_assets
from citymgr_desktop.export import writers

if TYPE_CHECKING:
    import geopandas as gpd

    from citymgr_desktop.core.store import Store

FORMATS = ("geojson", "gpkg", "csv", "xlsx")
SUFFIXES = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "xlsx": ".xlsx"}
_PLACE = {"lon": ("Longitude (WGS 84)", "经度（WGS 84）", "longitude_wgs84"),
          "lat": ("Latitude (WGS 84)", "纬度（WGS 84）", "latitude_wgs84")}
_WIDE = {"asset_uuid": 38, "obj_code": 19, "name": 24, "bgid": 16, "owner_dept": 18,
         "maintainer_dept": 18, "remarks": 30, "updated_at": 17, "retired_at": 17}


def export_layer(store: Store, layer: str, path: str | os.PathLike[str], fmt: str, *,
                 where: str | Expression | None = None, among: Collection[str] | None = None,
                 include_retired: bool = False, codes: bool = False, lang: str = "zh",
                 pending: Iterable[Delta] | None = None,
                 progress: Progress | None = None) -> dict[str, object]:
    """Write the assets of ``layer`` that ``where`` (an expression) and ``among`` (asset
    uuids, the selection) choose to ``path`` as ``fmt``; returns {out, format, layer,
    features}. ``codes``: stored codes instead of the words of ``lang``; ``pending``: the
    app's unsaved edits, exported as if saved. Nothing chosen: a ValidationError and no
    file."""
    if fmt not in FORMATS:
        raise ValidationError("export format must be one of {formats}, got {fmt!r}",
                              formats=', '.join(FORMATS), fmt=fmt)
    table = asset_table(layer)
    store.require_asset_project()
    prog = ensure(progress)
    prog.update(0, 4, table.label(lang))
    mine = [d for d in (pending or ()) if d.table == layer]
    chosen = select_assets(store, layer, where, pending=mine, include_retired=include_retired,
                           among=among, with_uuids=False)
    if not len(chosen):
        raise ValidationError("no asset of {layer} matches; nothing was written", layer=layer)
    prog.check()
    prog.update(1, 4, table.label(lang))
    frame = _chosen_frame(store, table, chosen.fids, set(chosen.new), mine,
                          by_fid=where is not None or among is not None,
                          include_retired=include_retired)
    prog.check()
    prog.update(2, 4, table.label(lang))
    frame = _whole_numbers(frame, table) if codes else _labelled(frame, table, lang)
    if fmt == "geojson":
        writers.write_geojson(writers.as_multipolygons(frame, table), path, progress=prog)
    elif fmt == "gpkg":
        writers.write_gpkg([(layer, frame, table)], path, lang=lang, progress=prog)
    else:
        headings, rows = _table_rows(frame, table, None if codes else lang)
        if fmt == "csv":
            writers.write_csv([headings, *rows], path, progress=prog)
        else:
            widths = [_WIDE.get(c, 12) for c in frame.columns if c != frame.geometry.name]
            writers.write_xlsx([writers.Sheet(table.label(lang), headings, rows,
                                              [*widths, 13, 13])],
                               path, table.label(lang), progress=prog)
    prog.update(4, 4, table.label(lang))
    return {"out": str(Path(path)), "format": fmt, "layer": layer, "features": len(frame)}


def _chosen_frame(store: Store, table: sc.Table, fids: Any, new: set[str],
                  pending: list[Delta], *, by_fid: bool, include_retired: bool
                  ) -> gpd.GeoDataFrame:
    """The chosen rows as a GeoDataFrame (the layer's fields in the model's order, then the
    geometry), saved ones by fid, then the new ones, with the pending edits applied.
    ``by_fid``: only the chosen rows are read (a selection, a filter), not the layer."""
    from citymgr_desktop.core.editing.overlay import overlay_frame
    from citymgr_desktop.core.editing.view import SessionView

    frame = (store.read(table.name, fids=fids) if by_fid
             else store.read(table.name, include_retired=include_retired))
    if pending:
        view = SessionView(store)  # the edits as data: nothing of the app's session
        view.pending = DeltaSet(pending)
        frame = overlay_frame(view, table.name, frame)
    saved = frame.index.isin(fids) & (frame.index > 0)
    added = ~saved & frame[table.key].isin(list(new)).to_numpy()
    frame = frame[saved | added]
    names = [n for n in table.field_names() if n in frame.columns]
    return frame[[*names, frame.geometry.name]]


def _labelled(frame: gpd.GeoDataFrame, table: sc.Table, lang: str) -> gpd.GeoDataFrame:
    """Coded fields as the words a person reads in ``lang`` (empty stays empty; a value
    outside the list stays as it is, as text)."""
    coded = dm.coded_domains()
    out = _whole_numbers(frame, table)
    for f in table.fields:
        domain = coded.get(f.domain or "")
        if domain is None or f.name not in out.columns:
            continue
        values = out[f.name]
        words = values.map({c.value: c.label(lang) for c in domain.codes})
        unknown = words.isna() & values.notna()
        words = words.astype(object).where(~unknown, values.astype(str))
        out = out.assign(**{f.name: words.where(values.notna(), None)})
    return out


def _whole_numbers(frame: gpd.GeoDataFrame, table: sc.Table) -> gpd.GeoDataFrame:
    """INTEGER fields GDAL read as floats (a column with empty cells) as whole numbers, so a
    code is written 4, not 4.0."""
    out = frame
    for f in table.fields:
        if f.type.value == "INTEGER" and f.name in frame.columns \
                and frame[f.name].dtype.kind == "f":
            out = out.assign(**{f.name: frame[f.name].astype("Int64")})
    return out


def _table_rows(frame: gpd.GeoDataFrame, table: sc.Table, lang: str | None
                ) -> tuple[list[str], list[list[Any]]]:
    """Headings and rows for CSV/XLSX: the fields (times as naive datetimes in office time,
    dates as dates: the writers write them as text or Excel dates), then a location
    point of each asset in WGS 84 (the point, a line's middle, a point inside a polygon) a
    crew's phone can navigate to. Headings are the fields' labels in ``lang``, as the
    work-order tables have them (a time column's names the office zone); None (the stored codes): the schema's field names, as the
    GeoPackage and GeoJSON have them, for a file read back by a program."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from citymgr_desktop.core.clock import OFFICE_TZ, zoned_heading

    geom = frame.geometry
    names = [c for c in frame.columns if c != geom.name]
    columns: list[list[Any]] = []
    times: set[str] = set()  # their headings name the zone (codes: the field names as they are)
    for name in names:
        s = frame[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            times.add(name)
            s = (s.dt.tz_localize("UTC") if s.dt.tz is None else s).dt.tz_convert(OFFICE_TZ)
            local = s.dt.tz_localize(None).dt.to_pydatetime()  # the writers' dates (naive)
            columns.append([v if ok else None for v, ok in zip(local, s.notna(), strict=True)])
            continue
        columns.append(s.astype(object).where(s.notna(), None).tolist())
    shapes = geom.to_numpy()
    lines = shapely.get_type_id(shapes) == 1
    points = shapely.point_on_surface(shapes)
    points[lines] = shapely.line_interpolate_point(shapes[lines], 0.5, normalized=True)
    wgs = gpd.GeoSeries(points, crs=frame.crs).to_crs(writers.WGS84)
    for coordinate in (wgs.x, wgs.y):
        rounded = coordinate.round(7)
        columns.append(rounded.astype(object).where(rounded.notna(), None).tolist())
    if lang is None:
        headings = [*names, *(_PLACE[k][2] for k in ("lon", "lat"))]
    else:
        which = 1 if lang.startswith("zh") else 0
        headings = [zoned_heading(table.field(n).label(lang), lang) if n in times
                    else table.field(n).label(lang) for n in names] + [
            _PLACE[k][which] for k in ("lon", "lat")]
    return headings, [list(r) for r in zip(*columns, strict=True)]

