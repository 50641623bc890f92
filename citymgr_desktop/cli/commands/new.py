"""``citymgr new FILE --crs EPSG:CODE``: create an empty project in the asset schema."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_overwrite,
    cli_language,
    print_json,
    refuse_overwrite,
)

ORDER = 5
DEFAULT_CRS = "EPSG:4547"  # core/store/create.py DEFAULT_CRS (not imported: --help stays light)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new", help="create an empty project file",
        description="Create an empty project (a GeoPackage in the asset schema: road segments, "
        "bridges, green spaces, litter bins, maintenance records, work orders) in any "
        "projected CRS, with the official working calendar (holidays and 调休 working "
        "weekends) for the work-order deadlines. Refuses to overwrite an existing file "
        "unless --overwrite is given.")
    p.add_argument("file", help="the new GeoPackage (.gpkg) to create")
    p.add_argument("--crs", default=DEFAULT_CRS,
                   help="projected CRS of the project, e.g. EPSG:4547 (CGCS2000 / 3-degree "
                   f"Gauss-Kruger CM 114E, the default) or EPSG:3879; default {DEFAULT_CRS}")
    p.add_argument("--district-code", default="420106",
                   help="6-digit administrative division code (GB/T 2260) that starts every "
                   "obj_code; default 420106")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store import create as project

    refuse_overwrite(args.file, args.overwrite)
    path = project.create_project(args.file, args.crs, args.district_code,
                                  overwrite=args.overwrite)
    crs = project.parse_crs(args.crs)
    if args.json:
        print_json({"file": str(path), "crs": crs.name, "district_code": args.district_code})
    else:
        from citymgr_desktop.core.messages import Term, msg
        from citymgr_desktop.core.model.crs_names import chinese_name

        name = Term(crs.name, chinese_name(crs.name) or crs.name)
        print(msg("created {path} ({crs}, district code {code})", path=path, crs=name,
                  code=args.district_code).render(cli_language()))
    return 0
