"""``citymgr print-map FILE --out OUT.pdf|.png``: a maintenance map (维修图) at a true scale,
or an atlas of one page per sub-district, grid cell or work order."""

from __future__ import annotations

import argparse
import sys
import time

from citymgr_desktop.cli.commands._backdrop import (
    add_backdrop_options,
    backdrop_for,
    warn_missing,
)
from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_list,
    add_overwrite,
    add_user,
    cli_language,
    document_language,
    print_json,
    refuse_overwrite,
    terminal_progress,
    usage_error,
)

ORDER = 60
PART_OF_AREA = 0.98  # a sheet showing less of the area asked for says so
PANEL_FLAGS = ("title", "legend", "scale_bar", "north_arrow", "grid", "overview", "footer")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "print-map", help="print a true-scale maintenance map or an atlas to PDF/PNG",
        description="Print a maintenance map (维修图): the map at a true scale (1:500 to "
        "1:50,000, or fitted to the area and rounded to a nice scale) on an ISO A0-A4 sheet, with "
        "title, coordinate grid in the map CRS, north arrow, scale bar, a legend of exactly the "
        "categories shown, an overview of the district and a footer. PDF output is vector "
        "(text stays searchable); PNG output is raster at --dpi. With --atlas, one page per "
        "sub-district, grid cell or work order, in one PDF.")
    p.add_argument("file", help="a project GeoPackage (.gpkg)")
    p.add_argument("--out", required=True, help="output file ending in .pdf or .png")
    p.add_argument("--paper", default="A3", type=str.upper,
                   help="A0, A1, A2, A3 or A4 (default A3)")
    p.add_argument("--orientation", default="landscape", type=str.lower,
                   help="portrait or landscape (default landscape)")
    p.add_argument("--scale", type=_scale,
                   help="scale denominator, e.g. 2000 for 1:2000 (500-50000; default: fit)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--bbox", type=_bbox, metavar="MINX,MINY,MAXX,MAXY",
                       help="area to print, in the map CRS (fit, or centre with --scale)")
    where.add_argument("--district", metavar="NAME",
                       help="frame one sub-district (街道) on its assets, the other 街道's "
                       "paler around them (the file has no 街道 boundary to draw); with "
                       "--atlas, only its pages")
    p.add_argument("--atlas", choices=("district", "grid", "workorder"),
                   help="one page per sub-district, grid cell (bgid) or work order, in one PDF")
    add_list(p, "--case", "--cases", dest="cases", metavar="CASE",
             help="with --atlas workorder: only these case numbers")
    p.add_argument("--open-only", action="store_true",
                   help="with --atlas workorder: only orders not closed or cancelled")
    p.add_argument("--title", default="", help="title (default: Maintenance map / 维修图)")
    p.add_argument("--subtitle", default="", help="subtitle under the title")
    add_user(p, "author in the footer (default: your login)", old=("--author",))
    p.add_argument("--source", default="", help="data source in the footer (default: file name)")
    add_list(p, "--layers", metavar="LAYER", help="visible layers (default: all asset layers)")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution, 30-1200 (default 300)")
    p.add_argument("--margins", type=float, default=10.0, help="page margins in mm (default 10)")
    p.add_argument("--north", choices=("true", "grid"), default="true",
                   help="north arrow to true north (default) or grid north")
    p.add_argument("--no-labels", action="store_true", help="leave out the road names")
    p.add_argument("--no-codes", action="store_true",
                   help="leave out the object codes written beside assets in condition 4-5 "
                        "(written on sheets of 1:10,000 and larger)")
    for flag in PANEL_FLAGS:
        p.add_argument(f"--no-{flag.replace('_', '-')}", dest=f"no_{flag}", action="store_true",
                       help=f"leave out the {flag.replace('_', ' ')}")
    add_backdrop_options(p)
    add_overwrite(p)
    add_json(p)
    add_lang(p, document="the sheet")
    p.set_defaults(func=run)


def _scale(text: str) -> int:
    value = text.strip().replace(",", "")
    if value.startswith("1:"):
        value = value[2:]
    try:
        return int(float(value))
    except ValueError:
        raise usage_error("not a scale: {text!r} (e.g. 2000 or 1:2000)", text=text) from None


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[2] > parts[0] and parts[3] > parts[1]):
        raise usage_error("--bbox must be MINX,MINY,MAXX,MAXY with max > min, got {text!r}",
                          text=text)
    return parts[0], parts[1], parts[2], parts[3]


