"""``citymgr edit FILE --layer L --where EXPR --set FIELD=VALUE [...]``: a bulk edit in one
transaction. Every value and the expression are checked before the file is touched; on any
error the file stays byte-identical and the exit code is non-zero."""

from __future__ import annotations

import argparse
from typing import Any

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_user,
    cli_language,
    print_json,
    terminal_progress,
)

ORDER = 40


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "edit", help="set fields of the assets an expression selects (one transaction)",
        description="Set fields of every asset of a layer that matches an expression, in one "
        "transaction, and print how many assets changed. Values are checked against the "
        "field's domain (a coded value may be given by its Chinese or English label); an "
        "invalid value or expression changes nothing. Retired assets are left alone unless "
        "--include-retired is given.",
        epilog="examples:\n"
        "  citymgr edit d.gpkg --layer litter_bin --where \"district = '粮道街道' and "
        "condition is null\" --set condition=2\n"
        "  citymgr edit d.gpkg --layer litter_bin --where \"bin_type = '厨余垃圾'\" "
        "--set 技术状况=差 --set remarks=\"复查 2026-11\"\n"
        "  citymgr edit d.gpkg --layer road_segment --where \"pci is not null\" "
        "--calc \"pci=round(pci * 0.97, 1)\"",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="a citymgr project (.gpkg), or a database "
                   "(postgresql://… or service=NAME)")
    p.add_argument("--layer", required=True,
                   help="asset layer: road_segment, bridge, green_space or litter_bin")
    p.add_argument("--where", required=True, metavar="EXPR",
                   help="which assets, e.g. \"condition >= 4 and district = '粮道街道'\" "
                   "(docs/expressions.md); 'true' for all")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE",
                   help="a value to set; an empty VALUE empties the field (repeatable)")
    p.add_argument("--calc", dest="calcs", action="append", default=[], metavar="FIELD=EXPR",
                   help="field calculator: set FIELD to an expression per asset (repeatable)")
    p.add_argument("--include-retired", action="store_true", help="also edit retired assets")
    p.add_argument("--dry-run", action="store_true",
                   help="count what would change; write nothing")
    add_user(p, "who edits, recorded in updated_by (default: your login)")
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def _pairs(items: list[str], option: str) -> list[tuple[str, str]]:
    from citymgr_desktop.core.errors import ValidationError

    out = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationError("{option} {item!r}: write FIELD=VALUE, e.g. {option} "
                                  "condition=3", option=option, item=item)
        out.append((name.strip(), value))
    return out


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.core.editing.commands import editable_field, to_value
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.expression import Expression, Fields
    from citymgr_desktop.core.store import Store, asset_table
    from citymgr_desktop.core.store.postgis import is_database_target

    table = asset_table(args.layer)
    sets = _pairs(args.sets, "--set")
    calcs = _pairs(args.calcs, "--calc")
    if not sets and not calcs:
        raise ValidationError("nothing to do: give at least one --set FIELD=VALUE or "
                              "--calc FIELD=EXPR")
    values = {}
    for name, raw in sets:  # checked before the file is opened for writing
        f = editable_field(table, name)
        values[f.name] = to_value(table, f, raw)
    fields = Fields.for_table(table)
    where = Expression.compile(args.where, fields)
    for name, text in calcs:
        editable_field(table, name)
        Expression.compile(text, fields, want=None)

    user = acting_user(args.user)
    if is_database_target(args.file):
        return _run_on_database(args, table, where, values, calcs, user)
    with Store.open(args.file, read_only=args.dry_run) as store:
        store.require_asset_project()
        session = EditSession(store, user, journal=False, dry_run=args.dry_run)
        uuids = session.select(table.name, where, include_retired=args.include_retired)
        if values:
            session.bulk_set(table.name, uuids, values)
        for name, text in calcs:
            session.calculate(table.name, uuids, name, text)
        changed = len({d.uuid for d in session.pending})
        if not args.dry_run and changed:
            session.save(terminal_progress("edit"))
    result = {"file": args.file, "layer": table.name, "matched": len(uuids),
              "changed": changed, "dry_run": args.dry_run}
    if args.json:
        print_json(result)
    else:
        print(_changed_line(table, changed, len(uuids), args.dry_run).render(cli_language()))
    return 0


def _changed_line(table: Any, changed: int, matched: int, dry_run: bool) -> Any:
    """"litter_bin: 1 of 1 matching assets changed" (in Chinese the layer named 垃圾箱 too),
    as a Message."""
    from citymgr_desktop.core.messages import Term, msg

    layer = Term(table.name, f"{table.name}（{table.zh}）")  # English as it always was
    if dry_run:
        return msg("{layer}: {changed:,} of {matched:,} matching assets would change",
                   layer=layer, changed=changed, matched=matched)
    return msg("{layer}: {changed:,} of {matched:,} matching assets changed", layer=layer,
               changed=changed, matched=matched)


def _run_on_database(args: argparse.Namespace, table: Any, where: Any, values: dict,
                     calcs: list[tuple[str, str]], user: str) -> int:
    """``edit`` on a PostGIS database: saved against the versions read; what another user
    changed meanwhile is merged field by field, and a field both changed is a conflict
    (listed, exit code 9; the other values are saved)."""
    from citymgr_desktop.core.errors import ConflictError, ValidationError
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store.postgis import PostgisStore, display_name, edit_where

    if calcs:
        raise ValidationError("--calc is not supported on a database yet; use --set")
    with PostgisStore.open(args.file, read_only=args.dry_run) as store:
        store.require_asset_project()
        outcome = edit_where(store, table, where, values, user,
                             include_retired=args.include_retired, dry_run=args.dry_run)
    name = display_name(args.file)
    if args.json:
        print_json({"file": name, "layer": table.name, "matched": outcome.matched,
                    "changed": outcome.changed, "merged": outcome.merged,
                    "conflicts": [c.__dict__ for c in outcome.conflicts],
                    "dry_run": args.dry_run})
    else:
        line = _changed_line(table, outcome.changed, outcome.matched, args.dry_run)
        if outcome.merged:
            line = msg("{line} ({count:,} merged with another user's changes to other fields)",
                       line=line, count=outcome.merged)
        print(line.render(cli_language()))
        for c in outcome.conflicts:
            print(msg("conflict: {conflict}", conflict=c.describe()).render(cli_language()))
    if outcome.conflicts:
        raise ConflictError("{count} conflict(s) with changes another user saved meanwhile; "
                            "their values were kept", count=len(outcome.conflicts))
    return 0
