"""``citymgr export FILE --layer litter_bin --out bins.geojson``: one asset layer (all of
it, or the assets ``--where`` chooses) as GeoJSON, GeoPackage, CSV or XLSX for a crew or
another GIS, coded values as words (the document language) or, with ``--codes``, as the
stored codes. The same export as the app's Layer › Export layer…"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from citymgr_desktop.cli.commands._common import add_json, add_lang, add_overwrite

ORDER = 74
LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")
FORMATS = ("geojson", "gpkg", "csv", "xlsx")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="export an asset layer to GeoJSON, GeoPackage, CSV or XLSX",
        description="Write the assets of one layer to a file: GeoJSON in WGS 84 (RFC 7946, "
        "one geometry type per file), GeoPackage in the project's CRS with a QGIS style, CSV "
        "(UTF-8 with BOM, for Excel) or XLSX, both with a location point in WGS 84; XLSX "
        "dates and times are Excel dates. Headings and coded values are written as words in "
        "the language of --lang (default: CITYMGR_LANG, else Chinese, whatever the system "
        "locale; the messages follow the locale) or, with --codes, as the field names and "
        "stored codes. Retired assets are left out unless --retired. The file is written "
        "whole or not at all; a link is written through, a device or pipe is refused.")
    p.add_argument("file", help="a project GeoPackage (.gpkg), or a database (postgresql://… "
                   "or service=NAME)")
    p.add_argument("--layer", required=True, metavar="LAYER",
                   help="the asset layer: " + ", ".join(LAYERS) + " (another: exit 10)")
    p.add_argument("--out", required=True, help="the file to write (.geojson, .gpkg, .csv, "
                   ".xlsx; not - : no output goes to standard output)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="the format (default: from the --out file's suffix)")
    p.add_argument("--where", metavar="EXPR", default=None,
                   help="only the assets this expression chooses, e.g. \"condition >= 4 and "
                   "district = '徐家棚街道'\" (docs/expressions.md)")
    p.add_argument("--codes", action="store_true",
                   help="write coded values as the stored codes, and CSV/XLSX headings as "
                   "the field names (default: words, and the fields' labels; a time column's "
                   "names the office zone, e.g. 更新时间（办公时间 UTC+8）)")
    p.add_argument("--retired", action="store_true", help="include retired assets")
    add_overwrite(p)
    add_json(p)
    add_lang(p, document="the file: its headings and coded values")
    p.set_defaults(func=run)


def output_format(out: str, given: str | None) -> str:
    """The format: ``--format``, else the suffix of ``--out``; an unknown suffix is a bad
    file name (exit 3), one that disagrees with ``--format`` too."""
    from citymgr_desktop.core.errors import BadFileError

    suffix = Path(out).suffix.lower().lstrip(".")
    by_suffix = {"json": "geojson", "geojson": "geojson", "gpkg": "gpkg", "csv": "csv",
                 "xlsx": "xlsx"}.get(suffix)
    if given is None and by_suffix is None:
        raise BadFileError("{path}: cannot tell the format from its name; give --format "
                           "({formats})", path=out, formats=", ".join(FORMATS))
    if given is not None and by_suffix is not None and by_suffix != given:
        raise BadFileError("{path}: a .{suffix} file cannot hold {format}", path=out,
                           suffix=suffix, format=given)
    return given or str(by_suffix)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._common import (
        cli_language,
        document_language,
        print_json,
        refuse_overwrite,
        terminal_progress,
    )
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.model.schema import table
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.layer_export import export_layer

    refuse_overwrite(args.out, args.overwrite)  # "-", a device: refused before the format
    fmt = output_format(args.out, args.format)
    t0 = time.perf_counter()
    with open_store(args.file, read_only=True) as store:
        result = export_layer(store, args.layer, args.out, fmt, where=args.where,
                              include_retired=args.retired, codes=args.codes,
                              lang="zh" if document_language() == "zh_CN" else "en",
                              progress=terminal_progress("export"))
    if args.json:
        print_json({**result, "seconds": round(time.perf_counter() - t0, 2)})
        return 0
    print(msg("wrote {path}: {features:,} asset(s) of {layer} as {format}",
              path=result["out"], features=result["features"],
              layer=table(args.layer).label("zh" if cli_language() == "zh_CN" else "en"),
              format=fmt).render(cli_language()))
    return 0
