"""``citymgr report FILE --month 2026-11 --out report.pdf``: the monthly report (月报) — key
figures against last month, charts, the evaluation of the assignees, the hot-spot maps and
the overdue orders — in Chinese (default) or English."""

from __future__ import annotations

import argparse
import time

from citymgr_desktop.cli.commands._common import add_json, add_lang, add_overwrite, add_user

ORDER = 72


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="the monthly report (月报) as a PDF",
                       description="Write the monthly report of a project: cover and key "
                       "figures against the month before, charts, the evaluation per "
                       "assignee (按期处置率, 结案率, 返工率), hot-spot maps, overdue orders. "
                       "A month that is over is counted as at its end (the register, the "
                       "orders reported by then), so its report does not change with later "
                       "syncs; the hot-spot maps are as at the time of making.")
    p.add_argument("file", help="a project GeoPackage (.gpkg), or a database (postgresql://… "
                   "or service=NAME)")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2026-11")
    p.add_argument("--out", required=True, help="the PDF to write")
    add_overwrite(p)
    add_lang(p, document="the report")
    add_user(p, "who made it, printed on the cover (default: your login)", old=("--author",))
    add_json(p)
    p.add_argument("--no-map", action="store_true", help="leave out the hot-spot maps")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._common import (
        acting_user,
        cli_language,
        document_language,
        print_json,
        terminal_progress,
    )
    from citymgr_desktop.cli.commands.stats import check_output
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.stats import Period
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.export.report.pdf import export_monthly_report

    Period.month(args.month)  # a bad month is refused before anything is read
    out = check_output(args.out, args.overwrite, ".pdf")
    t0 = time.perf_counter()
    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        result = export_monthly_report(
            store, args.month, out, lang=document_language(), author=acting_user(args.user),
            with_map=not args.no_map, progress=terminal_progress("report"))
    if args.json:
        print_json({**result, "seconds": round(time.perf_counter() - t0, 2)})
        return 0
    print(msg("wrote {path} ({pages} pages, {overdue} overdue orders) in {seconds:.1f} s",
              path=result["out"], pages=result["pages"], overdue=result["overdue"],
              seconds=time.perf_counter() - t0).render(cli_language()))
    return 0
