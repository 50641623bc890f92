"""``citymgr info FILE``: layers, counts, CRS, extent, domains and sub-districts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citymgr_desktop.cli.commands._common import add_json, add_lang, print_json

if TYPE_CHECKING:
    from citymgr_desktop.core.store import ProjectStore

ORDER = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a GeoPackage: layers, counts, CRS, extent, domains",
                       description="Describe a GeoPackage: its layers with geometry type, CRS, "
                       "feature count and extent, its value domains and the sub-districts "
                       "(街道) present.")
    p.add_argument("file", help="a GeoPackage (.gpkg), or a database (postgresql://… or "
                   "service=NAME)")
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def describe(store: ProjectStore) -> dict:
    from citymgr_desktop.core.store.files import is_writable
    from citymgr_desktop.core.store.postgis import is_database_target

    database, asset = is_database_target(store.path), store.is_asset_project()
    layers = [
        {"name": li.name, "kind": li.data_type, "geometry_type": li.geometry_type,
         "srs_id": li.srs_id, "crs": li.crs_name, "count": li.count,
         "extent": list(li.extent) if li.extent else None, "asset_layer": li.is_asset,
         "description": li.description}
        for li in store.layers()
    ]
    return {
        "file": str(store.path),
        "database": database,
        "read_only": (not (asset and store.may_write()) if database  # type: ignore[attr-defined]
                      else not is_writable(store.path)),
        "asset_project": asset,
        "district_code": store.meta("district_code"),
        "schema_version": store.meta("schema_version"),
        "layers": layers,
        "domains": store.domains(),
        "districts": store.districts(),
    }


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store import open_store

    with open_store(args.file, read_only=True) as store:
        info = describe(store)
    if args.json:
        print_json(info)
        return 0
    print(f"{info['file']}" + ("  (read-only)" if info["read_only"] else ""))
    kind = "citymgr project" if info["asset_project"] else (
        "PostGIS database" if info["database"] else "GeoPackage") + " (not a citymgr project)"
    print(f"  {kind}; district code {info['district_code'] or '-'}")
    print(f"  {'layer':<24}{'type':<16}{'count':>10}  CRS / extent")
    for li in info["layers"]:
        gtype = li["geometry_type"] or "table"
        ext = ""
        if li["extent"]:
            ext = " [" + ", ".join(f"{v:.1f}" for v in li["extent"]) + "]"
        print(f"  {li['name']:<24}{gtype:<16}{li['count']:>10}  {li['crs'] or ''}{ext}")
    if info["districts"]:
        print(f"  sub-districts (街道): {', '.join(info['districts'])}")
    print(f"  domains: {len(info['domains'])}")
    return 0
