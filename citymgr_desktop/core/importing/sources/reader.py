"""Read an import source: any vector format GDAL reads, plus CSV/XLSX tables with coordinates.

:func:`list_layers` names the layers of a source, :func:`describe_layer` lists a layer's fields
with their type, sample values and empty counts (what a person looks at before mapping), and
:func:`read_source` reads a whole layer into plain columns and Shapely geometries, keeping a
per-feature reason for every geometry that could not be read instead of failing the lot.
Shapefile encodings come from the ``.cpg`` (GDAL) or, without one, from the bytes of the
``.dbf``; curved geometries are linearised by GDAL through Fiona. What GDAL reads comes as an
Arrow table, which :mod:`arrow` turns into :class:`SourceData`.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

from pyproj import CRS

from citymgr_desktop.core import messages
from citymgr_desktop.core.errors import (
    BadFileError,
    CitymgrError,
    CrsError,
    NotFoundError,
    ValidationError,
)
from citymgr_desktop.core.importing import gcj as importer_gcj
from citymgr_desktop.core.importing.sources import table as importer_table
from citymgr_desktop.core.importing.sources.arrow import gdal_source_data
from citymgr_desktop.core.importing.sources.base import (
    SourceData,
    SourceField,
    SourceLayer,
    SourceOptions,
)
from citymgr_desktop.core.importing.sources.gdal import pyogrio
from citymgr_desktop.core.progress import Progress, ensure

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
SAMPLE_COUNT = 5
SAMPLE_ROWS = 2000  # rows read by describe_layer to find sample values


def check_source_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise BadFileError("{path}: no such file", path=p)
    if p.is_dir() and p.suffix.lower() != ".gdb":
        raise BadFileError("{path}: is a folder (only a FileGDB .gdb folder can be read)", path=p)
    return p


def is_table(path: Path) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES


def list_layers(path: str | Path) -> list[tuple[str, str | None]]:
    """The layers of a source as (name, geometry type or None)."""
    p = check_source_path(path)
    if is_table(p):
        return importer_table.list_layers(p)
    try:
        rows = pyogrio.list_layers(p)
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise source_fault(p, exc) or BadFileError(
            "{path}: not a vector format GDAL can read ({reason})",
            path=p, reason=_short(exc)) from None
    return [(str(name), None if gtype in (None, "None") else str(gtype)) for name, gtype in rows]


def resolve_layer(path: Path, layer: str | None) -> str:
    names = [n for n, _ in list_layers(path)]
    if not names:
        raise NotFoundError("{path}: has no layers", path=path)
    if layer is None:
        spatial = [n for n, g in list_layers(path) if g is not None]
        return (spatial or names)[0]
    if layer not in names:
        raise NotFoundError("{path}: no layer {layer!r}; layers: {names}",
                            path=path, layer=layer, names=', '.join(names))
    return layer


def shapefile_encoding(path: Path) -> str | None:
    """The attribute encoding of a Shapefile without a .cpg, guessed from the .dbf bytes.

    GDAL falls back to ISO-8859-1 there, which turns GBK text (common in Chinese offices)
    into mojibake: UTF-8 bytes stay UTF-8, other non-ASCII bytes are read as GB18030.
    """
    if path.suffix.lower() != ".shp":
        return None
    for ext in (".cpg", ".CPG"):
        if path.with_suffix(ext).exists():
            return None  # GDAL honours the .cpg
    dbf = next((path.with_suffix(e) for e in (".dbf", ".DBF") if path.with_suffix(e).exists()),
               None)
    if dbf is None:
        return None
    data = dbf.read_bytes()
    if len(data) > 29 and data[29] not in (0,):
        return None  # a language driver id: GDAL maps it to a code page
    if data[32:].isascii():  # every byte < 0x80, in C (a Python loop: ~1 s per 30 MB)
        return None
    try:
        data[32:].decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def describe_layer(path: str | Path, options: SourceOptions | None = None) -> SourceLayer:
    """A layer's fields with type, sample values and empty counts (reads a sample of rows)."""
    opts = options or SourceOptions()
    data = read_source(path, opts, max_features=SAMPLE_ROWS)
    info = describe_data(data)
    total = _feature_count(Path(path), info.name, opts)
    info.count = total if total >= 0 else (len(data) if len(data) < SAMPLE_ROWS else -1)
    return info


