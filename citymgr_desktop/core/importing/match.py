"""Match import candidates with the project's assets by ``source_id``: updates as deltas,
new assets as columns (:class:`NewAssets`, a delta each only when asked).

A candidate whose source id an asset already carries becomes an update of that asset: the
fields this delivery changed since the asset's previous delivery, merged three ways with the
project's values (:mod:`memory`; a value the source lacks never erases one the project has,
and a value the project changed since stays), an unchanged one is counted and left alone,
and a new one is inserted with a fresh
``asset_uuid`` and the next ``obj_code`` serial of its class (after the existing ones, and
after any codes the source brings itself). Retired or ambiguous matches are skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import shapely

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import new_uuids
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.importing import memory
from citymgr_desktop.core.importing.kept import KeptValue
from citymgr_desktop.core.importing.prepare import Candidate, Prepared, counted_empty
from citymgr_desktop.core.importing.report import Example, ImportReport
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, three_way, values_equal
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.row_values import rows_as_deltas

GEOM = sc.GEOMETRY_COLUMN
GEOMETRY_TOLERANCE = 1e-6  # metres: reprojection noise is not a change
SKIP_RETIRED = msg("matches a retired asset (reinstate it in the app first)")


@dataclass
class NewAssets:
    """The assets a batch adds, as columns (a value per asset; None: no value), in the order
    they are added: written as they are, a delta each only when asked (:meth:`deltas`)."""

    table: str
    uuids: list[str] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.uuids)

    def part(self, start: int, stop: int) -> NewAssets:
        return NewAssets(self.table, self.uuids[start:stop],
                         {f: column[start:stop] for f, column in self.columns.items()})

    def deltas(self) -> list[Delta]:
        """The insert deltas that add these assets (for an undo stack, or a database)."""
        return rows_as_deltas(self.table, self.columns, self.uuids)


@dataclass
class ImportPlan:
    updates: list[Delta]
    new: NewAssets
    report: ImportReport
    # (geometry in the project CRS, "insert" / "update" / "unchanged"): the wizard's preview
    outcomes: list[tuple[Any, str]] = field(default_factory=list)
    # what each matched or new asset came with this time ({asset_uuid: memory's text}):
    # the base of the next delivery's merge, kept when the plan is applied
    delivered: dict[str, str] = field(default_factory=dict)

    @property
    def deltas(self) -> list[Delta]:
        """Everything the plan applies, as deltas: the updates, then the new assets."""
        return [*self.updates, *self.new.deltas()]


JOIN_IDS = 500  # from this many source ids on, one pass over the layer joined to them


def _database(store: Store) -> bool:
    """Whether ``store`` is a PostGIS database (psycopg, ``%s`` parameters, arrays); asked
    of the store, so that a GeoPackage import never loads the PostGIS backend (~0.1 s)."""
    return bool(store.is_database)


def _existing(store: Store, table: sc.Table, ids: list[str]) -> dict[str, list[tuple[str, Any]]]:
    """(asset_uuid, retired_at) of the assets carrying each source id. ``source_id`` has
    no index (it would slow every insert), so a chunked IN scans the layer once per 999
    ids; many ids go into a temporary table and the layer is scanned once."""
    out: dict[str, list[tuple[str, Any]]] = {}
    name = gpkg.quote_ident(table.name)
    rows: Any
    if _database(store):
        rows = store.conn.execute(f"SELECT source_id, asset_uuid, retired_at::text FROM {name} "
                                  "WHERE source_id = ANY(%s)", (list(ids),)).fetchall()
    elif len(ids) < JOIN_IDS:
        rows = gpkg.select_in(
            store.conn, f"SELECT source_id, asset_uuid, retired_at FROM {name} "
            "WHERE source_id IN ({marks})", ids)
    else:
        conn = store.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_source_ids "
                     "(source_id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute("DELETE FROM temp.import_source_ids")
        conn.executemany("INSERT OR IGNORE INTO temp.import_source_ids VALUES (?)",
                         ((i,) for i in ids))
        rows = conn.execute(f"SELECT t.source_id, t.asset_uuid, t.retired_at FROM {name} AS t "
                            "JOIN temp.import_source_ids AS i ON i.source_id = t.source_id"
                            ).fetchall()
        conn.execute("DELETE FROM temp.import_source_ids")
    for sid, uid, retired in rows:
        out.setdefault(sid, []).append((uid, retired))
    return out


def _ids_before(store: Store, table: sc.Table) -> bool:
    """Whether any asset of ``table`` carries a source id (asked before an import's first
    batch: an empty layer, or one of drawn assets, has nothing to match)."""
    if _database(store):
        return True  # not asked: every batch looks its ids up
    return store.conn.execute(f"SELECT EXISTS (SELECT 1 FROM {gpkg.quote_ident(table.name)} "
                              "WHERE source_id IS NOT NULL)").fetchone()[0] == 1


def _used_codes(store: Store, table: sc.Table, codes: list[str]) -> set[str]:
    name = gpkg.quote_ident(table.name)
    if _database(store):
        return {r[0] for r in store.conn.execute(
            f"SELECT obj_code FROM {name} WHERE obj_code = ANY(%s)", (list(codes),))}
    return {r[0] for r in gpkg.select_in(
        store.conn, f"SELECT obj_code FROM {name} WHERE obj_code IN ({{marks}})", codes)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, shapely.Geometry) and isinstance(b, shapely.Geometry):
        return a.geom_type == b.geom_type and bool(
            shapely.equals_exact(a, b, tolerance=GEOMETRY_TOLERANCE))
    return values_equal(a, b)


@dataclass
class Numbering:
    """What matching carries across the batches of one import: whether the layer had source
    ids before it, and the new assets' codes: the next serial and the codes already given
    (a dry run writes nothing, so the store cannot remember them) -- the codes the source
    brought as they are, the serials given out as runs (one per batch), so that what is
    held does not grow with the source."""

    serial: int = 0
    given: set[str] = field(default_factory=set)
    runs: list[list[Any]] = field(default_factory=list)  # [prefix, first, after the last]
    # whether the layer held any source id before the first batch (None: not asked yet)
    ids_before: bool | None = None

    def taken(self, code: str) -> bool:
        """Whether ``code`` was given to an asset earlier in this import."""
        if code in self.given:
            return True
        tail = code[10:]
        if len(tail) != 6 or not (tail.isascii() and tail.isdigit()):
            return False  # not spelled as a serial given out here
        serial = int(tail)
        return any(code.startswith(prefix) and first <= serial < after
                   for prefix, first, after in self.runs)


def match(store: Store, prepared: Prepared, numbering: Numbering | None = None,
          prefer_delivery: bool = False) -> ImportPlan:
    """What applies ``prepared`` to ``store`` (read-only: nothing is written): the updates
    and the new assets; ``numbering`` carries what earlier batches of the same import
    decided (the object codes); ``prefer_delivery``: a field both the delivery and the
    project changed since the previous delivery takes the delivery's value."""
    table, report = prepared.table, prepared.report
    cands = prepared.candidates
    ids = [c.source_id for c in cands if c.source_id is not None]
    numbering = numbering or Numbering()
    if numbering.ids_before is None:
        numbering.ids_before = _ids_before(store, table)
    # With no source id in the layer before the import, only an asset of an earlier batch
    # could match: its id is a duplicate the preparer already skipped, unless it is a part's
    # ("ID#2"), which a later feature's own id may spell. Then the lookup is not needed.
    lookup = numbering.ids_before or "#" in "".join(ids)
    existing = _existing(store, table, ids) if lookup else {}
    updates: list[tuple[Candidate, str]] = []
    inserts: list[Candidate] = []
    for c in cands:
        found = existing.get(c.source_id or "", []) if c.source_id else []
        if len(found) > 1:
            report.skipped.add(msg("ambiguous: several assets already have this source id"),
                               Example(c.fid, c.source_id,
                                       msg("{count} assets", count=len(found))))
        elif found and found[0][1] is not None:
            report.skipped.add(SKIP_RETIRED, Example(c.fid, c.source_id, found[0][0]))
        elif found:
            updates.append((c, found[0][0]))
        else:
            inserts.append(c)
    outcomes: list[tuple[Any, str]] = []
    delivered: dict[str, str] = {}
    deltas = _update_deltas(store, prepared, updates, outcomes, delivered, prefer_delivery)
    new = _new_assets(store, prepared, inserts, numbering)
    outcomes.extend((c.geom, "insert") for c in inserts)
    if inserts and not store.is_database:  # a PostGIS project keeps no memory (memory.py)
        columns = {f: v for f, v in prepared.columns.items() if f != "obj_code"}
        texts = memory.encode_columns(columns, [c.row for c in inserts],
                                      [c.geom for c in inserts], GEOM)
        delivered.update(zip(new.uuids, texts, strict=True))
    return ImportPlan(deltas, new, report, outcomes, delivered)


