"""Work orders (工单): create one order for many assets, move it through the 数字城管 loop,
close it with a maintenance record per asset.

Every change is planned as a :class:`DeltaSet`: creating an order is its row, its first
``work_order_event`` and one ``work_order_asset`` link per asset (links are keyed by
"order/asset"); a move is the order's state and ``<state>_at``, an event with who/when/why,
and on closing the ``maintenance_record`` rows. The app pushes the deltas into its edit
session (one undo step, saved with everything else); the command line applies them at once
(:func:`create_order`, :func:`move_order`). Readers and planners take ``pending``, the
session's unsaved edits, so an unsaved order reads as if saved. Listing and reports live in
``workorders.query``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.clock import format_iso, new_uuid, parse_iso, utcnow
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.model.pending import overlay_rows, pending_of
from citymgr_desktop.core.model.values import normalise
from citymgr_desktop.core.workorders import notes
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.deadlines import (
    check_due,
    compute_deadline,
    to_local,
)

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

MAX_ASSETS = 5000  # one order is a job for one crew; more is a mistake in the selection
NOTE_MAX_LENGTH = sc.table("work_order_event").field("note").max_length or 1000


@dataclass
class OrderSpec:
    """What a person asks for when creating an order."""

    title: str
    priority: int = 3
    assets: Sequence[tuple[str, str]] = ()  # (asset_class, asset_uuid)
    description: str | None = None
    source: str | None = "patrol"
    assignee: str | None = None
    district: str | None = None
    asset_class: str | None = None  # default: the class of the assets when they share one
    note: Text | None = None  # why; the app's own notes are Messages (stored in English)
    deadline: dt.datetime | None = None  # naive UTC; default: the time limit of class/priority
    extra: dict[str, Any] = field(default_factory=dict)


def next_case_number(store: Store, day: dt.date, pending: DeltaSet | None = None) -> str:
    """The next free case number of ``day`` (call inside the write transaction: a database
    store locks the order table until it commits, so concurrent writers never share one),
    unsaved orders of ``pending`` counted."""
    prefix = f"{day:%Y%m%d}"
    last = store.last_case_number(prefix)
    cases = [last] if last else []
    cases += [str((d.new or {}).get("case_no") or "") for d in pending_of(pending, "work_order")
              if d.kind == "insert"]
    serials = [int(c[8:]) for c in cases
               if len(c) == 12 and c.startswith(prefix) and c[8:].isdigit()]
    return wf.case_number(day, max(serials, default=0) + 1)


def asset_class_of(store: Store, uuids: Iterable[str], pending: DeltaSet | None = None
                   ) -> dict[str, str]:
    """Which asset layer holds each uuid (unknown uuids are left out; unsaved new assets
    of ``pending`` count, deleted ones do not)."""
    ulist = list(dict.fromkeys(uuids))
    out: dict[str, str] = {}
    out.update(store.asset_layers_of(ulist))
    for t in sc.ASSET_TABLES:
        for d in pending_of(pending, t.name):
            if d.kind == "insert":
                out[d.uuid] = t.name
            elif d.kind == "delete":
                out.pop(d.uuid, None)
    return {u: out[u] for u in ulist if u in out}


def resolve_assets(store: Store, uuids: Iterable[str], pending: DeltaSet | None = None
                   ) -> list[tuple[str, str]]:
    """(class, uuid) pairs for asset uuids of any layer; unknown uuids are an error."""
    ulist = list(dict.fromkeys(uuids))
    found = asset_class_of(store, ulist, pending)
    missing = [u for u in ulist if u not in found]
    if missing:
        if len(missing) > 3:
            raise NotFoundError("no asset with uuid {uuids} (and {more} more)",
                                uuids=", ".join(missing[:3]), more=len(missing) - 3)
        raise NotFoundError("no asset with uuid {uuids}", uuids=", ".join(missing))
    return [(found[u], u) for u in ulist]


def _order_row(store: Store, spec: OrderSpec, user: str, now: dt.datetime,
               order_uuid: str, pending: DeltaSet | None = None) -> dict[str, Any]:
    t = sc.WORK_ORDER
    if not spec.title or not str(spec.title).strip():
        raise ValidationError("work_order.title (Title) must not be empty")
    assets = list(dict.fromkeys(spec.assets))
    if not assets:
        raise ValidationError("a work order needs at least one asset (the selection or the "
                              "expression matched none)")
    if len(assets) > MAX_ASSETS:
        raise ValidationError("a work order may hold at most {max_assets} assets, got {count}; "
                              "narrow the selection", max_assets=MAX_ASSETS, count=len(assets))
    classes = {c for c, _ in assets}
    cls = spec.asset_class or (next(iter(classes)) if len(classes) == 1 else None)
    priority = normalise(t, "priority", spec.priority)
    district = spec.district
    if district is None:
        district = _common_district(store, assets, pending)
    deadline = (check_due(spec.deadline, now) if spec.deadline is not None
                else compute_deadline(store, cls, priority, now))
    local_day = to_local(now).date()
    row = {
        "work_order_uuid": order_uuid,
        "case_no": next_case_number(store, local_day, pending),
        "source": normalise(t, "source", spec.source),
        "asset_class": normalise(t, "asset_class", cls),
        "priority": priority,
        "title": normalise(t, "title", spec.title.strip()),
        "description": normalise(t, "description", spec.description),
        "district": normalise(t, "district", district),
        "deadline": format_iso(deadline),
        "assignee": normalise(t, "assignee", spec.assignee),
        "state": wf.S.REPORTED.value,
        "created_by": user or None,
        "updated_at": format_iso(now),
        "reported_at": format_iso(now),
    }
    row.update({k: normalise(t, k, v) for k, v in spec.extra.items()})
    return row


def _common_district(store: Store, assets: list[tuple[str, str]],
                     pending: DeltaSet | None = None) -> str | None:
    names: set[str | None] = set()
    by_class: dict[str, list[str]] = {}
    for c, u in assets:
        by_class.setdefault(c, []).append(u)
    for c, ids in by_class.items():
        rows = overlay_rows(c, store.get_rows(c, ids, ["district"]), pending, wanted=ids)
        for row in rows.values():
            names.add(row.get("district"))
        if len(names) > 1:
            return None
    return next(iter(names)) if len(names) == 1 else None


def plan_create(store: Store, spec: OrderSpec, user: str, *, now: dt.datetime | None = None,
                order_uuid: str | None = None, pending: DeltaSet | None = None) -> DeltaSet:
    """The deltas of a new order in state ``reported`` for ``spec.assets``: its row (case
    number = date + serial of the day, deadline = ``spec.deadline`` when given (it must be
    after ``now``), else the time limit of class and priority in working time), its first
    event and a link per asset."""
    store.require_asset_project()
    now = now or utcnow()
    wid = order_uuid or new_uuid()
    assets = list(dict.fromkeys(spec.assets))
    row = _order_row(store, spec, user, now, wid, pending)
    note = spec.note or notes.created(len(assets))
    event = _event(wid, None, wf.S.REPORTED, user, str(note), now)
    deltas = DeltaSet([Delta("work_order", wid, None, row),
                       Delta("work_order_event", event["event_uuid"], None, event)])
    link = sc.WORK_ORDER_ASSET
    for cls, uuid in assets:
        values = {"work_order_uuid": wid, "asset_class": cls, "asset_uuid": uuid}
        deltas.add(Delta(link.name, link.link_key(values), None, values))
    return deltas


def create_order(store: Store, spec: OrderSpec, user: str, *, now: dt.datetime | None = None,
                 order_uuid: str | None = None) -> dict[str, Any]:
    """Create an order at once (one transaction; the command line); returns its row.

    The case number is computed inside the transaction, so two writers never share one.
    """
    with store.session():
        deltas = plan_create(store, spec, user, now=now, order_uuid=order_uuid)
        store.apply(deltas, user)
    return next(dict(d.new) for d in deltas if d.table == "work_order" and d.new is not None)


def delete_order(store: Store, ref: str, pending: DeltaSet | None = None) -> DeltaSet:
    """The deltas that remove an order with its links and events (an order made by
    mistake); one with maintenance records is refused: cancel it instead."""
    order = get_order(store, ref, pending)
    wid = order["work_order_uuid"]
    n = store.order_record_count(wid)
    n += sum(1 for d in pending_of(pending, "maintenance_record")
             if d.kind == "insert" and (d.new or {}).get("work_order_uuid") == wid)
    if n:
        raise ValidationError("order {case_no} has {n} maintenance record(s); cancel it "
                              "instead of deleting it", case_no=order["case_no"], n=n)
    link = sc.WORK_ORDER_ASSET
    deltas = DeltaSet()
    for cls, uuid in assets_of(store, wid, pending):
        values = {"work_order_uuid": wid, "asset_class": cls, "asset_uuid": uuid}
        deltas.add(Delta(link.name, link.link_key(values), values, None))
    deltas.extend(Delta("work_order_event", e["event_uuid"], e, None)
                  for e in events_of(store, wid, pending))
    deltas.add(Delta("work_order", wid, order, None))
    return deltas


def get_order(store: Store, ref: str, pending: DeltaSet | None = None) -> dict[str, Any]:
    """An order by case number or uuid (NotFoundError naming the reference)."""
    ref = str(ref).strip()
    found = store.order_rows(ref)
    rows = overlay_rows("work_order", found, pending, match=lambda row: ref in (
        row.get("case_no"), row.get("work_order_uuid")))
    if not rows:
        raise NotFoundError("no work order with case number or uuid {ref!r}", ref=ref)
    return next(iter(rows.values()))


def events_of(store: Store, work_order_uuid: str, pending: DeltaSet | None = None
              ) -> list[dict[str, Any]]:
    """The order's moves, oldest first (unsaved ones last)."""
    found = store.order_events(work_order_uuid)
    if not pending_of(pending, "work_order_event"):
        return found
    rows = overlay_rows("work_order_event", {e["event_uuid"]: e for e in found}, pending,
                        match=lambda row: row.get("work_order_uuid") == work_order_uuid)
    order = {e["event_uuid"]: i for i, e in enumerate(found)}
    return sorted(rows.values(), key=lambda e: (order.get(e["event_uuid"], len(order)),
                                                 e.get("at") or ""))