def run(args: argparse.Namespace) -> int:
    # the libraries without Qt first, on the main thread: PySide6 reads the source of every
    # module imported after it (its ``__feature__`` hook); the map is read with sqlite3
    # (``Store.read_for_drawing``), so neither GDAL nor pandas is imported
    import numpy  # noqa: F401
    import pyproj  # noqa: F401
    import shapely  # noqa: F401

    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.messages import Term, joined, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.fonts import ensure_gui_application
    from citymgr_desktop.export.print_map import geometry as lg
    from citymgr_desktop.export.print_map.layout import PrintSettings, export_map, resolve_area
    from citymgr_desktop.export.print_map.map_frame import MapSource

    # the words of the "wrote" line in --lang (English as it always was)
    atlas_words = {"district": Term("district", "街道"), "grid": Term("grid", "单元网格"),
                   "workorder": Term("workorder", "工单")}
    orientation = {"landscape": Term("landscape", "横向"), "portrait": Term("portrait", "纵向")}
    if (args.cases or args.open_only) and args.atlas != "workorder":
        raise ValidationError("--cases and --open-only go with --atlas workorder")
    if args.bbox and args.atlas:
        raise ValidationError("--bbox does not go with --atlas (each page is framed on its "
                              "feature; use --district to keep one sub-district's pages)")
    refuse_overwrite(args.out, args.overwrite)
    elements = lg.Elements(**{f: not getattr(args, f"no_{f}") for f in PANEL_FLAGS})
    settings = PrintSettings(
        paper=args.paper, orientation=args.orientation, margins_mm=args.margins,
        title=args.title, subtitle=args.subtitle, scale=args.scale, bbox=args.bbox,
        district=None if args.atlas else args.district,
        layers=tuple(args.layers) if args.layers else None, elements=elements,
        lang=document_language(), author=acting_user(args.user), source=args.source,
        dpi=args.dpi, north=args.north, labels=not args.no_labels,
        codes=not args.no_codes).validated()
    ensure_gui_application()
    t0 = time.perf_counter()
    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        source = MapSource(store, settings.layers, settings.lang)
        source.backdrop = backdrop_for(store, args)
        if args.atlas:
            from citymgr_desktop.export.print_map.atlas import export_atlas

            result = export_atlas(source, settings, args.atlas, args.out,
                                  terminal_progress("atlas"), district=args.district,
                                  cases=args.cases, open_only=args.open_only)
            warn_missing(source.backdrop)
            scales = sorted({r.plan.scale for r in result.reports})
            if args.json:
                print_json({"out": args.out, "pages": result.pages, "atlas": args.atlas,
                            "paper": settings.paper, "orientation": settings.orientation,
                            "scales": scales, "lang": settings.lang,
                            "seconds": round(time.perf_counter() - t0, 2)})
                return 0
            print(msg("wrote {path}: {pages} page(s), one per {atlas}, {paper} {orientation}, "
                      "scale(s) {scales} in {seconds:.1f} s", path=args.out,
                      pages=result.pages, atlas=atlas_words[args.atlas], paper=settings.paper,
                      orientation=orientation.get(settings.orientation,
                                                  settings.orientation),
                      scales=joined((f"1:{s}" for s in scales), ", ", "、"),
                      seconds=time.perf_counter() - t0).render(cli_language()))
            return 0
        report = export_map(source, settings, args.out, terminal_progress("print"))
        warn_missing(source.backdrop)
        area = resolve_area(source, settings)
    plan = report.plan
    shown = lg.share_shown(area, plan.extent)
    if settings.scale is not None and shown < PART_OF_AREA:
        print("citymgr: warning: " + msg(
            "at 1:{scale} the sheet shows only {percent}% of the area asked for; "
            "leave out --scale to fit it on the sheet, or print an atlas (--atlas grid)",
            scale=plan.scale, percent=round(shown * 100)).render(cli_language()),
            file=sys.stderr)
    if args.json:
        print_json({"out": args.out, "pages": 1, "paper": settings.paper,
                    "orientation": settings.orientation, "scale": plan.scale,
                    "extent": list(plan.extent), "lang": settings.lang,
                    "shown": {k: list(v) for k, v in report.shown.items()},
                    "codes": None if report.codes is None else {
                        "written": report.codes.placed, "left_out": report.codes.left_out,
                        "scale_too_small": report.codes.scale_too_small},
                    "seconds": round(time.perf_counter() - t0, 2)})
        return 0
    ext = ", ".join(f"{v:.1f}" for v in plan.extent)
    tables = {t.name: t for t in sc.ASSET_TABLES}
    categories = joined((msg("{layer}: {codes}", layer=Term(layer, tables[layer].zh)
                             if layer in tables else layer,
                             codes=", ".join('-' if c is None else str(c) for c in cats))
                         for layer, cats in report.shown.items()), "; ", "；"
                        ) if report.shown else Term("nothing", "无")
    print(msg("wrote {path}: {paper} {orientation}, 1:{scale}, extent [{extent}], shown "
              "{shown}, in {seconds:.1f} s", path=args.out, paper=settings.paper,
              orientation=orientation.get(settings.orientation, settings.orientation),
              scale=plan.scale, extent=ext, shown=categories,
              seconds=time.perf_counter() - t0).render(cli_language()))
    return 0
