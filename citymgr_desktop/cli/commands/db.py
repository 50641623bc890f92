"""``citymgr db grant URL --role R --district 街道 [--read-only]``: PostgreSQL roles and
row-level security on a project database (docs/postgis.md)."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import add_lang, cli_language

ORDER = 97


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="administer a PostGIS project database (grant)",
                       description="Administer a project database held in PostgreSQL + "
                       "PostGIS.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    g = actions.add_parser(
        "grant", help="let a role read the district and change one sub-district's assets",
        description="Let an existing PostgreSQL role read the whole project and change only "
        "the assets of one sub-district (街道): row-level security, so the database itself "
        "refuses a change to another sub-district's asset. Run as the database's owner; "
        "repeat for more sub-districts. A database granted by an older citymgr gets the "
        "current rules when its owner next opens it for writing (no need to grant again).",
        epilog="example:\n  createuser --pwprompt li_si\n"
        "  citymgr db grant service=city --role li_si --district 粮道街道",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("database", help="postgresql://OWNER@HOST[:PORT]/DB or service=NAME")
    g.add_argument("--role", required=True, help="an existing PostgreSQL role (login)")
    g.add_argument("--district", required=True, help="the sub-district (街道) it may change")
    g.add_argument("--read-only", action="store_true",
                   help="read the project only; change nothing")
    add_lang(g)
    g.set_defaults(func=run_grant)


def run_grant(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store.postgis import display_name
    from citymgr_desktop.core.store.postgis.grant import grant

    grant(args.database, args.role, args.district, read_only=args.read_only)
    line = (msg("{database}: {role} may read", database=display_name(args.database),
                role=args.role) if args.read_only else
            msg("{database}: {role} may read, and change the assets of {district}",
                database=display_name(args.database), role=args.role, district=args.district))
    print(line.render(cli_language()))
    return 0
