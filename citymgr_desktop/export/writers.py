"""The one set of file writers every data export uses (work orders, layers): a frame to
GeoJSON (RFC 7946: WGS 84, 7 decimals), frames to the layers of a GeoPackage 1.3 with QGIS
styles, rows to a CSV Excel opens (UTF-8 with BOM), sheets to an XLSX. Each writes under a
temporary name, checks the file the way its readers will (:mod:`export.verify`) and renames
it, so a cancel, a failure or a full disk leaves nothing half-written.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.export import verify

WGS84 = "EPSG:4326"
GPKG_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


def write_geojson(frame: Any, path: str | os.PathLike[str], *,
                  progress: Progress | None = None) -> Path:
    """``frame`` (a GeoDataFrame in any CRS) as a GeoJSON FeatureCollection in WGS 84 (RFC
    7946, 7 decimals: about 1 cm); the layer's name is the file's."""
    import pyogrio

    prog = ensure(progress)
    frame = frame.to_crs(WGS84) if frame.crs is not None else frame
    with atomic_path(path, verify=verify.geojson(len(frame))) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer=Path(path).stem,
                                layer_options={"COORDINATE_PRECISION": 7, "RFC7946": "YES"},
                                use_arrow=True)
        prog.check()
    return Path(path)


def as_multipolygons(frame: Any, table: sc.Table) -> Any:
    """Polygons of a MULTIPOLYGON table as one-part multipolygons (one geometry type per
    layer, as QField and GeoPackage readers want)."""
    import shapely

    if table.geometry_type != "MULTIPOLYGON" or frame.empty:
        return frame
    return frame.set_geometry(frame.geometry.apply(
        lambda g: g if g is None or g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])))


def write_gpkg(parts: Sequence[tuple[str, Any, sc.Table]], path: str | os.PathLike[str], *,
               lang: str = "zh", progress: Progress | None = None) -> Path:
    """Each (layer name, GeoDataFrame, asset table) of ``parts`` as a layer of one GeoPackage
    1.3 (for QGIS 3.22) in the frame's CRS, with a default QGIS style per layer in
    ``layer_styles`` (coloured by condition, as in the app)."""
    import pyogrio

    from citymgr_desktop.core.qgis.styles import style_export_layers

    prog = ensure(progress)
    with atomic_path(path, verify=verify.geopackage(
            {name: len(frame) for name, frame, _ in parts})) as tmp:
        for i, (name, frame, table) in enumerate(parts):
            pyogrio.write_dataframe(
                as_multipolygons(frame, table), tmp, layer=name, driver="GPKG",
                geometry_type=GPKG_TYPES[table.geometry_type or "POINT"],
                dataset_options={"VERSION": "1.3"} if i == 0 else None,
                layer_options={"DESCRIPTION": f"{table.zh} {table.en}"}, append=i > 0,
                use_arrow=True)
            prog.check()
        style_export_layers(str(tmp), {name: table for name, _, table in parts}, lang)
    return Path(path)


def write_csv(records: Sequence[Sequence[Any]], path: str | os.PathLike[str], *,
              progress: Progress | None = None) -> Path:
    """``records`` (the header row first) as CSV: UTF-8 with a byte-order mark, so Excel on
    a Chinese Windows reads the Chinese right (without it, it guesses GBK), CRLF line ends."""
    prog = ensure(progress)
    with atomic_path(path, verify=verify.csv_rows(len(records))) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, dialect="excel").writerows(
                [["" if v is None else v for v in row] for row in records])
        prog.check()
    return Path(path)


def styled_sheet(ws: Any, headings: Sequence[str], rows: Sequence[Sequence[Any]],
                 widths: Sequence[float], *,
                 note: Callable[[int], str | None] | None = None) -> None:
    """One worksheet: a bold, shaded, frozen and filtered header row, then ``rows``;
    ``note(i)`` a comment on the i-th heading (None for none)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append(list(headings))
    for i, cell in enumerate(ws[1]):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(vertical="center")
        text = note(i) if note is not None else None
        if text:
            cell.comment = Comment(text, "citymgr-desktop")
    for row in rows:
        ws.append(list(row))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{len(rows) + 1}"


def save_workbook(wb: Any, path: str | os.PathLike[str], title: str, *,
                  progress: Progress | None = None) -> Path:
    """Write the openpyxl workbook ``wb`` to ``path`` (.xlsx)."""
    prog = ensure(progress)
    wb.properties.title = title
    wb.properties.creator = "citymgr-desktop"
    with atomic_path(path, verify=verify.xlsx(sheets=len(wb.worksheets))) as tmp:
        data = io.BytesIO()  # zipped in memory: a full disk fails one plain write, not a
        wb.save(data)  # zip file that complains again when it is collected
        tmp.write_bytes(data.getvalue())
        prog.check()
    return Path(path)
