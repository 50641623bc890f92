"""``citymgr validate FILE``: GeoPackage sanity and our schema; exit 0 only when valid."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import (
    add_lang,
    cli_language,
    print_json,
    terminal_progress,
)

ORDER = 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a project file (exit 0 when valid)",
                       description="Check GeoPackage sanity (integrity, required tables, spatial "
                       "index, SRS) and the asset schema (fields, domains, uuids, component "
                       "codes, history links, geometries). Exit 0 when valid; otherwise the "
                       "problems are listed and the exit code is non-zero. Never writes.")
    p.add_argument("file", help="a GeoPackage (.gpkg), or a database (postgresql://… or "
                   "service=NAME)")
    p.add_argument("--json", action="store_true", help="print problems as JSON")
    p.add_argument("--no-geometry", action="store_true",
                   help="skip the geometry validity check (faster on huge files)")
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.errors import SchemaError, ValidationError
    from citymgr_desktop.core.store import validate_file
    from citymgr_desktop.core.store.postgis import display_name, is_database_target

    name = display_name(args.file)  # a database's password is never printed
    check = validate_file
    if is_database_target(args.file):
        from citymgr_desktop.core.store.postgis.check import validate_database as check
    problems = check(args.file, terminal_progress("validate"),
                     check_geometry=not args.no_geometry)
    errors = [p for p in problems if p.level == "error"]
    if args.json:
        print_json({"file": name, "valid": not errors,
                    "problems": [p.__dict__ for p in problems]})
    else:
        for p in problems:
            print(p.render(cli_language()))
    schema = [p for p in errors if p.where == "schema"]
    if schema:
        raise SchemaError("{file}: {problem}", file=name, problem=schema[0].message)
    if errors:
        raise ValidationError("{file}: {count} problem(s) found",
                              file=name, count=len(errors))
    if not args.json:
        from citymgr_desktop.core.messages import msg

        print(msg("{file}: valid", file=name).render(cli_language()))
    return 0
