"""``citymgr stats FILE``: the figures the bureau steers by — assets and condition by class,
街道 and grid; records and cost; work orders; the evaluation per assignee; inspection
coverage — as a table, JSON or an Excel workbook (definitions: docs/statistics.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_overwrite,
    cli_language,
    document_language,
    refuse_overwrite,
)

ORDER = 70


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats", help="figures: condition by class/街道/grid, records and cost, work orders, "
        "the evaluation per assignee, inspection coverage",
        description="Statistics computed in the file or database (docs/statistics.md). Without a figure "
        "option: assets and condition grouped by --by (default layer,district). Periods are "
        "office-time days, --from and --to both included.")
    p.add_argument("file", help="a project GeoPackage (.gpkg), or a database (postgresql://… "
                   "or service=NAME)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--workorders", dest="figure", action="store_const", const="workorders",
                      help="the 数字城管 evaluation per assignee: due, on time, overdue, "
                      "rework, on-time/closure/rework rates")
    what.add_argument("--records", dest="figure", action="store_const", const="records",
                      help="maintenance records and cost (--by month,layer,type)")
    what.add_argument("--orders", dest="figure", action="store_const", const="orders",
                      help="work orders reported in the period (--by state,source,assignee,"
                      "layer,priority); a period that is over counts each in its state at "
                      "the period's end")
    what.add_argument("--coverage", dest="figure", action="store_const", const="coverage",
                      help="assets inspected within their class's interval (--by "
                      "layer[,district])")
    p.set_defaults(figure="assets")
    p.add_argument("--by", help="group by these keys, comma-separated (assets: layer, "
                   "district, bgid; default depends on the figure)")
    p.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (included)")
    add_json(p)
    p.add_argument("--xlsx", metavar="OUT.xlsx", help="also write an Excel workbook")
    add_overwrite(p)
    add_lang(p, document="the table printed and the workbook, headings and names (JSON keys "
             "are English)")
    p.set_defaults(func=run)


def check_output(path: str, overwrite: bool, suffix: str) -> Path:
    """The output path, refused when it has another type, or exists without
    ``--overwrite``."""
    from citymgr_desktop.core.errors import BadFileError

    out = Path(path)
    if out.suffix.lower() != suffix:
        raise BadFileError("{path}: expected a {suffix} file", path=str(out), suffix=suffix)
    refuse_overwrite(out, overwrite)
    return out


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._common import print_json
    from citymgr_desktop.core.stats import Period
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.report.tables import figure_table, format_text

    lang = document_language()
    period = Period.parse(args.first, args.last)
    out = check_output(args.xlsx, args.overwrite, ".xlsx") if args.xlsx else None
    by = [k for k in args.by.split(",")] if args.by else None
    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        table = figure_table(store, args.figure, by, period=period, lang=lang)
    if args.json:
        print_json(table.rows)
    else:
        print(format_text(table, lang))
    if out is not None:
        from citymgr_desktop.export.report.xlsx import export_tables_xlsx

        export_tables_xlsx([table], out, lang=lang)
        if not args.json:
            from citymgr_desktop.core.messages import msg

            print(msg("wrote {path}", path=out).render(cli_language()))
    return 0
