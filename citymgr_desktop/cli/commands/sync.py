"""``citymgr sync``, ``sync-undo`` and ``sync-list``: bring field packages back, undo a sync,
and see the history of syncs and their open conflicts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_overwrite,
    add_user,
    cli_language,
    print_json,
    refuse_overwrite,
    terminal_progress,
)

ORDER = 61


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync", help="merge a field package back into the master (three-way)",
        description="Three-way merge of a field package into its master, keyed by asset_uuid: "
        "edits to different attributes both land; the same attribute changed two ways, a "
        "geometry changed on both sides, or edit against delete is a conflict. Everything "
        "else is applied in one transaction after a backup, with a journal for "
        "'citymgr sync-undo'. Without --prefer, conflicts keep the master's value and stay "
        "open for resolution in the app; they are named by the asset's object code and name, "
        "as in the app. A new asset the crew left without a sub-district (街道) or grid code "
        "(单元网格) takes them from the nearest asset within 300 m (a whole-file or --bbox "
        "package has no sub-district default); the report counts them. Exit code 9 when "
        "conflicts were left open (or, with --dry-run, would be).")
    p.add_argument("file", help="the master project (.gpkg, or a postgresql:// URL or service=NAME)")
    p.add_argument("package", help="the field package brought back (.gpkg)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    p.add_argument("--prefer", choices=("master", "field"),
                   help="settle conflicts for this side instead of leaving them open")
    p.add_argument("--report", metavar="OUT.json", help="write the full report as JSON")
    p.add_argument("--no-backup", action="store_true",
                   help="skip the copy of the master taken before the sync (the journal still "
                   "allows undo)")
    p.add_argument("--full-check", action="store_true",
                   help="run PRAGMA integrity_check on the whole file (by default only the tables "
                   "written are checked: integrity_check up to 64 MB, quick_check above)")
    add_user(p, "who syncs, recorded in the journal (default: your login)")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run_sync)

    u = sub.add_parser("sync-undo", help="undo a sync (restores the master as it was)",
                       description="Undo a whole sync run from its journal, in one transaction "
                       "after a backup. Refused, naming the rows, if anything the sync wrote "
                       "has been edited since.")
    u.add_argument("file", help="the master project (.gpkg, or a postgresql:// URL or service=NAME)")
    u.add_argument("sync_id", help="the sync id printed by 'citymgr sync' (see sync-list)")
    u.add_argument("--no-backup", action="store_true", help="skip the backup copy")
    add_user(u, "who undoes it (default: your login)")
    add_json(u)
    add_lang(u)
    u.set_defaults(func=run_undo)

    r = sub.add_parser("sync-resolve", help="resolve open sync conflicts",
                       description="Resolve conflicts a sync left open (see 'sync-list "
                       "--conflicts'): take the ancestor's, the master's or the field's value, "
                       "or set a value. One journaled run, undone with 'sync-undo'.")
    r.add_argument("file", help="the master project (.gpkg)")
    r.add_argument("conflicts", nargs="*", metavar="CONFLICT_ID", help="conflicts to resolve")
    r.add_argument("--all", action="store_true", help="every open conflict")
    how = r.add_mutually_exclusive_group(required=True)
    how.add_argument("--take", choices=("ancestor", "master", "field"), help="whose value wins")
    how.add_argument("--value", help="set this value (one field conflict at a time)")
    add_user(r, "who resolves them (default: your login)")
    add_json(r)
    add_lang(r)
    r.set_defaults(func=run_resolve)

    ls = sub.add_parser("sync-list", help="field packages, syncs and open conflicts",
                        description="List the field packages checked out from the master, "
                        "the sync runs (newest first) and the number of open conflicts. Times "
                        "are office time (China Standard Time, as the app shows them) and say "
                        "so: 'office time (UTC+8)'; --json gives them as stored, in UTC.")
    ls.add_argument("file", help="the master project (.gpkg)")
    ls.add_argument("--conflicts", action="store_true",
                    help="also list every open conflict: its id (what sync-resolve takes), "
                    "then the asset by object code and name")
    add_json(ls)
    add_lang(ls)
    ls.set_defaults(func=run_list)


def run_sync(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.atomic import atomic_path
    from citymgr_desktop.core.errors import BadFileError, ConflictError
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store.postgis import is_database_target
    from citymgr_desktop.core.sync import open_for_sync, sync_package
    from citymgr_desktop.core.sync.names import conflict_names

    if args.report and not Path(args.report).resolve().parent.is_dir():
        raise BadFileError("--report: folder {folder} does not exist; nothing was synced",
                           folder=Path(args.report).parent)
    refuse_overwrite(args.report, args.overwrite)
    if is_database_target(args.file):  # one transaction in the database: no backup copy
        from citymgr_desktop.core.store.postgis import PostgisStore
        from citymgr_desktop.core.sync.database import sync_into_database

        with PostgisStore.open(args.file) as db:
            report = sync_into_database(db, args.package, prefer=args.prefer,
                                        dry_run=args.dry_run, user=acting_user(args.user),
                                        progress=terminal_progress("sync"))
            names = conflict_names(db, report.conflicts)
    else:
        with open_for_sync(args.file, args.package, read_only=args.dry_run) as store:
            report = sync_package(store, args.package, prefer=args.prefer,
                                  dry_run=args.dry_run, user=acting_user(args.user),
                                  backup=not args.no_backup, full_check=args.full_check,
                                  progress=terminal_progress("sync"))
            names = conflict_names(store, report.conflicts)  # as the window names them
    data = report.to_json()
    if args.report:
        with atomic_path(args.report) as tmp:
            Path(tmp).write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str),
                                 encoding="utf-8")
    if args.json:
        print_json(data)
    else:
        print("\n".join(report.summary(cli_language(), names)))
    if report.open_conflicts and report.status == "applied":
        print("citymgr: " + msg("{count} conflict(s) left open; everything else was applied "
                                "(sync {sync_id})", count=report.open_conflicts,
                                sync_id=report.sync_id).render(cli_language()), file=sys.stderr)
        return ConflictError.exit_code
    if report.open_conflicts and report.status == "dry-run":
        print("citymgr: " + msg("{count} conflict(s) would be left open (dry run: nothing was "
                                "written)", count=report.open_conflicts).render(cli_language()),
              file=sys.stderr)
        return ConflictError.exit_code  # the same exit as the real run, so scripts can check
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.store.postgis import is_database_target
    from citymgr_desktop.core.sync import undo_sync

    if is_database_target(args.file):  # the journal in the database is the record
        from citymgr_desktop.core.store.postgis import PostgisStore
        from citymgr_desktop.core.sync.database import undo_database_sync

        with PostgisStore.open(args.file) as db:
            result = undo_database_sync(db, args.sync_id, user=acting_user(args.user))
    else:
        with Store.open(args.file) as store:
            result = undo_sync(store, args.sync_id, user=acting_user(args.user),
                               backup=not args.no_backup, progress=terminal_progress("sync-undo"))
    if args.json:
        print_json(result)
    else:
        lang = cli_language()
        check = Term(f"integrity {result['integrity_check']} ok", "完整性检查通过")
        print(msg("undid sync {sync_id}: {rows} row change(s) reverted; {check}",
                  sync_id=result["sync_id"], rows=result["rows_restored"],
                  check=check).render(lang))
        if result["backup"]:
            print("  " + msg("backup before the undo: {path}",
                             path=result["backup"]).render(lang))
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.messages import msg
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import Resolution, list_conflicts, resolve_conflicts

    if bool(args.conflicts) == bool(args.all):
        raise ValidationError("name the conflicts to resolve, or give --all")
    if args.value is not None and (args.all or len(args.conflicts) != 1):
        raise ValidationError("--value sets one conflict at a time")
    with Store.open(args.file) as store:
        store.require_asset_project()  # someone else's GeoPackage: exit 5, as sync-list
        ids = [c.conflict_uuid for c in list_conflicts(store)] if args.all \
            else args.conflicts
        if not ids:
            if args.json:
                print_json({"resolved": 0, "rows_changed": 0, "sync_id": None})
            else:
                print(msg("no open conflicts").render(cli_language()))
            return 0
        choice = "edit" if args.value is not None else args.take
        result = resolve_conflicts(store, [Resolution(i, choice, args.value) for i in ids],
                                   user=acting_user(args.user),
                                   progress=terminal_progress("sync-resolve"))
    if args.json:
        print_json(result)
        return 0
    print(msg("resolved {count} conflict(s), {rows} row(s) changed (run {sync_id}; 'citymgr "
              "sync-undo' takes it back)", count=result["resolved"], rows=result["rows_changed"],
              sync_id=result["sync_id"]).render(cli_language()))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import registry as reg
    from citymgr_desktop.core.sync.names import conflict_names
    from citymgr_desktop.core.sync.resolve import conflict_listing, list_conflicts

    with Store.open(args.file, read_only=True) as store:
        store.require_asset_project()
        packages, runs = reg.packages_and_runs(store)
        conflicts = conflict_listing(store)
        names = conflict_names(store, list_conflicts(store)) if conflicts else {}
    for c in conflicts:  # named as the window names them; the uuid stays beside
        c["asset"] = names.get((c["layer"], c["uuid"])) or c["uuid"]
    if args.json:
        print_json({
            "packages": [p.__dict__ | {"schema_columns": None} for p in packages],
            "runs": [r.__dict__ | {"restore_state": None} for r in runs],
            "open_conflicts": conflicts})
        return 0
    for line in listing_text(packages, runs, conflicts, args.conflicts, cli_language()):
        print(line)
    return 0


def listing_text(packages: list, runs: list, conflicts: list[dict], with_conflicts: bool,
                 lang: str) -> list[str]:
    """``sync-list`` for a person, in ``lang`` (the message catalogue's sentences), times in
    office time with its zone (``--json`` keeps the stored UTC)."""
    from citymgr_desktop.core.clock import format_local_zoned
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.sync.package import area_text

    kinds = {"sync": Term("sync", "同步"), "resolve": Term("resolve", "解决冲突")}
    states = {"applied": Term("applied", "已应用"), "undone": Term("undone", "已撤销")}
    out = [msg("{count} field package(s):", count=len(packages)).render(lang)]
    for p in packages:
        out.append("  " + msg("{package_uuid}  {name}  {area}  surveyor {surveyor}  {assets:,} "
                              "assets  {created_at}", package_uuid=p.package_uuid, name=p.name,
                              area=area_text(p.area), surveyor=p.surveyor or "-",
                              assets=p.feature_count or 0,
                              created_at=format_local_zoned(p.created_at, lang)).render(lang))
    out.append(msg("{count} sync run(s), newest first:", count=len(runs)).render(lang))
    for r in runs:
        total = sum(sum(v for k, v in c.items() if k != "conflict") for c in r.counts.values())
        out.append("  " + msg("{sync_id}  {kind:<7} {state:<8} {applied_at}  {changes} "
                              "change(s), {conflicts} conflict(s)  by {user}",
                              sync_id=r.sync_id, kind=kinds.get(r.kind, r.kind),
                              state=states.get(r.state, r.state),
                              applied_at=format_local_zoned(r.applied_at, lang),
                              changes=total, conflicts=r.conflict_count,
                              user=r.applied_by or "-").render(lang))
    out.append(msg("{count} open conflict(s)", count=len(conflicts)).render(lang))
    if with_conflicts:
        for c in conflicts:
            out.append("  " + msg("{conflict_id}  {layer} {asset} {field} ({kind}): ancestor "
                                  "{ancestor}, master {master}, field {field_value}",
                                  **c).render(lang))
    return out