def assets_of(store: Store, work_order_uuid: str, pending: DeltaSet | None = None
              ) -> list[tuple[str, str]]:
    """(asset class, asset uuid) of the order's assets, in the order they were linked."""
    found = store.order_assets(work_order_uuid)
    links = pending_of(pending, sc.WORK_ORDER_ASSET.name)
    if not links:
        return found
    gone = {(d.old or {}).get("asset_uuid") for d in links if d.kind == "delete"
            and (d.old or {}).get("work_order_uuid") == work_order_uuid}
    out = [(c, u) for c, u in found if u not in gone]
    out += [((d.new or {})["asset_class"], (d.new or {})["asset_uuid"]) for d in links
            if d.kind == "insert" and (d.new or {}).get("work_order_uuid") == work_order_uuid]
    return out


def _event(wid: str, src: wf.WorkOrderState | None, dst: wf.WorkOrderState, by: str,
           note: str | None, at: dt.datetime) -> dict[str, Any]:

    return {"event_uuid": new_uuid(), "work_order_uuid": wid,
            "from_state": src.value if src else None, "to_state": dst.value,
            "at": format_iso(at), "by": by, "note": note or None}


# The move that reports the repair done must say what was done (数字城管: 处置 reports a
# 处置结果 before 核查/结案); closing writes that result as each asset's work done.
NEEDS_RESULT = frozenset({wf.S.RESOLVED})


