"""``--basemap`` and ``--reference`` of ``render`` and ``print-map``: the project's kept map
layers plus those given for one run, and one warning line per layer that failed."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from citymgr_desktop.cli.commands._common import cli_language

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render.backdrop import Backdrop


def add_backdrop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--basemap", metavar="URL|FILE",
                   help="base map for this run under the assets: an XYZ tile URL template "
                   "(https://…/{z}/{x}/{y}.png, with {s} and {key}), an MBTiles, a GeoPackage "
                   "with tiles or a GeoTIFF (added to the layers kept in the project)")
    p.add_argument("--reference", metavar="PATH", action="append", default=[],
                   help="reference layer for this run (raster under, vector over the assets; "
                   "repeatable)")
    p.add_argument("--reference-crs", metavar="CRS",
                   help="CRS of --basemap/--reference files that have none (e.g. EPSG:4547)")
    p.add_argument("--no-project-layers", action="store_true",
                   help="leave out the base map and reference layers kept in the project")


def backdrop_for(store: Store, args: argparse.Namespace) -> Backdrop | None:
    """The Backdrop of this run (``None`` when there is nothing to draw); refuses bad
    ``--basemap``/``--reference`` before anything is drawn."""
    from citymgr_desktop.core.store.map_layers import read_map_layers

    kept = not args.no_project_layers and bool(read_map_layers(store))
    if not (kept or args.basemap or args.reference):
        return None  # the usual case: no base-map code (GDAL, tiles, urllib) is loaded
    from citymgr_desktop.core.basemaps import make_layer, project_layers
    from citymgr_desktop.render.backdrop import Backdrop

    layers = project_layers(store) if kept else []
    if args.basemap:
        layers.insert(0, make_layer(args.basemap, crs=args.reference_crs, position="under"))
    for path in args.reference:
        layers.append(make_layer(path, crs=args.reference_crs))
    if not layers:
        return None
    path = getattr(store, "path", None)  # a database store has no folder
    return Backdrop(layers, path.parent if path is not None else None, wait=True)


def warn_missing(backdrop: Backdrop | None) -> None:
    """One line on stderr per map layer that could not be drawn (the assets were)."""
    if backdrop is None:
        return
    from citymgr_desktop.core.messages import render

    lang = cli_language()
    for problem in backdrop.problems.values():
        print(f"citymgr: warning: {render(problem, lang)}", file=sys.stderr)
