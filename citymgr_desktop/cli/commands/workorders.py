"""``citymgr workorders``: create orders from an expression, move them through the loop,
list them, set time limits and the working calendar, and export them (PDF, XLSX, CSV,
GeoJSON, GeoPackage)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from citymgr_desktop.cli.commands import _calendar
from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_list,
    add_overwrite,
    add_user,
    cli_language,
    document_language,
    print_json,
    priority,
    refuse_overwrite,
    terminal_progress,
    usage_error,
)
from citymgr_desktop.core.model import domains as dm

if TYPE_CHECKING:
    import datetime as dt

    from citymgr_desktop.core.messages import Message

ORDER = 60
STATES = " ".join(str(v) for v in dm.WORK_ORDER_STATE.values())  # the states' codes, in order
SOURCES = ", ".join(f"{c.value} ({c.zh})" for c in dm.WORK_ORDER_SOURCE.codes)
FORMATS = ("pdf", "xlsx", "csv", "geojson", "gpkg")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("workorders", help="work orders (工单): create, move, list, export",
                       description="Work orders following the digital city-management loop: "
                       "reported -> filed -> dispatched -> in_progress -> resolved -> checked -> "
                       "closed, with returned, on_hold, rework and cancelled.")
    s = p.add_subparsers(dest="action", metavar="ACTION")
    s.required = True

    c = s.add_parser("create", help="create one order for the assets an expression selects "
                     "(prints the case number)")
    c.add_argument("file")
    c.add_argument("--layer", required=True, help="asset layer: road_segment, bridge, "
                   "green_space or litter_bin")
    c.add_argument("--where", required=True,
                   help="expression, e.g. \"condition = 5 and district = '粮道街道'\"")
    c.add_argument("--priority", required=True, type=priority,
                   help="1 or urgent (特急), 2 or high (紧急), 3 or normal (一般), 4 or low (较缓)")
    c.add_argument("--title", required=True)
    c.add_argument("--assignee", help="department or crew to dispatch to (处置单位)")
    c.add_argument("--description")
    c.add_argument("--source", default="patrol",
                   help=f"case source (案件来源), one of: {SOURCES} (default patrol)")
    c.add_argument("--due", metavar="WHEN", type=due,
                   help="the deadline (处置时限), 'YYYY-MM-DD[ HH:MM]' in office time, e.g. a "
                   "hotline case's own; a date alone means 17:30 that day; must be after now "
                   "(one that is not a date is a usage error, exit 2; one in the past is "
                   "refused, exit 8) (default: the time limit of the class and priority in "
                   "working time)")
    add_user(c, "who creates it (default: your login)", old=("--by",))
    add_json(c)
    add_lang(c)
    c.set_defaults(func=run_create)

    m = s.add_parser("move", help="move an order to another state (only legal moves)")
    m.add_argument("file", help="a GeoPackage, or a database (postgresql://… or service=NAME)")
    m.add_argument("case", help="case number (or uuid)")
    m.add_argument("--to", required=True, metavar="STATE", help=f"one of: {STATES}")
    add_user(m, "who makes the move (default: your login)", old=("--by",))
    m.add_argument("--note", help="why (意见); required for --to resolved: the result of the "
                   "work (处置结果), written as each asset's work done on closing")
    m.add_argument("--unit", metavar="NAME", help="with --to dispatched: the disposal unit "
                   "(处置单位) it goes to (default: the order's current one; --unit \"\" "
                   "clears it); a change is written to the order's history as 'A → B'")
    m.add_argument("--record-type", default="repair",
                   help="on closing: type of the record written per asset (default repair)")
    m.add_argument("--condition-after", type=int,
                   help="on closing: each asset's condition after the work (1-5)")
    add_json(m)
    add_lang(m)
    m.set_defaults(func=run_move)

    x = s.add_parser("extend", help="extend an open order's deadline (延期), with a reason",
                     description="Give an open order (not yet resolved) a later deadline "
                     "(处置时限): a date (--due) or a number of working days more (--days, "
                     "counted by the file's working calendar from the current deadline, or "
                     "from now when the order is overdue, at the same time of day). The old "
                     "and new deadline, the working days granted (from the same start) and "
                     "the reason are written to the order's history. A new deadline in a year "
                     "the working calendar does not cover is written with a warning naming "
                     "the command that adds the year (on stderr; with --json also in the result's "
                     "\"warnings\", a list of English sentences, empty when there is none). "
                     "Exit 8 if the order is not open, the "
                     "new deadline is not later than the current one or in the past, or the "
                     "reason is empty.")
    x.add_argument("file", help="a GeoPackage, or a database (postgresql://… or service=NAME)")
    x.add_argument("case", help="case number (or uuid)")
    when = x.add_mutually_exclusive_group(required=True)
    when.add_argument("--due", metavar="WHEN", type=due,
                      help="the new deadline, 'YYYY-MM-DD[ HH:MM]' in office time (a date "
                      "alone means 17:30 that day)")
    when.add_argument("--days", metavar="N", type=int,
                      help="or: N working days (工作日) more than the current deadline (from "
                      "now when it has passed), holidays and 调休 weekends as in the working "
                      "calendar")
    x.add_argument("--reason", required=True, help="why it needs more time (延期理由)")
    add_user(x, "who extends it (default: your login)", old=("--by",))
    add_json(x)
    add_lang(x)
    x.set_defaults(func=run_extend)

    ls = s.add_parser("list", help="list orders")
    ls.add_argument("file")
    add_list(ls, "--state", metavar="STATE", help=f"only these states: {STATES}")
    ls.add_argument("--assignee")
    ls.add_argument("--overdue", action="store_true", help="only orders past their deadline")
    add_json(ls)
    add_lang(ls)
    ls.set_defaults(func=run_list)

    lim = s.add_parser("limits", help="show or set the time limits (处置时限) by class and "
                       "priority")
    lim.add_argument("file", help="a GeoPackage, or a database (postgresql://… or "
                     "service=NAME)")
    lim.add_argument("--set", nargs=4, metavar=("CLASS", "PRIORITY", "VALUE", "UNIT"),
                     help="CLASS is an asset layer or '*' for any; PRIORITY 1-4 or a name; "
                     "UNIT working_hours or working_days")
    add_json(lim)
    add_lang(lim)
    lim.set_defaults(func=run_limits)

    _calendar.register(s)

    e = s.add_parser("export", help="export orders to pdf, xlsx, csv, geojson or gpkg")
    e.add_argument("file", help="a GeoPackage, or a database (postgresql://… or service=NAME)")
    add_list(e, "--state", metavar="STATE", help="only these states")
    add_list(e, "--case", metavar="CASE", several=True, help="only these case numbers")
    e.add_argument("--format", required=True, choices=FORMATS)
    e.add_argument("--out", required=True, help="the file to write")
    e.add_argument("--no-map", action="store_true", help="PDF without map extracts")
    e.add_argument("--photos", action="store_true",
                   help="PDF: print the latest photo of each asset (thumbnails)")
    e.add_argument("--csv-rows", default="orders", choices=("orders", "assets"),
                   help="CSV: one row per order (default) or per order and asset")
    add_overwrite(e)
    add_json(e)
    add_lang(e, document="the file written")
    e.set_defaults(func=run_export)


def due(text: str) -> dt.datetime:
    """``--due``: a deadline a person writes (``parse_due``); one that is not a date and time
    is a usage error, like any malformed option (whether it is after now is checked on
    creating the order: a refused value, exit 8)."""
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.workorders.deadlines import parse_due

    try:
        return parse_due(text)
    except ValidationError:
        raise usage_error("not a date and time: {text!r} (write YYYY-MM-DD or YYYY-MM-DD "
                          "HH:MM, office time)", text=text) from None


def run_create(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.clock import format_local
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.store.postgis import is_database_target
    from citymgr_desktop.core.workorders import orders as wo
    from citymgr_desktop.core.workorders.query import select_assets

    with open_store(args.file) as store:
        store.require_asset_project()
        if is_database_target(args.file):
            from citymgr_desktop.core.expression import Expression, Fields
            from citymgr_desktop.core.store import asset_table
            from citymgr_desktop.core.store.postgis.edit import select_uuids

            table = asset_table(args.layer)
            uuids = select_uuids(store, table, Expression.compile(args.where,
                                                                  Fields.for_table(table)))
        else:
            uuids = select_assets(store, args.layer, args.where)
        if not uuids:
            raise ValidationError("no asset of {layer} matches {where!r}; no order was created",
                                  layer=args.layer, where=args.where)
        spec = wo.OrderSpec(title=args.title, priority=args.priority,
                            assets=[(args.layer, u) for u in uuids],
                            description=args.description, source=args.source,
                            assignee=args.assignee, deadline=args.due,
                            note=creation_note(len(uuids), args.where))
        row = wo.create_order(store, spec, acting_user(args.user, "citymgr"))
    if args.json:
        print_json({"case_no": row["case_no"], "work_order_uuid": row["work_order_uuid"],
                    "assets": len(uuids), "priority": row["priority"],
                    "deadline": row["deadline"],
                    "deadline_local": format_local(row["deadline"])})
    else:
        print(row["case_no"])
    return 0


def creation_note(count: int, where: str) -> Message:
    """The first event's note: how many assets and the filter, the filter cut so the note fits
    the note field (a long but valid filter must not make the order fail)."""
    from citymgr_desktop.core.workorders import notes
    from citymgr_desktop.core.workorders.orders import NOTE_MAX_LENGTH

    note = notes.created_where(count, where)
    over = len(str(note)) - NOTE_MAX_LENGTH
    if over <= 0:
        return note
    return notes.created_where(count, where[: max(0, len(where) - over - 1)] + "…")


def run_move(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders import orders as wo
    from citymgr_desktop.core.workorders import states as wf

    close = wo.CloseOptions(record_type=args.record_type,
                            condition_after=args.condition_after)
    with open_store(args.file) as store:
        wo.move_order(store, args.case, args.to, acting_user(args.user, "citymgr"), args.note,
                      close=close, unit=args.unit)
        row = wo.get_order(store, args.case)
    if args.json:
        print_json({"case_no": row["case_no"], "state": row["state"],
                    "label": wf.label(row["state"], "zh")})
    else:
        label = wf.label(row["state"], "zh")
        print(msg("{case}: {state}", case=row["case_no"],
                  state=Term(f"{row['state']} ({label})", label)).render(cli_language()))
    return 0


def run_extend(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.clock import format_local_zoned, parse_iso
    from citymgr_desktop.core.messages import render
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders import deadlines as dl
    from citymgr_desktop.core.workorders import orders as wo
    from citymgr_desktop.core.workorders.extend import (
        calendar_gap,
        extend_order,
        extension_start,
        years_outside,
    )

    with open_store(args.file) as store:
        start = extension_start(wo.get_order(store, args.case))
        extend_order(store, args.case, args.due, acting_user(args.user, "citymgr"),
                     args.reason, days=args.days)
        row = wo.get_order(store, args.case)
        due = parse_iso(row["deadline"]) or start
        outside = years_outside(dl.calendar_years(store), start, due)
    warnings = [calendar_gap(outside, args.file)] if outside else []
    for warning in warnings:
        print("citymgr: warning: " + render(warning, cli_language()), file=sys.stderr)
    if args.json:  # the warnings as English sentences, the same in every language
        print_json({"case_no": row["case_no"], "deadline": row["deadline"],
                    "overdue": wo.is_overdue(row), "warnings": [str(w) for w in warnings]})
    else:
        print(f"{row['case_no']}: {format_local_zoned(row['deadline'], cli_language())}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._table import print_table
    from citymgr_desktop.core.clock import format_local, zoned_heading
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders.query import list_orders

    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        rows = list_orders(store, states=args.state, assignee=args.assignee,
                           overdue=True if args.overdue else None)
    if args.json:
        print_json(rows)
        return 0
    lang = cli_language()
    state, prio = dm.WORK_ORDER_STATE, dm.WORK_ORDER_PRIORITY
    order = sc.table("work_order")
    headers = [Term("case", order.field("case_no").zh), Term("state", order.field("state").zh),
               Term("P", order.field("priority").zh),
               Term(zoned_heading("deadline", "en"),  # the times are office time: say so
                    zoned_heading(order.field("deadline").zh, "zh")),
               Term("assets", "资产数"), Term("title", order.field("title").zh)]
    table = [[r["case_no"], Term(str(r["state"]), state.label(r["state"], "zh")),
              str(r["priority"]) if lang == "en" else prio.label(r["priority"], "zh"),
              format_local(r["deadline"]), str(r["asset_count"]),
              r["title"] + (" !" if r["overdue"] else "")] for r in rows]
    print_table(headers, table, lang, right=[4])
    overdue = any(r["overdue"] for r in rows)
    count = (msg("{count} order(s); ! = overdue", count=len(rows)) if overdue
             else msg("{count} order(s)", count=len(rows)))
    print(count.render(lang))
    return 0


def run_limits(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders.deadlines import set_time_limit, time_limits

    with open_store(args.file, read_only=args.set is None) as store:
        store.require_asset_project()
        if args.set:
            cls, pri, value, unit = args.set
            try:
                number, amount = priority(pri), float(value)
            except (argparse.ArgumentTypeError, ValueError):
                raise ValidationError("PRIORITY must be 1-4 or a name and VALUE a number, got "
                                      "{pri!r} and {value!r}", pri=pri, value=value) from None
            set_time_limit(store, None if cls == "*" else cls, number, amount, unit)
        limits = time_limits(store)
    if args.json:
        print_json([{"asset_class": t.asset_class, "priority": t.priority, "value": t.value,
                     "unit": t.unit} for t in limits])
        return 0
    lang = cli_language()
    for t in limits:
        table = sc.TABLES_BY_NAME.get(t.asset_class or "")
        cls = Term(t.asset_class, table.zh) if table else Term(t.asset_class or "*", "所有类别")
        level = Term(f"P{t.priority}", dm.WORK_ORDER_PRIORITY.label(t.priority, "zh"))
        limit = Term(f"{t.describe('en'):<20} {t.describe('zh')}", t.describe("zh"))
        print(msg("{cls:<14} {priority}  {limit}", cls=cls, priority=level,
                  limit=limit).render(lang))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.workorders.exporter import export_orders

    refuse_overwrite(args.out, args.overwrite)
    lang = document_language()
    with open_store(args.file, read_only=True) as store:
        summary = export_orders(store, args.out, args.format, cases=args.case or None,
                                states=args.state, lang="zh" if lang == "zh_CN" else "en",
                                with_map=not args.no_map, with_photos=args.photos,
                                csv_rows=args.csv_rows, progress=terminal_progress("export"))
    if args.json:
        print_json(summary)
    else:
        print(msg("wrote {path}: {orders} order(s), {assets} asset(s) as {format}",
                  path=summary["out"], orders=summary["orders"], assets=summary["assets"],
                  format=summary["format"]).render(cli_language()))
    return 0
