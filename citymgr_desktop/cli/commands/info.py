"""``citymgr info FILE``: layers, counts, CRS, extent, domains and sub-districts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citymgr_desktop.cli.commands._common import add_json, add_lang, cli_language, print_json

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
    for line in describe_text(info, cli_language()):
        print(line)
    return 0


def describe_text(info: dict, lang: str) -> list[str]:
    """:func:`describe`'s answer for a person, in ``lang`` (the message catalogue's words,
    layer and field names as the file spells them)."""
    from citymgr_desktop.cli.commands._table import format_table
    from citymgr_desktop.core.messages import Term, joined, msg

    if info["asset_project"]:
        kind = Term("citymgr project", "citymgr 项目")
    elif info["database"]:
        kind = Term("PostGIS database (not a citymgr project)", "PostGIS 数据库（非 citymgr 项目）")
    else:
        kind = Term("GeoPackage (not a citymgr project)", "GeoPackage（非 citymgr 项目）")
    out = [msg("{file}  (read-only)", file=info["file"]).render(lang) if info["read_only"]
           else info["file"],
           "  " + msg("{kind}; district code {code}", kind=kind,
                      code=info["district_code"] or "-").render(lang)]
    rows = []
    for li in info["layers"]:
        ext = " [" + ", ".join(f"{v:.1f}" for v in li["extent"]) + "]" if li["extent"] else ""
        rows.append([li["name"], li["geometry_type"] or Term("table", "属性表"),
                     f"{li['count']:,}", f"{li['crs'] or ''}{ext}"])
    headers = [Term("layer", "图层"), Term("type", "类型"), Term("count", "要素数"),
               Term("CRS / extent", "坐标参考系 / 范围")]
    out += ["  " + line for line in format_table(headers, rows, lang, right=[2])]
    if info["districts"]:
        out.append("  " + msg("sub-districts (街道): {names}",
                              names=joined(info["districts"])).render(lang))
    out.append("  " + msg("domains: {count}", count=len(info["domains"])).render(lang))
    return out
