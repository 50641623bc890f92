"""``citymgr publish FILE.gpkg URL``: move a district's project file into the shared PostGIS
database; ``citymgr snapshot URL --out F.gpkg``: an offline copy of the database
(docs/postgis.md)."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_overwrite,
    cli_language,
    print_json,
    terminal_progress,
)

ORDER = 96


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "publish", help="publish a project file into a PostGIS database (idempotent by uuid)",
        description="Copy the assets, maintenance records and work orders of a project file "
        "into a PostgreSQL + PostGIS database, creating our schema in an empty database. "
        "Rows are matched by uuid: publishing again updates the rows that changed and never "
        "duplicates one, and never takes back what was saved in the database meanwhile (a "
        "row changed there after the file's copy keeps the database's values; they are "
        "counted as kept). The password comes from ~/.pgpass, the service file or PGPASSWORD, "
        "never from the command line or settings.",
        epilog="examples:\n  citymgr publish district.gpkg postgresql://gis@db.example/city\n"
        "  citymgr publish district.gpkg service=city",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="a citymgr project (.gpkg)")
    p.add_argument("database", help="postgresql://USER@HOST[:PORT]/DB or service=NAME")
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run_publish)

    s = sub.add_parser(
        "snapshot", help="write an offline GeoPackage copy of a PostGIS database",
        description="Write the project held in a PostGIS database (or the assets of one "
        "sub-district with their records) to a new GeoPackage that QGIS, QField and every "
        "citymgr command open.")
    s.add_argument("database", help="postgresql://USER@HOST[:PORT]/DB or service=NAME")
    s.add_argument("--out", required=True, help="the GeoPackage to write")
    s.add_argument("--district", help="only the assets of this sub-district (街道)")
    add_overwrite(s)
    add_json(s)
    add_lang(s)
    s.set_defaults(func=run_snapshot)


def run_publish(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store.postgis import display_name, publish

    result = publish(args.file, args.database, terminal_progress("publish"))
    if args.json:
        print_json({"file": args.file, "database": display_name(args.database),
                    "created_schema": result.created_schema, "inserted": result.inserted,
                    "updated": result.updated, "kept": result.kept})
        return 0
    for line in published_lines(args.file, display_name(args.database), result,
                                cli_language()):
        print(line)
    return 0


def published_lines(file: str, database: str, result, lang: str) -> list[str]:
    """What a publish did, for a person, in ``lang`` (the English as it always was: scripts
    read it; the tables by their names, in Chinese by their Chinese names)."""
    from citymgr_desktop.core.messages import is_chinese, msg
    from citymgr_desktop.core.model import schema as sc

    added, changed = sum(result.inserted.values()), sum(result.updated.values())
    said = dict(file=file, database=database, added=added, changed=changed)
    line = (msg("{file} -> {database}: {added:,} rows added, {changed:,} updated (schema "
                "created)", **said) if result.created_schema else
            msg("{file} -> {database}: {added:,} rows added, {changed:,} updated", **said))
    out = [line.render(lang)]
    if result.kept:
        names = {k: sc.TABLES_BY_NAME[k].zh if is_chinese(lang) and k in sc.TABLES_BY_NAME
                 else k for k in result.kept}
        per_table = ("、" if is_chinese(lang) else ", ").join(
            f"{names[k]} {n:,}" for k, n in result.kept.items())
        out.append("  " + msg("kept the database's newer version of {count:,} row(s) changed "
                              "there after the file's copy ({per_table}); edit them in the "
                              "database, or take a new snapshot",
                              count=sum(result.kept.values()), per_table=per_table
                              ).render(lang))
    return out


def run_snapshot(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store.postgis import display_name, snapshot

    counts = snapshot(args.database, args.out, district=args.district,
                      overwrite=args.overwrite, progress=terminal_progress("snapshot"))
    if args.json:
        print_json({"database": display_name(args.database), "out": args.out,
                    "rows": counts})
    else:
        print(msg("{database} -> {out}: {rows:,} rows", database=display_name(args.database),
                  out=args.out, rows=sum(counts.values())).render(cli_language()))
    return 0
