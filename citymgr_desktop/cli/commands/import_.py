"""``citymgr import FILE SOURCE --as CLASS``: bring a vector source into a project.

Field and value mappings are suggested automatically, then a profile (``--profile``) or the
command line (``--map``, ``--values``, ``--set``) adjusts them. ``--dry-run`` reports what
would happen; otherwise the import runs as one transaction and the same report is printed.
``--list`` shows the source's layers, fields with sample values and the suggested mapping.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_overwrite,
    add_user,
    cli_language,
    end_at_once,
    print_json,
    refuse_overwrite,
    terminal_progress,
    without_cycle_collector,
)

if TYPE_CHECKING:
    from citymgr_desktop.core.importing import ImportMapping
    from citymgr_desktop.core.importing.sources import SourceOptions

ASSET_CLASSES = "road_segment, bridge, green_space, litter_bin"

ORDER = 40


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="import a vector source (Shapefile, GeoJSON, GPKG, CSV, KML, ...)",
        description="Import a layer of any source GDAL reads (GeoPackage, Shapefile with .cpg/"
        ".prj, GeoJSON, FileGDB, KML, OpenStreetMap) or a CSV/XLSX table with X/Y or WKT "
        "columns into one asset class. Fields and value words are matched automatically, or "
        "taken from the previous import of the same source (the project remembers them). A "
        "second import of the same source updates the assets it made (by source_id), but only "
        "where the delivery changed a value since its previous delivery: a value changed in "
        "the project meanwhile stays, and the report lists it (--on-conflict).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  citymgr import city.gpkg roads.shp --as road_segment --dry-run\n"
        "  citymgr import postgresql://gis@db.example/city bins.shp --as litter_bin\n"
        "  citymgr import city.gpkg bins.csv --as litter_bin --map 编号=source_id "
        "--values condition:破=4 --set district=东湖街道\n"
        "  citymgr import city.gpkg osm.pbf --layer lines --where \"highway='primary'\" "
        "--as road_segment --id-field osm_key --id-prefix osm:")
    p.add_argument("file", help="the project: a GeoPackage, or a database (postgresql://… or "
                   "service=NAME)")
    p.add_argument("source", help="the file to import (a FileGDB is a .gdb folder)")
    p.add_argument("--layer", help="layer (or sheet) of the source; default: the first one")
    p.add_argument("--as", dest="target", metavar="CLASS",
                   help=f"asset class to import into: {ASSET_CLASSES}")
    p.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                   help="source field SRC fills asset field DST (repeatable)")
    p.add_argument("--unmap", action="append", default=[], metavar="DST",
                   help="leave asset field DST unfilled although it was suggested")
    p.add_argument("--values", action="append", default=[], metavar="FIELD:WORD=CODE",
                   help="value word WORD of FIELD means domain code CODE; an empty CODE "
                   "leaves the field empty (repeatable). For district (街道) CODE is a 街道 "
                   "name: a 街道 the project does not have is a warning unless mapped, "
                   "e.g. district:火星街道=火星街道 keeps it as a new one, district:火星街道= "
                   "leaves it to the nearest asset")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="constant for FIELD where the source has no value (repeatable)")
    p.add_argument("--id-field", help="source field with the features' own ids (source_id)")
    p.add_argument("--id-prefix", help="text put before every source id, e.g. 'osm:'")
    p.add_argument("--profile", help="load the mapping from a JSON/TOML profile")
    p.add_argument("--save-profile", help="save the mapping used to a JSON/TOML profile")
    p.add_argument("--no-suggest", action="store_true",
                   help="do not suggest a mapping, nor take the one the previous import of "
                   "this source used (the project remembers it)")
    p.add_argument("--where", help="attribute filter in OGR SQL, e.g. \"highway IS NOT NULL\"")
    p.add_argument("--source-crs", help="CRS of the source when it states none or a wrong one")
    p.add_argument("--accept-ballpark", action="store_true",
                   help="accept an approximate datum shift (e.g. Beijing 1954 -> CGCS2000)")
    p.add_argument("--transformation", type=int, metavar="N",
                   help="use PROJ's N-th transformation for the data's extent instead of the "
                   "first (the report lists them with their accuracy)")
    p.add_argument("--encoding", help="attribute encoding (e.g. GBK) when the source lacks one")
    p.add_argument("--x", dest="x_field", help="tables: the X (easting/longitude) column")
    p.add_argument("--y", dest="y_field", help="tables: the Y (northing/latitude) column")
    p.add_argument("--wkt", dest="wkt_field", help="tables: the WKT geometry column")
    p.add_argument("--multipart", choices=["explode", "refuse"],
                   help="multi-part lines/points: one asset per part (default) or skip")
    p.add_argument("--no-repair", action="store_true",
                   help="skip invalid geometries instead of repairing them")
    p.add_argument("--no-to-point", action="store_true",
                   help="skip lines/areas for point classes instead of taking a point")
    p.add_argument("--on-conflict", choices=["project", "delivery"],
                   help="a field changed both in the project and in this delivery since the "
                   "source's previous delivery: keep the project's value and list it "
                   "(default) or take the delivery's. A field the delivery did not change "
                   "keeps the project's value either way")
    p.add_argument("--on-unmatched", choices=["empty", "skip"],
                   help="a value word that matches no code: leave the field empty (default) "
                   "or skip the feature")
    p.add_argument("--dry-run", action="store_true", help="report only; change nothing")
    p.add_argument("--report", help="also write the report as JSON to this file")
    p.add_argument("--list", action="store_true",
                   help="show the layers, fields, samples and suggested mapping; no import")
    add_user(p, "who imports, recorded in updated_by (default: your login)")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def _pair(text: str, what: str) -> tuple[str, str]:
    from citymgr_desktop.core.errors import ValidationError

    if "=" not in text:
        raise ValidationError("{what} {text!r} must look like A=B", what=what, text=text)
    a, b = text.split("=", 1)
    return a.strip(), b.strip()


def source_options(args: argparse.Namespace, base: SourceOptions | None) -> SourceOptions:
    from citymgr_desktop.core.importing.sources import SourceOptions

    opts = base or SourceOptions()
    for name in ("layer", "where", "encoding", "source_crs", "x_field", "y_field", "wkt_field"):
        if getattr(args, name) is not None:
            setattr(opts, name, getattr(args, name))
    return opts


def build_mapping(args: argparse.Namespace, opts: SourceOptions,
                  profile: ImportMapping | None, store: Any = None) -> ImportMapping:
    """The mapping: a profile's, else the one the previous import of the source used
    (remembered in ``store``), else the suggestions; then the options adjust it."""
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.importing import ImportMapping
    from citymgr_desktop.core.importing import run as importer
    from citymgr_desktop.core.importing.geometry import GeometryOptions

    target = args.target or (profile.table if profile else None)
    if target is None:
        raise ValidationError("give the asset class with --as (road_segment, bridge, "
                              "green_space, litter_bin) or a --profile")
    if profile is not None:
        mapping = profile
        mapping.table = target
    elif args.no_suggest:
        mapping = ImportMapping(target)
        mapping.target()
    else:
        from citymgr_desktop.core.importing.memory import remembered_mapping

        ImportMapping(target).target()  # an unknown class is refused before reading
        layer = importer.describe_layer(args.source, opts)
        found = remembered_mapping(store, layer, target) if store is not None else None
        if found is not None:
            mapping, args.remembered = found[0], found[2]
        else:
            mapping = importer.suggest_mapping(layer, target)
    for item in args.map:
        src, dst = _pair(item, "--map")
        for k in [k for k, v in mapping.fields.items() if v == src]:
            del mapping.fields[k]
        mapping.fields[dst] = src
    if args.id_field:
        mapping.fields["source_id"] = args.id_field
    for dst in args.unmap:
        mapping.fields.pop(dst, None)
        mapping.values.pop(dst, None)
    for item in args.set:
        f, v = _pair(item, "--set")
        mapping.constants[f] = v
    for item in args.values:
        if ":" not in item:
            raise ValidationError("--values {item!r} must look like FIELD:WORD=CODE", item=item)
        f, rest = item.split(":", 1)
        word, code = rest.rsplit("=", 1) if "=" in rest else (rest, None)
        if code is None:
            raise ValidationError("--values {item!r} must look like FIELD:WORD=CODE", item=item)
        f = _asset_field(f.strip(), mapping)
        mapping.values.setdefault(f, {})[word.strip()] = code.strip() or None
    if args.id_prefix is not None:
        mapping.id_prefix = args.id_prefix
    if args.on_unmatched:
        mapping.on_unmatched = args.on_unmatched
    if args.on_conflict:
        mapping.on_conflict = args.on_conflict
    g = mapping.geometry
    mapping.geometry = GeometryOptions(args.multipart or g.multipart,
                                       g.repair and not args.no_repair,
                                       g.to_point and not args.no_to_point)
    mapping.accept_ballpark = mapping.accept_ballpark or args.accept_ballpark
    if args.transformation is not None:
        mapping.transformation = args.transformation
    return mapping


def _asset_field(name: str, mapping: ImportMapping) -> str:
    """``--values`` may name the asset field or the source field that fills it."""
    if name in mapping.target().field_names():
        return name
    for dst, src in mapping.fields.items():
        if src == name:
            return dst
    return name  # mapping.check() names the problem


FIELD_TYPES = {"text": "文本", "integer": "整数", "real": "小数", "date": "日期",
               "datetime": "日期时间", "boolean": "是/否", "mixed": "混合"}  # what --list says


def list_source(args: argparse.Namespace, opts: SourceOptions) -> int:
    from citymgr_desktop.core.importing import run as importer
    from citymgr_desktop.core.importing.geometry_names import geometry_type_name
    from citymgr_desktop.core.messages import Term, joined, msg, render

    lang = cli_language()
    layers = importer.list_layers(args.source)
    print(msg("{source}: {count} layer(s)", source=args.source, count=len(layers)).render(lang))
    for name, gtype in layers:
        print(f"  {name:<30} {render(geometry_type_name(gtype), lang)}")
    info = importer.describe_layer(args.source, opts)
    count = (msg("{count} feature(s)", count=info.count) if info.count >= 0
             else msg("count unknown"))
    crs = Term("(none)", "无") if info.crs_name == "(none)" else info.crs_name
    encoding = msg(", encoding {encoding}", encoding=info.encoding) if info.encoding else ""
    print("\n" + msg("layer {name}: {geometry}, {count}, CRS {crs}{encoding}", name=info.name,
                     geometry=geometry_type_name(info.geometry_type), count=count, crs=crs,
                     encoding=encoding).render(lang))
    for note in info.notes:
        print("  " + msg("note: {note}", note=note).render(lang))
    for f in info.fields:
        samples = (msg("e.g. {values}", values=joined(repr(s) for s in f.samples))
                   if f.samples else msg("(all empty)"))
        print(("  " + msg("{name:<24} {type:<8} empty {empty:>5}  {samples}", name=f.name,
                          type=Term(f.dtype, FIELD_TYPES.get(f.dtype, f.dtype)),
                          empty=f.empty, samples=samples).render(lang))[:160])
    if args.target:
        mapping = importer.suggest_mapping(info, args.target)
        print("\n" + msg("suggested mapping -> {target}:", target=args.target).render(lang))
        for dst, src in mapping.fields.items():
            print(f"  {dst:<18} <- {src}")
        for dst, words in mapping.values.items():
            for w, c in words.items():
                print(f"  {dst}: {w!r} -> {c!r}")
    return 0


def _write_report(path: str | None, data: dict[str, Any]) -> None:
    from citymgr_desktop.core.errors import BadFileError

    if not path:
        return
    from citymgr_desktop.core.atomic import atomic_path

    p = Path(path)
    try:
        with atomic_path(p) as tmp:
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n",
                           encoding="utf-8")
    except OSError as exc:
        raise BadFileError("{path}: the report cannot be written ({reason})",
                           path=p, reason=exc.strerror) from None


def run(args: argparse.Namespace) -> int:
    # Python's cycle collector, run again and again over each batch's candidates and values
    # while they are alive, was ~0.8-1.2 s of CPU of a 100,000-feature import (~18%); the
    # import leaves ~800 objects in cycles whatever the source's size (its libraries'
    # start), so it is off for the command (as for ``citymgr render``)
    # NumPy's OpenBLAS starts a thread per core at import, which then spins for a while: no
    # import does matrix algebra (~50 ms of CPU of a 20,000-point import, on the other core;
    # as ``citymgr render`` does); a value the user set is kept
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with without_cycle_collector():
        return _import(args)


def _import(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.errors import BadFileError, CitymgrError
    from citymgr_desktop.core.importing import run as importer
    from citymgr_desktop.core.importing.profile import load_profile, save_profile
    from citymgr_desktop.core.store import open_store

    for out in (args.report, args.save_profile):  # refuse before importing, not after
        if out and not Path(out).resolve().parent.is_dir():
            raise BadFileError("{out}: folder {folder} does not exist",
                               out=out, folder=Path(out).resolve().parent)
        if out != args.profile:
            refuse_overwrite(out, args.overwrite)
    try:
        profile, popts = load_profile(args.profile) if args.profile else (None, None)
        opts = source_options(args, popts)
        if args.list:
            return list_source(args, opts)
        with open_store(args.file) as store:
            args.remembered = ""
            mapping = build_mapping(args, opts, profile, store)
            result = importer.run_import(store, args.source, mapping, opts,
                                         dry_run=args.dry_run, user=acting_user(args.user),
                                         progress=terminal_progress("import"),
                                         keep_deltas=False)
            result.report.remembered = args.remembered
    except CitymgrError as exc:
        with contextlib.suppress(CitymgrError):  # the first error is the one to tell
            _write_report(args.report, {"source": args.source, "error": str(exc),
                                        "category": exc.category, "applied": False})
        raise
    if args.save_profile:
        save_profile(args.save_profile, mapping, opts)
    _write_report(args.report, result.report.to_dict())
    if args.json:
        print_json(result.report.to_dict())
    else:
        print(result.report.to_text(cli_language()))
    end_at_once()  # the store is closed, the report and profile written
    return 0
