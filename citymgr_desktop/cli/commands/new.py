"""``citymgr new FILE --crs EPSG:CODE``: create an empty project in the asset schema."""

from __future__ import annotations

import argparse

from citymgr_desktop.core.store import create as project

ORDER = 5


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new", help="create an empty project file",
        description="Create an empty project (a GeoPackage in the asset schema: road segments, "
        "bridges, green spaces, litter bins, maintenance records, work orders) in any "
        "projected CRS. Refuses to overwrite an existing file.")
    p.add_argument("file", help="the new GeoPackage (.gpkg) to create")
    p.add_argument("--crs", default=project.DEFAULT_CRS,
                   help="projected CRS of the project, e.g. EPSG:4547 (CGCS2000 / 3-degree "
                   f"Gauss-Kruger CM 114E, the default) or EPSG:3879; default {project.DEFAULT_CRS}")
    p.add_argument("--district-code", default="420106",
                   help="6-digit administrative division code (GB/T 2260) that starts every "
                   "obj_code; default 420106")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = project.create_project(args.file, args.crs, args.district_code)
    crs = project.parse_crs(args.crs)
    print(f"created {path} ({crs.name}, district code {args.district_code})")
    return 0
