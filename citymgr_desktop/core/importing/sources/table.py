"""Tables with coordinates as import sources: CSV (any common encoding and delimiter) and XLSX.

Geometry comes from a WKT column or from an X/Y pair, given by the user or found by name in
English or Chinese (x/lon/经度, y/lat/纬度, wkt/geometry/几何). Values are read as text from
CSV (types are decided later, against the target field) and as stored from XLSX. A row whose
coordinates do not parse keeps a reason and no geometry; the rest of the table still reads.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError
from citymgr_desktop.core.importing.sources.base import (
    Columns,
    SourceData,
    SourceLayer,
    SourceOptions,
)
from citymgr_desktop.core.messages import Term, Text, msg

if TYPE_CHECKING:
    import pandas as pd

X_NAMES = ("x", "lon", "lng", "long", "longitude", "经度", "easting", "east", "pointx", "coordx",
           "xcoord", "x坐标", "横坐标", "东坐标", "东向坐标", "坐标x")
Y_NAMES = ("y", "lat", "latitude", "纬度", "northing", "north", "pointy", "coordy", "ycoord",
           "y坐标", "纵坐标", "北坐标", "北向坐标", "坐标y")
WKT_NAMES = ("wkt", "geom", "geometry", "shape", "the_geom", "geometrywkt", "几何", "坐标串",
             "空间信息", "图形")
_WKT_START = re.compile(r"^\s*(SRID=\d+;\s*)?(MULTI)?(POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)",
                        re.IGNORECASE)
ENCODINGS = ("utf-8-sig", "gb18030", "latin-1")


def norm_name(name: str) -> str:
    """Lower-case, units in brackets and separators removed: 'X坐标(m)' -> 'x坐标'."""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(name)).lower()
    return re.sub(r"[\s_\-./:：·]+", "", text)


def list_layers(path: Path) -> list[tuple[str, str | None]]:
    """The sheets of a workbook (the one table of a CSV) with the geometry their header
    and first row promise: "Point" (X/Y columns), "Unknown" (a WKT column) or None (no
    coordinate column found by name: the columns may still be named by hand)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            heads = {n: [list(r) for r in wb[n].iter_rows(max_row=2, values_only=True)]
                     for n in wb.sheetnames}
            wb.close()
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise BadFileError("{path}: not a readable Excel workbook ({reason})",
                               path=path, reason=exc) from None
        return [(n, _promised_geometry(rows)) for n, rows in heads.items()]
    return [(path.stem, _promised_geometry(_csv_head(path)))]


def _csv_head(path: Path) -> list[list[Any]]:
    """The header and first row of a CSV (its first 64 KiB, whole lines)."""
    try:
        with path.open("rb") as f:
            raw = f.read(65536)
    except OSError:
        return []  # reading it says why (read_table)
    text, _enc = decode_text(raw[:raw.rfind(b"\n") + 1] or raw, None)
    try:
        sep = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    return [row for _, row in zip(range(2), reader, strict=False)]


def _promised_geometry(rows: list[list[Any]]) -> str | None:
    if not rows:
        return None
    cols = [str(c) for c in rows[0] if c is not None]
    first = rows[1] if len(rows) > 1 else []
    if find_column(cols, WKT_NAMES) or any(isinstance(v, str) and _WKT_START.match(v)
                                           for v in first):
        return "Unknown"
    return "Point" if find_column(cols, X_NAMES) and find_column(cols, Y_NAMES) else None


