"""``citymgr history``: add maintenance records (optionally with photos) and list an asset's
history."""

from __future__ import annotations

import argparse

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_list,
    add_user,
    cli_language,
    print_json,
)
from citymgr_desktop.core.model import domains as dm

ORDER = 61
TYPES = ", ".join(str(v) for v in dm.RECORD_TYPE.values())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="maintenance history: add and list records",
                       description="Maintenance history of assets (inspection, repair, "
                       "cleaning, replacement, reconstruction).")
    s = p.add_subparsers(dest="action", metavar="ACTION")
    s.required = True
    a = s.add_parser("add", help="add a maintenance record to an asset (prints its uuid)")
    a.add_argument("file")
    a.add_argument("--asset", required=True, metavar="UUID|CODE",
                   help="the asset: its uuid or object code (citymgr locate finds both)")
    a.add_argument("--type", required=True, help=f"one of: {TYPES}")
    a.add_argument("--date", required=True, help="YYYY-MM-DD")
    a.add_argument("--condition-after", type=int, help="1 good ... 5 critical; sets the "
                   "asset's condition when this is its newest record")
    a.add_argument("--condition-before", type=int, help="default: the asset's condition")
    a.add_argument("--crew")
    a.add_argument("--observation")
    a.add_argument("--work-done")
    a.add_argument("--labour-cost", type=float)
    a.add_argument("--material-cost", type=float)
    a.add_argument("--equipment-cost", type=float)
    a.add_argument("--work-order", metavar="CASE", help="link to a work order (case number)")
    add_list(a, "--attach", metavar="FILE", help="photo or document, stored in the "
             "GeoPackage with its SHA-256")
    a.add_argument("--keep-condition", action="store_true",
                   help="do not update the asset's condition")
    add_user(a, "who records it (default: your login)", old=("--by",))
    add_json(a)
    add_lang(a)
    a.set_defaults(func=run_add)
    ls = s.add_parser("list", help="list an asset's records, newest first")
    ls.add_argument("file")
    ls.add_argument("--asset", required=True, metavar="UUID|CODE",
                    help="the asset: its uuid or object code (citymgr locate finds both)")
    ls.add_argument("--limit", type=int)
    add_json(ls)
    add_lang(ls)
    ls.set_defaults(func=run_list)


def run_add(args: argparse.Namespace) -> int:
    from citymgr_desktop.core import history
    from citymgr_desktop.core.editing.locate import resolve_asset
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.model.delta import DeltaSet
    from citymgr_desktop.core.store import open_store
    from citymgr_desktop.core.workorders import orders as wo

    user = acting_user(args.user, "citymgr")
    values = {"record_type": args.type, "record_date": args.date, "crew": args.crew,
              "observation": args.observation, "work_done": args.work_done,
              "condition_after": args.condition_after, "labour_cost": args.labour_cost,
              "material_cost": args.material_cost, "equipment_cost": args.equipment_cost}
    if args.condition_before is not None:
        values["condition_before"] = args.condition_before
    from citymgr_desktop.core.store.postgis import is_database_target

    if is_database_target(args.file) and (args.work_order or args.attach):
        raise ValidationError("--work-order and --attach are not supported on a database yet")
    with open_store(args.file) as store:
        store.require_asset_project()
        _layer, asset = resolve_asset(store, args.asset)
        if args.work_order:
            values["work_order_uuid"] = wo.get_order(store, args.work_order)["work_order_uuid"]
        deltas = history.plan_add(store, None, asset, values, user=user,
                                  update_condition=not args.keep_condition)
        rid = next(d.uuid for d in deltas if d.table == "maintenance_record")
        with store.session():  # one transaction: the record, then its photos (the first one
            history.apply(store, DeltaSet(deltas), user)  # becomes the record's photo)
            for path in args.attach or []:
                history.apply(store, history.plan_attach_file(store, rid, path, user=user),
                              user)
    if args.json:
        print_json({"record_uuid": rid, "asset_uuid": asset,
                    "attachments": len(args.attach or [])})
    else:
        print(rid)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from citymgr_desktop.cli.commands._table import print_table
    from citymgr_desktop.core import history
    from citymgr_desktop.core.editing.locate import resolve_asset
    from citymgr_desktop.core.messages import Term, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import open_store

    with open_store(args.file, read_only=True) as store:
        store.require_asset_project()
        _layer, asset = resolve_asset(store, args.asset)
        rows = history.records(store, asset, args.limit)
        for r in rows:
            r["attachments"] = [a["file_name"] for a in history.attachments(store,
                                                                            r["record_uuid"])]
    if args.json:
        print_json(rows)
        return 0
    lang = cli_language()
    record = sc.table("maintenance_record")
    label = {f: Term(record.field(f).en.lower(), record.field(f).zh)
             for f in ("record_date", "record_type", "crew", "observation", "work_done")}
    headers = [label["record_date"], label["record_type"], Term("condition", "状况"),
               label["crew"], Term(f"{label['observation']} / {label['work_done']}",
                    f"{label['observation'].zh} / {label['work_done'].zh}"),
               Term("attachments", "附件")]
    table = [[r["record_date"] or "",
              Term(str(r["record_type"] or ""), dm.RECORD_TYPE.label(r["record_type"], "zh")),
              f"{r['condition_before'] or '-'}->{r['condition_after'] or '-'}",
              r["crew"] or "", f"{r['observation'] or ''} / {r['work_done'] or ''}",
              ", ".join(r["attachments"])] for r in rows]
    print_table(headers, table, lang)
    print(msg("{count} record(s)", count=len(rows)).render(lang))
    return 0
