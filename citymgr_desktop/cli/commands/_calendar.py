"""``citymgr workorders calendar``: the working calendar deadlines are counted on (public
holidays and 调休 working weekends): list it, fill years from the official calendar, add or
remove days."""

from __future__ import annotations

import argparse
import datetime as dt

from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_list,
    cli_language,
    print_json,
)


def register(s: argparse._SubParsersAction) -> None:
    c = s.add_parser(
        "calendar", help="show or edit the working calendar (holidays, 调休 working weekends)",
        description="The working calendar work-order deadlines are counted on: public "
        "holidays and the weekend days worked in exchange (调休), as the State Council "
        "announces them each year. New files get the official calendar of last year, this "
        "year and the next; --seed fills more years (or refreshes them after a notice), "
        "--holiday/--workday/--remove edit single days. Without options it lists the days.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  citymgr workorders calendar district.gpkg --year 2026\n"
        "  citymgr workorders calendar district.gpkg --seed 2027\n"
        "  citymgr workorders calendar district.gpkg --holiday 2026-12-31 --remove 2026-10-10")
    c.add_argument("file", help="a GeoPackage, or a database (postgresql://… or service=NAME)")
    add_list(c, "--seed", metavar="YEAR", help="fill these years from the official calendar "
             "(replacing their days)")
    add_list(c, "--holiday", metavar="DATE", help="make these days holidays")
    add_list(c, "--workday", metavar="DATE", help="make these weekend days working days")
    add_list(c, "--remove", metavar="DATE", help="make these days ordinary again")
    c.add_argument("--year", type=int, help="list only this year")
    add_json(c)
    add_lang(c)
    c.set_defaults(func=run_calendar)


def _dates(items: list[str] | None, option: str) -> set[dt.date]:
    from citymgr_desktop.core.errors import ValidationError

    out = set()
    for text in items or []:
        try:
            out.add(dt.date.fromisoformat(text))
        except ValueError:
            raise ValidationError("{option} {value!r}: not a date (YYYY-MM-DD)", option=option,
                                  value=text) from None
    return out


def _years(items: list[str] | None) -> list[int]:
    from citymgr_desktop.core.errors import ValidationError

    years = []
    for text in items or []:
        if not (text.isdigit() and 1990 <= int(text) <= 2100):
            raise ValidationError("--seed {value!r}: not a year (1990-2100)", value=text)
        years.append(int(text))
    return years


def run_calendar(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import joined, msg, parse
    from citymgr_desktop.core.model.workcalendar import OFFICIAL_SOURCE
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders import deadlines as dl

    seed = _years(args.seed)
    add_h, add_w = _dates(args.holiday, "--holiday"), _dates(args.workday, "--workday")
    remove = _dates(args.remove, "--remove")
    writes = bool(seed or add_h or add_w or remove)
    with open_store(args.file, read_only=not writes) as store:
        store.require_asset_project()
        cal = dl.calendar_of(store)
        if seed:
            cal = dl.seed_calendar(store, seed)
        if add_h or add_w or remove:
            holidays = (set(cal.holidays) - remove - add_w) | add_h
            workdays = (set(cal.workdays) - remove - add_h) | add_w
            cal = dl.save_calendar(store, holidays, workdays)
        info = dl.calendar_source(store)

    def shown(days: frozenset[dt.date]) -> list[str]:
        return sorted(d.isoformat() for d in days if args.year is None or d.year == args.year)

    result = {"file": args.file, "holidays": shown(cal.holidays),
              "workdays": shown(cal.workdays), **info}
    if args.json:
        print_json(result)
        return 0
    lang = cli_language()
    if info["source"]:
        source = parse(info["source"], [OFFICIAL_SOURCE]) or info["source"]
        print(msg("calendar from {source}; years {years}", source=source,
                  years=joined(info["years"])).render(lang))
    years = sorted({d[:4] for d in result["holidays"] + result["workdays"]})
    for year in years:
        h = [d[5:] for d in result["holidays"] if d.startswith(year)]
        w = [d[5:] for d in result["workdays"] if d.startswith(year)]
        print(msg("{year}: {count} holiday(s): {days}", year=year, count=len(h),
                  days=" ".join(h)).render(lang))
        print(msg("{year}: {count} working weekend day(s) (调休): {days}", year=year,
                  count=len(w), days=" ".join(w) or "-").render(lang))
    if not years:
        print(msg("no holidays or working weekends: Monday-Friday only (use --seed YEAR)")
              .render(lang))
    return 0
