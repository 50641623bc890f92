"""``citymgr layers add|list|remove FILE``: the base maps and reference layers kept in a
project (drawn by the app, ``render``, ``print-map`` and the work-order PDFs)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citymgr_desktop.cli.commands._common import add_json, add_lang, cli_language, print_json

if TYPE_CHECKING:
    from citymgr_desktop.core.messages import Term

ORDER = 45


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("layers", help="base maps and reference layers kept in a project",
                       description="Keep base maps (XYZ tile URL templates, MBTiles, "
                       "GeoPackage tiles) and reference layers (any raster or vector GDAL "
                       "reads) in the project file, paths relative to it. See docs/basemaps.md.")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="add|list|remove")
    add = verbs.add_parser("add", help="add a base map or reference layer")
    add.add_argument("file", help="the project GeoPackage")
    add.add_argument("location", metavar="PATH|URL", help="a file or a tile URL template")
    add.add_argument("--name", help="layer name (default: the file's stem or the URL's host)")
    add.add_argument("--opacity", type=float, default=1.0, help="0-1 (default 1)")
    add.add_argument("--position", choices=("under", "over"),
                     help="under or over the assets (default: rasters under, vectors over)")
    add.add_argument("--crs", help="the file's CRS when it has none (e.g. EPSG:4547)")
    add.add_argument("--attribution", help="text shown on the map and printed")
    add.add_argument("--outline", help="reference vectors: outline colour (#rrggbb)")
    add.add_argument("--fill", help="reference vectors: fill colour (#rrggbb; default none)")
    add.add_argument("--label-field", help="reference vectors: field to label features with")
    add_lang(add)
    add.set_defaults(func=run_add)
    lst = verbs.add_parser("list", help="list the kept layers, bottom first")
    lst.add_argument("file", help="the project GeoPackage")
    add_json(lst)
    add_lang(lst)
    lst.set_defaults(func=run_list)
    rm = verbs.add_parser("remove", help="remove a kept layer by name")
    rm.add_argument("file", help="the project GeoPackage")
    rm.add_argument("name", help="the layer's name (see 'citymgr layers list')")
    add_lang(rm)
    rm.set_defaults(func=run_remove)


def run_add(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.basemaps import LayerStyle, add_project_layer, make_layer
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store import Store

    style = LayerStyle(**{k: v for k, v in (("outline", args.outline), ("fill", args.fill),
                                            ("label_field", args.label_field)) if v})
    layer = make_layer(args.location, name=args.name, opacity=args.opacity,
                       position=args.position, crs=args.crs, attribution=args.attribution,
                       style=style)
    with Store.open(args.file) as store:
        layers = add_project_layer(store, layer)
    print(msg("added {kind} layer {name!r} ({position} the assets); {count} map layer(s) in "
              "{file}", kind=kind_term(layer.kind), name=layer.name,
              position=position_term(layer.position), count=len(layers),
              file=args.file).render(cli_language()))
    return 0


def kind_term(kind: str) -> Term:
    """A kept layer's kind as the app's map-layer dialog names it (tile URLs: 瓦片)."""
    from citymgr_desktop.core.messages import Term

    return Term(kind, {"raster": "栅格", "vector": "矢量"}.get(kind, "瓦片"))


def position_term(position: str) -> Term:
    """Under or over the assets, as the map-layer dialog says it."""
    from citymgr_desktop.core.messages import Term

    return Term(position, {"under": "资产下方", "over": "资产上方"}.get(position, position))


def run_list(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.basemaps import project_layers
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.store import Store

    with Store.open(args.file, read_only=True) as store:
        layers = project_layers(store)
    if args.json:
        print_json([{"name": la.name, "kind": la.kind, "location": la.location,
                     "position": la.position, "opacity": la.opacity, "visible": la.visible,
                     "crs": la.crs, "attribution": la.attribution} for la in layers])
        return 0
    lang = cli_language()
    if not layers:
        print(msg("{file}: no base map or reference layers", file=args.file).render(lang))
    for la in layers:
        print(msg("{name:<20} {kind:<7} {position:<6} opacity {opacity:<4g} {shown:<7} "
                  "{location}", name=la.name, kind=kind_term(la.kind),
                  position=position_term(la.position), opacity=la.opacity,
                  shown=Term("shown", "显示") if la.visible else Term("hidden", "隐藏"),
                  location=la.location).render(lang))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.basemaps import remove_project_layer
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store import Store

    with Store.open(args.file) as store:
        layers = remove_project_layer(store, args.name)
    print(msg("removed {name!r}; {count} map layer(s) left in {file}", name=args.name,
              count=len(layers), file=args.file).render(cli_language()))
    return 0