def describe_data(data: SourceData) -> SourceLayer:
    """Fill ``data.layer.fields`` from a layer already read (all of it, or a sample)."""
    info = data.layer
    info.count = len(data)
    info.fields = [_describe_field(str(name), data.attributes[name])
                   for name in data.attributes]
    return info


def _feature_count(path: Path, layer: str, opts: SourceOptions) -> int:
    if is_table(path):
        return -1
    try:
        n = int(pyogrio.read_info(path, layer=layer, encoding=_encoding(path, opts))["features"])
    except Exception:  # a count is a nicety; the sample is still shown
        return -1
    if opts.where or n < 0:
        return -1
    return n


def _describe_field(name: str, values: list[Any]) -> SourceField:
    present = [v for v in values if not is_empty(v)]
    samples: list[Any] = []
    for v in present:
        key = str(v)
        if key not in (str(s) for s in samples):
            samples.append(v)
        if len(samples) >= SAMPLE_COUNT:
            break
    return SourceField(name, _dtype_word(present), samples, len(values) - len(present),
                       len({str(v) for v in present}), len(present))


def _dtype_word(values: list[Any]) -> str:
    kinds = {type(v).__name__ for v in values}
    if not kinds:
        return "text"
    if kinds <= {"bool", "bool_"}:
        return "boolean"
    if kinds <= {"int", "int64", "int32"}:
        return "integer"
    if kinds <= {"int", "float", "int64", "float64"}:
        return "real"
    if kinds <= {"date"}:
        return "date"
    if kinds <= {"datetime", "Timestamp"}:
        return "datetime"
    if kinds <= {"str"}:
        return "text"
    return "mixed"


def is_empty(value: Any) -> bool:
    """True for None, NaN/NaT and blank strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ == "NaTType"  # pandas' NaT, without importing pandas


def _encoding(path: Path, opts: SourceOptions) -> str | None:
    return opts.encoding or shapefile_encoding(path)


def read_source(path: str | Path, options: SourceOptions | None = None, *,
                progress: Progress | None = None, max_features: int | None = None) -> SourceData:
    """Read one layer (``options.layer``, else the first spatial one) for import."""
    opts = options or SourceOptions()
    p = check_source_path(path)
    prog = ensure(progress)
    prog.update(0, 0, messages.msg("reading {file_name}", file_name=p.name))
    try:
        if is_table(p):
            data = importer_table.read_table(p, opts, max_features=max_features)
        else:
            data = _read_gdal(p, opts, max_features)
    except CitymgrError:
        raise
    except Exception as exc:  # GDAL, Arrow and pandas fail on damaged files in many ways
        raise source_fault(p, exc) or BadFileError(
            "{path}: cannot be read ({kind}: {reason})",
            path=p, kind=type(exc).__name__, reason=_short(exc)) from None
    apply_crs_options(data, opts)
    prog.check()
    return data


def apply_crs_options(data: SourceData, opts: SourceOptions) -> None:
    """The user's CRS override (or GCJ-02) on a layer read."""
    if importer_gcj.is_gcj02(opts.source_crs):
        data.layer.crs = CRS.from_epsg(4326)
        data.gcj02 = True
        data.layer.notes.append(
            messages.msg("GCJ-02 (Chinese web-map) coordinates converted to WGS 84"))
    elif opts.source_crs:
        data.layer.crs = parse_source_crs(opts.source_crs)
        data.layer.notes.append(messages.msg("CRS set by the user: {crs}",
                                             crs=data.layer.crs.name))


def parse_source_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except Exception:
        raise CrsError("unknown coordinate reference system {text!r} (give an EPSG code such as "
                       "EPSG:4490 or EPSG:4547, or GCJ02 for Chinese web-map data)",
                       text=text) from None