@dataclass
class CloseOptions:
    """How closing an order records the work on each asset."""

    record_type: str = "repair"
    condition_after: int | None = None
    crew: str | None = None  # default: the order's assignee
    work_done: str | None = None  # default: the result (note) of the last "resolved" move


def plan_move(store: Store, ref: str, to: wf.WorkOrderState | str, by: str,
              note: str | None = None, *, now: dt.datetime | None = None,
              close: CloseOptions | None = None, pending: DeltaSet | None = None,
              unit: str | None = None) -> DeltaSet:
    """The deltas of one legal move (IllegalTransitionError otherwise): state, ``<state>_at``,
    an event with who/when/why, and on ``closed`` one maintenance record per asset.
    ``unit``: the disposal unit (处置单位, ``assignee``) on dispatching, None keeps it, ""
    clears it; a change is written to the order and the event's note ("A → B")."""
    if not by or not str(by).strip():
        raise ValidationError("work_order_event.by (Who) must not be empty: say who moves it")
    order = get_order(store, ref, pending)
    src = wf.WorkOrderState(order["state"])
    dst = wf.check_move(src, to, msg("order {case_no}", case_no=order["case_no"]))
    note = str(note).strip() if note is not None else None
    if dst in NEEDS_RESULT and not note:
        raise ValidationError(
            "moving order {case_no} to {state} ({label}) needs the result of the work "
            "as its note: say what was done", case_no=order["case_no"],
            state=dst.value, label=wf.term(dst))
    now = now or utcnow()
    stamp = format_iso(now)
    wid = order["work_order_uuid"]
    col = f"{dst.value}_at"
    old = {"state": order["state"], col: order.get(col), "updated_at": order["updated_at"]}
    new = {"state": dst.value, col: stamp, "updated_at": stamp}
    if unit is not None and dst is not wf.S.DISPATCHED:
        raise ValidationError("the disposal unit is named when dispatching: move order "
                              "{case_no} to dispatched to change it", case_no=order["case_no"])
    current = order.get("assignee") or None
    unit = current if unit is None else (str(unit).strip() or None)
    if unit != current:
        old["assignee"] = order.get("assignee")
        new["assignee"] = normalise(sc.WORK_ORDER, "assignee", unit)
        note = str(notes.unit_changed(current, unit, note))
    deltas = DeltaSet([Delta("work_order", wid, old, new)])
    ev = _event(wid, src, dst, str(by).strip(), note, now)
    deltas.add(Delta("work_order_event", ev["event_uuid"], None, ev))
    if dst is wf.S.CLOSED:
        deltas.extend(_closing_records(store, order, close or CloseOptions(), by, note, now,
                                       pending))
    return deltas