def decode_text(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV and the encoding used (UTF-8, else GB18030, else Latin-1)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadFileError("cannot decode the table as {encoding}: {reason}",
                               encoding=encoding, reason=exc) from None
    for enc in ENCODINGS:
        try:
            return data.decode(enc), ("UTF-8" if enc == "utf-8-sig" else enc.upper())
        except UnicodeDecodeError:
            continue
    raise BadFileError("cannot decode the table")  # latin-1 never fails; kept for type checkers


def _read_frame(path: Path, opts: SourceOptions) -> tuple[pd.DataFrame, str | None, str]:
    import pandas as pd  # tables only: a GDAL source is read without pandas

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheet: Any = opts.layer if opts.layer is not None else 0
        names = [n for n, _ in list_layers(path)]
        if opts.layer is not None and opts.layer not in names:
            raise NotFoundError("{path}: no sheet {layer!r}; sheets: {names}",
                                path=path, layer=opts.layer, names=', '.join(names))
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
        return frame, None, str(opts.layer or names[0])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFileError("{path}: cannot be read ({reason})", path=path,
                           reason=exc.strerror) from None
    text, enc = decode_text(raw, opts.encoding)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BadFileError("{path}: not a readable CSV table ({reason})",
                           path=path, reason=str(exc).strip()) from None
    return frame, enc, path.stem


def find_column(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    by_norm = {norm_name(c): c for c in columns}
    for w in wanted:
        if w in by_norm:
            return by_norm[w]
    return None


def _looks_like_wkt(values: pd.Series) -> bool:
    for v in values:
        if isinstance(v, str) and v.strip():
            return bool(_WKT_START.match(v))
    return False


CLI_COLUMNS = Term("--x/--y or --wkt", "--x/--y 或 --wkt")


def no_coordinates(columns: str, choose: Term | str = CLI_COLUMNS) -> ValidationError:
    """The refusal of a table without coordinate columns; ``choose`` says where to name
    them in the caller's own words: the command line's options (``CLI_COLUMNS``), the
    wizard's fields in the app (``ui/importing/source_page.py``)."""
    return ValidationError("no coordinates found in the table's columns ({columns}): name them "
                           "X/Y, lon/lat, 经度/纬度 or WKT, or choose the coordinate columns "
                           "({choose})", columns=columns, choose=choose)


def _pick_columns(frame: pd.DataFrame, opts: SourceOptions) -> tuple[str | None, str | None,
                                                                      str | None]:
    cols = [str(c) for c in frame.columns]
    for given in (opts.wkt_field, opts.x_field, opts.y_field):
        if given is not None and given not in cols:
            raise NotFoundError("the table has no column {given!r}; columns: {columns}",
                                given=given, columns=', '.join(cols))
    if opts.wkt_field:
        return opts.wkt_field, None, None
    if opts.x_field or opts.y_field:
        if not (opts.x_field and opts.y_field):
            raise ValidationError("give both the X and the Y column")
        return None, opts.x_field, opts.y_field
    wkt = find_column(cols, WKT_NAMES)
    if wkt is None:
        wkt = next((c for c in cols if _looks_like_wkt(frame[c])), None)
    if wkt is not None:
        return wkt, None, None
    x, y = find_column(cols, X_NAMES), find_column(cols, Y_NAMES)
    if x and y:
        return None, x, y
    raise no_coordinates(', '.join(cols))


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    return float(text)


def read_table(path: Path, opts: SourceOptions, *, max_features: int | None = None
               ) -> SourceData:

    if opts.where:
        raise ValidationError("a filter (--where) works on GDAL sources, not on CSV/XLSX tables; "
                              "filter the table in a spreadsheet first")
    frame, enc, layer = _read_frame(path, opts)
    frame.columns = [str(c) for c in frame.columns]
    if max_features is not None:
        frame = frame.iloc[:max_features]
    frame.index = range(1, len(frame) + 1)
    frame = frame.astype(object).where(frame.notna(), None)
    wkt_col, x_col, y_col = _pick_columns(frame, opts)
    geoms = np.empty(len(frame), dtype=object)
    problems: dict[Any, Text] = {}
    for i, (fid, row) in enumerate(frame.iterrows()):
        try:
            if wkt_col is not None:
                text = row[wkt_col]
                if text is None or not str(text).strip():
                    problems[fid] = msg("no geometry: {column} is empty", column=wkt_col)
                    continue
                geoms[i] = shapely.from_wkt(re.sub(r"^\s*SRID=\d+;", "", str(text)))
            else:
                xv, yv = row[x_col], row[y_col]
                if xv is None or yv is None or not str(xv).strip() or not str(yv).strip():
                    problems[fid] = msg("no geometry: {x_column}/{y_column} empty",
                                        x_column=x_col, y_column=y_col)
                    continue
                x, y = _number(xv), _number(yv)
                if not (np.isfinite(x) and np.isfinite(y)):
                    raise ValueError
                geoms[i] = shapely.Point(x, y)
        except (ValueError, shapely.errors.GEOSException) as exc:
            if wkt_col is not None:
                problems[fid] = msg("unreadable WKT in {column}: {reason}", column=wkt_col,
                                    reason=str(exc)[:80])
            else:
                problems[fid] = msg("coordinates are not numbers: {x_column}={x!r}, "
                                    "{y_column}={y!r}", x_column=x_col, x=row[x_col],
                                    y_column=y_col, y=row[y_col])
    geom_type = "Unknown" if wkt_col else "Point"
    info = SourceLayer(str(path), layer, "CSV" if enc else "XLSX", geom_type, len(frame), None,
                       enc)
    if wkt_col:
        info.notes.append(msg("geometry from WKT column {column}", column=wkt_col))
    else:
        info.notes.append(msg("geometry from X column {x_column}, Y column {y_column}",
                              x_column=x_col, y_column=y_col))
    if enc:
        info.notes.append(msg("text encoding {encoding}", encoding=enc))
    return SourceData(info, Columns.from_frame(frame), geoms, problems, {},
                      swap_xy_possible=x_col is not None)