def _update_deltas(store: Store, prepared: Prepared, updates: list[tuple[Candidate, str]],
                   outcomes: list[tuple[Any, str]], delivered: dict[str, str],
                   prefer_delivery: bool) -> list[Delta]:
    if not updates:
        return []
    table, report = prepared.table, prepared.report
    values = [prepared.values(c) for c, _ in updates]
    counted = set(counted_empty(table))
    missing = [counted - v.keys() for v in values]  # counted as left empty by prepare
    fields = sorted(({k for v in values for k in v} | set().union(*missing)) - {"obj_code"})
    uids = [u for _, u in updates]
    current = store.get_rows(table.name, uids, [GEOM, "obj_code", *fields])
    memo = not store.is_database  # a PostGIS project keeps no memory (memory.py)
    before = memory.recall(store, uids) if memo else {}
    texts = memory.encode_columns({f: v for f, v in prepared.columns.items() if f != "obj_code"},
                                  [c.row for c, _ in updates], [c.geom for c, _ in updates],
                                  GEOM) if memo else []
    kept: Counter[str] = Counter()
    out: list[Delta] = []
    for i, ((c, uid), given, gone) in enumerate(zip(updates, values, missing, strict=True)):
        row = current[uid]
        kept.update(f for f in gone if row.get(f) is not None)
        new = {k: v for k, v in given.items() if k != "obj_code"}
        new[GEOM] = c.geom
        base_text = before.get(uid)
        if base_text is None:  # no previous delivery known: what differs is updated
            changed = {k: v for k, v in new.items() if not _same(row.get(k), v)}
        else:  # the same delivery as the previous one (the usual re-import) is not decoded
            base = new if texts[i] == base_text else memory.decode(base_text)
            changed = _merge(base, new, row, c, report, prefer_delivery)
            if base is not new:  # what it gave before, where it gives nothing now
                texts[i] = memory.carry(texts[i], base, new)
        if memo and texts[i] != base_text:
            delivered[uid] = texts[i]
        if not changed:
            report.unchanged += 1
            outcomes.append((c.geom, "unchanged"))
            continue
        out.append(Delta(table.name, uid, {k: row.get(k) for k in changed}, changed))
        outcomes.append((c.geom, "update"))
        report.updated += 1
        report.fields_updated.update(changed.keys())
    for f, n in kept.items():
        report.add_kept(f, n)
    return out


