"""``citymgr field-package FILE --out PKG.gpkg``: check out a field package for QField/QGIS."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_list,
    add_overwrite,
    add_user,
    cli_language,
    print_json,
    terminal_progress,
)
from citymgr_desktop.core.messages import render

ASSET_LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")

ORDER = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "field-package", help="write a field package (GeoPackage + .qgz) for QField/QGIS",
        description="Check out part of the district for field work: a self-contained "
        "GeoPackage with the chosen assets, their recent maintenance history, domains, styles "
        "and QGIS project, and a .qgz beside it for QField. The master remembers exactly what "
        "went out (a frozen base copy in FILE.sync/), so 'citymgr sync' can merge the edits "
        "back later.")
    p.add_argument("file", help="the master project (.gpkg)")
    p.add_argument("--out", required=True, help="the package to write (.gpkg; a .qgz is "
                   "written beside it)")
    area = p.add_mutually_exclusive_group()
    area.add_argument("--district", help="only assets of this sub-district (街道)")
    area.add_argument("--bbox", help="only assets meeting minx,miny,maxx,maxy (project CRS)")
    add_list(p, "--layers", metavar="LAYER", help=f"asset layers (default all: "
             f"{','.join(ASSET_LAYERS)})")
    add_user(p, "the surveyor who takes the package out (updated_by of their edits; "
             "default: your login)", old=("--surveyor",))
    p.add_argument("--history-years", type=int, default=3,
                   help="maintenance records of the last N years go along (default 3, 0: none)")
    p.add_argument("--all-history", action="store_true", help="take the whole history along")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync.checkout import create_package, parse_bbox

    layers = args.layers or None
    bbox = parse_bbox(args.bbox) if args.bbox else None
    with Store.open(args.file) as store:
        result = create_package(
            store, args.out, district=args.district, bbox=bbox, layers=layers,
            surveyor=acting_user(args.user), user=acting_user(args.user), overwrite=args.overwrite,
            history_years=None if args.all_history else args.history_years,
            progress=terminal_progress("field-package"))
    if args.json:
        print_json(result.to_json())
        return 0
    assets = sum(v for k, v in result.counts.items() if k in ASSET_LAYERS)
    print(f"wrote {result.path} and {result.qgz.name}: {assets:,} assets "
          f"({', '.join(f'{k} {v:,}' for k, v in result.counts.items() if v)}), "
          f"{result.area}, in {result.seconds:.1f} s")
    print(f"  package id {result.package_uuid}; base copy {result.base}")
    if result.photos:
        print(f"  {result.photos:,} photo(s) and document(s) in {result.path.parent / 'DCIM'}")
    for note in result.notes:
        print(f"  note: {render(note, cli_language())}")
    return 0
