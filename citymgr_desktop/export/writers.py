"""The one set of file writers every data export uses (work orders, layers): a frame to
GeoJSON (RFC 7946: WGS 84, 7 decimals), frames to the layers of a GeoPackage 1.3 with QGIS
styles, rows to a CSV Excel opens (UTF-8 with BOM), sheets to an XLSX. Each writes under a
temporary name, checks the file the way its readers will (:mod:`export.verify`) and renames
it, so a cancel, a failure or a full disk leaves nothing half-written.

Rows hold dates and times as values (``datetime.date``; ``datetime.datetime``, naive, in the
time the headings name: office time): the CSV writes them as text (``2026-10-01`` and
``2026-10-01 17:00``), the XLSX as Excel dates (serial numbers formatted ``yyyy-mm-dd`` and
``yyyy-mm-dd hh:mm``) that Excel sorts and filters as dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.export import verify

WGS84 = "EPSG:4326"
# Excel's number formats of dates and times: the text the CSV has (cell_text)
DATE_FORMATS: dict[type, str] = {dt.datetime: "yyyy-mm-dd hh:mm", dt.date: "yyyy-mm-dd"}
_EXCEL_DAY0 = dt.datetime(1899, 12, 30)  # serial 0 of Excel's 1900 date system
_EXCEL_FIRST = dt.datetime(1900, 3, 1)  # before it Excel's serials slip a day (1900-02-29)
_DATES = (dt.datetime, dt.date)
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
    times = [i for i, kind in date_columns(records[1:], len(records[0]) if records else 0)
             .items() if kind is dt.datetime]  # a date's str() is the text already
    with atomic_path(path, verify=verify.csv_rows(len(records))) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh, dialect="excel").writerows(
                [["" if v is None else v for v in _times_as_text(row, times)]
                 for row in records])
        prog.check()
    return Path(path)


def date_columns(rows: Sequence[Sequence[Any]], width: int) -> dict[int, type]:
    """The columns of dates or of times among ``width`` columns (the type of a column's
    first value says: the rows' makers give a column one type) -> ``datetime.date`` or
    ``datetime.datetime``."""
    kinds: dict[int, type] = {}
    for i in range(width):
        first = next((row[i] for row in rows if i < len(row) and row[i] is not None), None)
        kind = next((k for k in _DATES if isinstance(first, k)), None)
        if kind is not None:
            kinds[i] = kind
    return kinds


def _times_as_text(row: Sequence[Any], columns: list[int]) -> Sequence[Any]:
    """``row`` with the times of ``columns`` as :func:`cell_text` (the row as it is when
    there are none: the other cells are left to the csv module)."""
    if not columns:
        return row
    out = list(row)
    for i in columns:
        value = out[i] if i < len(out) else None
        if isinstance(value, dt.datetime):
            out[i] = cell_text(value)
    return out


def cell_text(value: dt.date) -> str:
    """A date or time as the CSV (and an XLSX cell Excel cannot hold as a date) writes it:
    ``2026-10-01``, ``2026-10-01 17:00`` (to the minute, as the app shows times)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "minutes")  # naive: 2026-10-01 17:00
    return value.isoformat()


@dataclass
class Sheet:
    """One worksheet of :func:`write_xlsx`: a bold, shaded, frozen and filtered header row
    of ``headings``, then ``rows``; ``note(i)``: a comment on the i-th heading (None for
    none)."""

    title: str
    headings: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float]
    note: Callable[[int], str | None] | None = None


def write_xlsx(sheets: Sequence[Sheet], path: str | os.PathLike[str], title: str, *,
               progress: Progress | None = None) -> Path:
    """``sheets`` as an XLSX workbook titled ``title``. openpyxl writes the workbook with
    the header rows (styles, widths, comments); the data rows are written into each sheet's
    XML as they come (openpyxl's cell objects took 35 s for 120,000 rows of 21 columns,
    nearly all of it its XML writing cell by cell), values as numbers, booleans, Excel dates
    or inline text (never a formula)."""
    from openpyxl import Workbook

    prog = ensure(progress)
    wb = Workbook()
    wb.remove(wb.active)
    styles = []
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        _header(ws, sheet)
        styles.append(_date_styles(ws, sheet))
    wb.properties.title = title
    wb.properties.creator = "citymgr-desktop"
    with atomic_path(path, verify=verify.xlsx(sheets=len(sheets))) as tmp:
        headers = io.BytesIO()
        wb.save(headers)
        data = io.BytesIO()  # zipped in memory: a full disk fails one plain write, not a
        with zipfile.ZipFile(headers) as src, zipfile.ZipFile(  # zip file that complains
                data, "w", zipfile.ZIP_DEFLATED) as out:  # again when it is collected
            for info in src.infolist():
                xml = src.read(info.filename)
                number = _SHEET_XML.fullmatch(info.filename)
                if number is None:
                    out.writestr(info, xml)
                    continue
                index = int(number.group(1)) - 1
                with out.open(info.filename, "w") as member:
                    _sheet_xml(member, xml, sheets[index], styles[index], prog)
        tmp.write_bytes(data.getvalue())
        prog.check()
    return Path(path)


