"""``citymgr stats FILE``: the figures the bureau steers by — assets and condition by class,
街道 and grid; records and cost; work orders; the evaluation per assignee; inspection
coverage — as a table, JSON or an Excel workbook (definitions: docs/statistics.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from citymgr_desktop.core.errors import BadFileError

ORDER = 70


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stats", help="figures: condition by class/街道/grid, records and cost, work orders, "
        "the evaluation per assignee, inspection coverage",
        description="Statistics computed in the file (docs/statistics.md). Without a figure "
        "option: assets and condition grouped by --by (default layer,district). Periods are "
        "office-time days, --from and --to both included.")
    p.add_argument("file", help="a project GeoPackage (.gpkg)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--workorders", dest="figure", action="store_const", const="workorders",
                      help="the 数字城管 evaluation per assignee: due, on time, overdue, "
                      "rework, on-time/closure/rework rates")
    what.add_argument("--records", dest="figure", action="store_const", const="records",
                      help="maintenance records and cost (--by month,layer,type)")
    what.add_argument("--orders", dest="figure", action="store_const", const="orders",
                      help="work orders reported in the period (--by state,source,assignee,"
                      "layer,priority)")
    what.add_argument("--coverage", dest="figure", action="store_const", const="coverage",
                      help="assets inspected within their class's interval (--by "
                      "layer[,district])")
    p.set_defaults(figure="assets")
    p.add_argument("--by", help="group by these keys, comma-separated (assets: layer, "
                   "district, bgid; default depends on the figure)")
    p.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (included)")
    p.add_argument("--json", action="store_true", help="print JSON rows")
    p.add_argument("--xlsx", metavar="OUT.xlsx", help="also write an Excel workbook")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --xlsx file")
    p.add_argument("--lang", choices=("en", "zh_CN"), default="zh_CN",
                   help="language of headings and names in the table and workbook "
                   "(default zh_CN; JSON keys are always English)")
    p.set_defaults(func=run)


def check_output(path: str, overwrite: bool, suffix: str) -> Path:
    """The output path, refused when it exists without ``--overwrite`` or has another type."""
    out = Path(path)
    if out.suffix.lower() != suffix:
        raise BadFileError("{path}: expected a {suffix} file", path=str(out), suffix=suffix)
    if out.exists() and not overwrite:
        raise BadFileError("{path} already exists; add --overwrite to replace it",
                           path=str(out))
    return out


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._common import print_json
    from citymgr_desktop.core.stats import Period
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.export.report.tables import figure_table, format_text

    period = Period.parse(args.first, args.last)
    out = check_output(args.xlsx, args.overwrite, ".xlsx") if args.xlsx else None
    by = [k for k in args.by.split(",")] if args.by else None
    with Store.open(args.file, read_only=True) as store:
        store.require_asset_project()
        table = figure_table(store, args.figure, by, period=period, lang=args.lang)
    if args.json:
        print_json(table.rows)
    else:
        print(format_text(table, args.lang))
    if out is not None:
        from citymgr_desktop.export.report.xlsx import export_tables_xlsx

        export_tables_xlsx([table], out, lang=args.lang)
        if not args.json:
            print(f"wrote {out}")
    return 0