def _merge(base: dict[str, Any], new: dict[str, Any], row: dict[str, Any], c: Candidate,
           report: ImportReport, prefer_delivery: bool) -> dict[str, Any]:
    """The fields an update writes: three ways (``memory``), the delivery's own changes
    since ``base`` (its previous delivery) merged into the project's ``row``; what the
    project keeps is counted and listed in the report."""
    ours = {} if base is new else {k: v for k, v in new.items()
                                   if not memory.same(k, base.get(k), v)}
    take, conflicting = three_way(base, ours, row, memory.same)
    for k, v in new.items():
        if k in ours or _same(row.get(k), v):
            continue  # the delivery changed it (merged above), or the project has it
        report.add_kept_value(KeptValue(row.get("obj_code"), c.source_id, k, _kept(base, k), v,
                                        row.get(k), "edited"))
    for k in conflicting:
        if prefer_delivery:
            take[k] = new[k]
        report.add_kept_value(KeptValue(row.get("obj_code"), c.source_id, k, _kept(base, k),
                                        new[k], row.get(k), "both",
                                        "delivery" if prefer_delivery else "project"))
    return take


def _kept(base: dict[str, Any], name: str) -> Any:
    """The previous delivery's value as a list shows it (a geometry is kept as a digest)."""
    value = base.get(name)
    return "(geometry)" if name == GEOM and isinstance(value, str) else value