def _closing_records(store: Store, order: dict[str, Any], opts: CloseOptions, by: str,
                     note: str | None, now: dt.datetime,
                     pending: DeltaSet | None = None) -> list[Delta]:
    from citymgr_desktop.core import history

    rec_type = normalise(sc.MAINTENANCE_RECORD, "record_type", opts.record_type)
    wid = order["work_order_uuid"]
    work_done = opts.work_done
    if work_done is None:
        resolved = [e for e in events_of(store, wid, pending) if e["to_state"] == "resolved"
                    and e.get("note")]
        work_done = resolved[-1]["note"] if resolved else (note or order["title"])
    out: list[Delta] = []
    day = to_local(now).date().isoformat()
    ahead = DeltaSet(pending or ())
    for cls, uuid in assets_of(store, wid, pending):
        values = {
            "record_date": day, "record_type": rec_type,
            "crew": opts.crew or order.get("assignee") or by,
            "observation": order.get("description") or order["title"],
            "work_done": work_done, "condition_after": opts.condition_after,
            "work_order_uuid": wid,
        }
        planned = history.plan_add(store, cls, uuid, values, user=by, now=now, pending=ahead)
        ahead.extend(planned)
        out.extend(planned)
    return out


def move_order(store: Store, ref: str, to: wf.WorkOrderState | str, by: str,
               note: str | None = None, *, now: dt.datetime | None = None,
               close: CloseOptions | None = None, unit: str | None = None) -> DeltaSet:
    """Make one legal move and write it (one transaction); returns the applied deltas."""
    store.require_asset_project()
    with store.session():
        deltas = plan_move(store, ref, to, by, note, now=now, close=close, unit=unit)
        store.apply(deltas, by)
    return deltas


def allowed_moves(store: Store, ref: str, pending: DeltaSet | None = None
                  ) -> list[wf.WorkOrderState]:
    return wf.allowed_targets(get_order(store, ref, pending)["state"])


def state_label(state: str, lang: str = "en") -> str:
    return dm.WORK_ORDER_STATE.label(state, lang)


def is_overdue(order: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Past its deadline and not yet resolved (resolved, checked, closed and cancelled orders
    are never overdue: the time limit is for the disposal)."""
    if order.get("state") not in OVERDUE_STATES:
        return False
    deadline = parse_iso(order.get("deadline"))
    return deadline is not None and deadline < (now or utcnow())


OVERDUE_STATES = frozenset({"reported", "filed", "dispatched", "in_progress", "returned",
                            "on_hold", "rework"})


class DeltaCommand:
    """An undoable change given as deltas: ``do`` applies them, ``undo`` their inverse."""

    def __init__(self, store: Store, deltas: DeltaSet, label: Text, user: str,
                 on_change: Callable[[], None] | None = None) -> None:
        self.store, self.deltas, self.label, self.user = store, deltas, label, user
        self.on_change = on_change

    def do(self) -> None:
        self.store.apply(self.deltas, self.user)
        if self.on_change:
            self.on_change()

    def undo(self) -> None:
        self.store.apply(~self.deltas, self.user)
        if self.on_change:
            self.on_change()
