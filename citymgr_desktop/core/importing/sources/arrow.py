"""A layer (or one batch of it) read by GDAL as an Arrow table, turned into :class:`SourceData`:
attributes as plain Python columns, the geometries decoded one by one (a reason kept for each
one that cannot be read), the CRS, GDAL's warnings and the encoding as notes, OpenStreetMap's
tags as fields. Split from :mod:`reader`; :mod:`stream` uses it for every batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyproj import CRS

from citymgr_desktop.core import messages
from citymgr_desktop.core.importing.geometry import decode_wkb
from citymgr_desktop.core.importing.sources import osm as importer_osm
from citymgr_desktop.core.importing.sources.base import (
    Columns,
    SourceData,
    SourceLayer,
    SourceOptions,
)


def gdal_source_data(path: Path, layer: str, opts: SourceOptions, meta: dict, table: Any,
                     encoding: str | None, cut: list[messages.Message], gdal_warnings: list[str],
                     driver: str, first_row: int = 0) -> SourceData:
    """A layer (or one batch of it, from row ``first_row``) read by GDAL as an Arrow table,
    as :class:`SourceData`."""
    gcol = meta.get("geometry_name") or "wkb_geometry"
    fid_col = meta.get("fid_column") or "OGC_FID"
    cols = table.column_names
    # By position: a source field may share the FID column's name (GeoJSON "id").
    fid_idx = 0 if cols and cols[0] == fid_col else None
    geom_idx = max((i for i, n in enumerate(cols) if n == gcol), default=None)
    keep = [i for i in range(len(cols)) if i not in (fid_idx, geom_idx)]
    fids = (table.column(fid_idx).to_pylist() if fid_idx is not None
            else list(range(first_row, first_row + table.num_rows)))
    attrs = Columns({cols[i]: _plain_values(table.column(i)) for i in keep}, fids)
    wkb = (table.column(geom_idx).to_pylist() if geom_idx is not None
           else [None] * table.num_rows)
    crs = None
    if meta.get("crs"):
        try:
            crs = CRS.from_user_input(meta["crs"])
        except Exception:
            crs = None
    info = SourceLayer(str(path), layer, driver, meta.get("geometry_type"), table.num_rows, crs,
                       encoding or meta.get("encoding"))
    if encoding and not opts.encoding:
        info.notes.append(messages.msg("no .cpg file: attribute encoding detected as "
                                       "{encoding}", encoding=encoding))
    info.notes.extend(cut)
    for message in dict.fromkeys(w.split(". To avoid")[0] for w in gdal_warnings):
        info.notes.append(messages.msg("GDAL: {message}", message=message))  # e.g. rings it closed
    geoms, problems, converted = decode_wkb(wkb, fids, path, layer)
    if driver == "OSM":
        attrs = importer_osm.expand(attrs, layer)
        info.notes.append(messages.msg("OpenStreetMap: tags from other_tags became fields; "
                                       "osm_key (node/way/relation + id) identifies each "
                                       "feature"))
    return SourceData(info, attrs, geoms, problems, converted)


def _plain_values(column: Any) -> list[Any]:
    """An Arrow column as Python values, None for no value: text, numbers (NaN as None),
    booleans, dates as they come; anything else (timestamps, lists) as pandas turns it into
    objects, the way every column was read before (``to_pandas``, missing -> None)."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) \
            or pa.types.is_integer(kind) or pa.types.is_boolean(kind) \
            or pa.types.is_date32(kind) or pa.types.is_null(kind):
        return column.to_pylist()
    if pa.types.is_floating(kind):
        return [None if v is None or v != v else v for v in column.to_pylist()]
    return Columns.from_frame(pa.table({"v": column}).to_pandas(
        integer_object_nulls=True, date_as_object=True, timestamp_as_object=True
    ).astype(object)).data["v"]