def _new_assets(store: Store, prepared: Prepared, inserts: list[Candidate],
                numbering: Numbering) -> NewAssets:
    table, report = prepared.table, prepared.report
    new = NewAssets(table.name)
    if not inserts:
        return new
    rows = [c.row for c in inserts]
    given_codes = prepared.columns.get("obj_code")
    given = [] if given_codes is None else [code for r in rows if (code := given_codes[r])]
    district = store.district_code
    used = _used_codes(store, table, given)
    # the store's next serial is asked once: after a batch that inserted, no code in the
    # store is above the serials handed out (earlier batches' codes are numbering's; an
    # update never changes a code), so a later batch's scan of every code (O(rows) a batch,
    # ~1 s of CPU at 400,000 points) would only say numbering.serial again
    serial = numbering.serial or _next_serial(store, table, district)
    prefix = f"{district}{table.major_code}{table.minor_code}"
    for code in given:
        if code.startswith(prefix) and code not in used and not numbering.taken(code):
            serial = max(serial, int(code[10:]) + 1)
    start = serial
    run: list[Any] = [prefix, serial, serial]  # the serials this batch gives out
    numbering.runs.append(run)
    count = len(inserts)
    if given_codes is None and serial >= 1 and serial + count - 1 <= objcode.MAX_SERIAL:
        codes = [f"{prefix}{s:06d}" for s in range(serial, serial + count)]  # the usual case
        serial = run[2] = serial + count
    else:
        codes = _codes(inserts, [None] * count if given_codes is None else
                       [given_codes[r] for r in rows], run, district, table, used,
                       numbering, report)
        serial = run[2]
    if serial > start:
        first = report.obj_codes[0] if report.obj_codes else f"{prefix}{start:06d}"
        report.obj_codes = (first, f"{prefix}{serial - 1:06d}")
    numbering.serial = serial
    columns = {f: [column[r] for r in rows] for f, column in prepared.columns.items()
               if f != "obj_code"}
    columns[GEOM] = [c.geom for c in inserts]
    columns["obj_code"] = codes
    kept = columns.get("source_id")  # a constant, where a feature has no id of its own
    columns["source_id"] = [c.source_id if c.source_id is not None or kept is None else kept[i]
                            for i, c in enumerate(inserts)]
    # the batch's uuids in ascending order: SQLite's unique index on asset_uuid takes them
    # along its pages instead of at random places (about a third of the inserts' time)
    new.uuids = sorted(new_uuids(count))
    new.columns = columns
    report.inserted += count
    return new


def _codes(inserts: list[Candidate], given: list[Any], run: list[Any], district: str,
           table: sc.Table, used: set[str], numbering: Numbering, report: ImportReport
           ) -> list[str]:
    """The new assets' codes one by one: a code the source gives, checked, else the next
    serial of ``run`` ([prefix, first, after the last], kept up to date: a later code of
    the batch is checked against the serials given out before it)."""
    prefix, serial = run[0], run[2]
    codes: list[str] = []
    for c, code in zip(inserts, given, strict=True):
        if code is not None:
            problem = _code_problem(code, table, used, numbering)
            if problem:
                report.add_invalid("obj_code", msg("{problem}: a new code was assigned",
                                                   problem=problem),
                                   Example(c.fid, c.source_id, code))
                code = None
        if code is None:
            code = f"{prefix}{serial:06d}" if 1 <= serial <= objcode.MAX_SERIAL \
                else objcode.make(district, table, serial)  # which says what is wrong
            serial += 1
            run[2] = serial
        else:
            numbering.given.add(code)
        codes.append(code)
    return codes


def _next_serial(store: Store, table: sc.Table, district: str) -> int:
    if not _database(store):
        return objcode.next_serial(store.conn, table, district)
    prefix = f"{district}{table.major_code}{table.minor_code}"
    row = store.conn.execute(f"SELECT max(substr(obj_code, 11, 6)::int) FROM "
                             f"{gpkg.quote_ident(table.name)} WHERE obj_code LIKE %s",
                             (prefix + "%",)).fetchone()
    return int(row[0] or 0) + 1


def _code_problem(code: str, table: sc.Table, used: set[str], numbering: Numbering
                  ) -> Text | None:
    try:
        objcode.validate(code, table)
    except Exception as exc:  # ValidationError with the reason
        return exc.message if isinstance(exc, CitymgrError) else str(exc)
    if code in used or numbering.taken(code):
        return msg("obj_code {code} is already used", code=code)
    return None