_SHEET_XML = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
# text in XML: &, < and > escaped, the characters XML 1.0 cannot hold left out
_XML_TEXT: dict[int, str | None] = {
    **{c: None for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0xD800, 0xE000),
                         0xFFFE, 0xFFFF]},
    ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#13;"}
CELL_CHARS = 32_767  # the most a cell holds (Excel's limit; a longer text: a damaged book)


def _header(ws: Any, sheet: Sheet) -> None:
    """The header row, the column widths, the frozen header and the filter of ``sheet``."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append(list(sheet.headings))
    for i, cell in enumerate(ws[1]):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(vertical="center")
        text = sheet.note(i) if sheet.note is not None else None
        if text:
            cell.comment = Comment(text, "citymgr-desktop")
    for i, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"
    if sheet.rows:
        ws.auto_filter.ref = _range(len(sheet.headings), len(sheet.rows) + 1)


def _date_styles(ws: Any, sheet: Sheet) -> dict[type, int]:
    """Give each column of dates (or of times: its first value says) Excel's date (or date
    and time) format; returns the style ids of the cells of each kind."""
    from openpyxl.utils import get_column_letter

    ids: dict[type, int] = {}
    for i, kind in date_columns(sheet.rows, len(sheet.headings)).items():
        column = ws.column_dimensions[get_column_letter(i + 1)]
        column.number_format = DATE_FORMATS[kind]
        ids[kind] = column.style_id
    return ids


def _range(columns: int, rows: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"A1:{get_column_letter(max(columns, 1))}{rows}"


def _sheet_xml(member: Any, xml: bytes, sheet: Sheet, styles: dict[type, int],
               prog: Progress) -> None:
    """openpyxl's XML of a sheet (its header row) with ``sheet.rows`` after that row and the
    sheet's dimension covering them (``styles``: :func:`_date_styles`)."""
    from openpyxl.utils import get_column_letter

    text = xml.decode("utf-8")
    dimension = f'<dimension ref="{_range(len(sheet.headings), len(sheet.rows) + 1)}"/>'
    text = re.sub(r'<dimension ref="[^"]*"\s*/>', lambda _m: dimension, text, count=1)
    head, tail = text.split("</sheetData>", 1)
    member.write(head.encode("utf-8"))
    letters = [get_column_letter(i + 1) for i in range(max(
        (len(r) for r in sheet.rows), default=0))]
    chunk: list[str] = []
    for n, row in enumerate(sheet.rows, start=2):
        chunk.append(f'<row r="{n}">')
        chunk.extend(_cell(f"{letter}{n}", value, styles)
                     for letter, value in zip(letters, row, strict=False) if value is not None)
        chunk.append("</row>")
        if n % 5000 == 0:
            member.write("".join(chunk).encode("utf-8"))
            chunk = []
            prog.check()
    member.write(("".join(chunk) + "</sheetData>" + tail).encode("utf-8"))


def _cell(ref: str, value: Any, styles: dict[type, int]) -> str:
    """One cell's XML: a number, a boolean, a date or time as an Excel date (a serial number
    of days, styled by ``styles``), else inline text (XML-escaped, characters XML cannot
    hold left out, cut at :data:`CELL_CHARS` with "…"; a text is never read as a formula)."""
    kind = type(value)
    if kind is not str:
        if kind is bool:
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, numbers.Integral):
            return f'<c r="{ref}"><v>{int(value)}</v></c>'
        if isinstance(value, numbers.Real) and math.isfinite(value):
            return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
        if isinstance(value, _DATES):
            serial = _serial(value)
            style = styles.get(dt.datetime if isinstance(value, dt.datetime) else dt.date)
            if serial is not None and style is not None:
                return f'<c r="{ref}" s="{style}"><v>{serial!r}</v></c>'
            value = cell_text(value)
    text = str(value)
    if len(text) > CELL_CHARS:  # cut, and say so with the last character
        text = text[:CELL_CHARS - 1] + "…"
    text = text.translate(_XML_TEXT)
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _serial(value: dt.date) -> float | int | None:
    """Excel's serial number of a date (whole days) or a naive time (days and a fraction
    since 1899-12-30); None before 1900-03-01 (Excel's serials slip a day there) or for an
    aware time (the cell would hide its zone): those are written as text."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None or value < _EXCEL_FIRST:
            return None
        return (value - _EXCEL_DAY0) / dt.timedelta(days=1)
    if value < _EXCEL_FIRST.date():
        return None
    return (value - _EXCEL_DAY0.date()).days