def _read_gdal(path: Path, opts: SourceOptions, max_features: int | None) -> SourceData:
    layer = resolve_layer(path, opts.layer)
    encoding = _encoding(path, opts)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta, table = pyogrio.read_arrow(path, layer=layer, where=opts.where or None,
                                             encoding=encoding, return_fids=True,
                                             max_features=max_features)
    except UnicodeDecodeError:
        if path.suffix.lower() != ".shp":
            raise BadFileError("{path}: attributes are not in the expected encoding; give the "
                               "encoding (e.g. --encoding GBK)", path=path) from None
        meta, table, cut = _read_cut_names(path, layer, opts, max_features)
        encoding = None  # names and values decoded here, from the bytes
    except (pyogrio.errors.FieldError, ValueError) as exc:
        if not opts.where:
            raise
        raise ValidationError("{path}: filter {where!r} is not valid for this layer ({reason}); "
                              'fields are quoted with "...", text with \'...\'',
                              path=path, where=opts.where, reason=_short(exc)) from None
    except (pyogrio.errors.DataLayerError, pyogrio.errors.DataSourceError) as exc:
        msg = _short(exc)
        if opts.where and ("where" in msg.lower() or "sql" in msg.lower()
                           or "attribute filter" in msg.lower()):
            raise ValidationError("{path}: filter {where!r} is not valid OGR SQL ({reason})",
                                  path=path, where=opts.where, reason=msg) from None
        raise source_fault(path, exc) or BadFileError(
            "{path}: cannot read layer {layer!r} ({reason})",
            path=path, layer=layer, reason=msg) from None
    else:
        cut = []
    return gdal_source_data(path, layer, opts, meta, table, encoding, cut,
                            [str(w.message) for w in caught], _driver(path, layer))


def declared_encoding(path: Path, opts: SourceOptions) -> str:
    """The encoding a Shapefile's text is in: given, else its .cpg, else guessed, else UTF-8."""
    if opts.encoding:
        return opts.encoding
    for ext in (".cpg", ".CPG"):
        cpg = path.with_suffix(ext)
        if cpg.exists():
            text = cpg.read_text(encoding="ascii", errors="ignore").strip()
            return {"65001": "UTF-8"}.get(text, text) or "UTF-8"
    return shapefile_encoding(path) or "UTF-8"


def _read_cut_names(path: Path, layer: str, opts: SourceOptions,
                    max_features: int | None) -> tuple[dict, Any, list[messages.Message]]:
    """Read a Shapefile whose field names are not whole characters in its encoding.

    dBASE field names have 10 bytes; GDAL cuts a longer UTF-8 name there, inside a
    character (``道路名称`` -> ``道路名`` + one byte of 称), and then cannot decode its own
    file. Read the bytes as Latin-1 (every byte is a character), then decode names and
    values in the real encoding: a name loses the cut character, values stay whole.
    """
    import pyarrow as pa

    real = declared_encoding(path, opts)
    try:
        meta, table = pyogrio.read_arrow(path, layer=layer, where=opts.where or None,
                                         encoding="ISO-8859-1", return_fids=True,
                                         max_features=max_features)
    except Exception as exc:  # the same file GDAL could not decode before: say so once
        raise BadFileError("{path}: attributes are not in the expected encoding; give the "
                           "encoding (e.g. --encoding GBK) ({reason})", path=path,
                           reason=_short(exc)) from None
    notes, names, arrays = [], [], []
    skip = {meta.get("fid_column") or "OGC_FID", meta.get("geometry_name") or "wkb_geometry"}
    for name, column in zip(table.column_names, table.columns, strict=True):
        raw = name.encode("latin-1")
        fixed = raw.decode(real, errors="ignore")
        try:
            raw.decode(real)
        except UnicodeDecodeError:
            notes.append(messages.msg("field name {name}… was cut inside a character by the "
                                      "program that wrote the file (10-byte dBASE names); read "
                                      "as {name!r}", name=fixed))
        if name not in skip and pa.types.is_string(column.type):
            try:
                column = pa.array([None if v is None else v.encode("latin-1").decode(real)
                                   for v in column.to_pylist()], type=pa.string())
            except UnicodeDecodeError:
                raise BadFileError("{path}: attributes are not in the expected encoding "
                                   "({encoding}); give the encoding (e.g. --encoding GBK)",
                                   path=path, encoding=real) from None
        names.append(fixed if name not in skip else name)
        arrays.append(column)
    return meta, pa.Table.from_arrays(arrays, names=names), notes


def _driver(path: Path, layer: str) -> str:
    try:
        return str(pyogrio.read_info(path, layer=layer).get("driver") or "")
    except Exception:  # informational only
        return ""


def source_fault(path: Path, exc: BaseException) -> BadFileError | None:
    """A source that cannot be read because of the state of the file, said as such: locked
    by the program that has it open, or damaged (GDAL words both as "cannot open")."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return BadFileError("{path}: locked by another program; close it there and try again",
                            path=path)
    if "malformed" in text or "not a database" in text or "disk image" in text:
        detail = "database disk image is malformed" if "malformed" in text else _short(exc)
        return BadFileError("{path}: the file is damaged ({detail}); restore it from a backup",
                            path=path, detail=detail)
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
