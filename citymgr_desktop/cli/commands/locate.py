"""``citymgr locate FILE|URL TEXT``: find assets by object code (obj_code, or its beginning), by
name or by source id (the id an imported file gave them), as the app's locate box does, and
print their layer, uuid, code, name and 街道 — the uuid or code other commands take
(``history add --asset``). Nothing found is "not found" (exit 10), as for ``--asset``."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import add_json, add_lang, cli_language, print_json

ORDER = 11


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("locate", help="find assets by code, name or source id (prints uuid, "
                       "code and 街道)",
                       description="Find assets by object code (all 16 digits or a "
                       "beginning), part of a name or source id (the id an imported file "
                       "gave them, or its beginning), and print each one's layer, uuid, "
                       "code, name and 街道 (the uuid or code other commands take). Nothing "
                       "found: exit 10.")
    p.add_argument("file", help="a GeoPackage (.gpkg), or a database (postgresql://… or "
                   "service=NAME)")
    p.add_argument("text", help="an object code (or its beginning), part of a name or a "
                   "source id (or its beginning)")
    p.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._table import print_table
    from citymgr_desktop.core.editing.locate import locate_assets
    from citymgr_desktop.core.errors import NotFoundError
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import open_store

    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        rows = locate_assets(store, args.text, limit=args.limit)
    if not rows:
        raise NotFoundError("no asset matches {text!r} (an object code or its beginning, "
                            "part of a name, a source id)", text=args.text.strip())
    if args.json:
        print_json(rows)
        return 0
    lang = cli_language()
    print_table(
        [Term("layer", "图层"), Term("uuid", "uuid"), Term("code", "部件编码"),
         Term("name", "名称"), Term("sub-district", "街道")],
        [[sc.table(r["layer"] or "").label(lang) if r["layer"] else "", r["asset_uuid"],
          r["obj_code"] or "", r["name"] or "", r["district"] or ""] for r in rows],
        lang)
    print(msg("{count} asset(s)", count=len(rows)).render(lang))
    return 0
