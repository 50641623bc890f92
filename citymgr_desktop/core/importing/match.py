"""Match import candidates with the project's assets by ``source_id``; make the deltas.

A candidate whose source id an asset already carries becomes an update of that asset (only
the fields that changed; a value the source lacks never erases one the project has), an
unchanged one is counted and left alone, and a new one is inserted with a fresh
``asset_uuid`` and the next ``obj_code`` serial of its class (after the existing ones, and
after any codes the source brings itself). Retired or ambiguous matches are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import new_uuids
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.importing.prepare import Candidate, Prepared
from citymgr_desktop.core.importing.report import Example, ImportReport
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import codes as objcode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, values_equal
from citymgr_desktop.core.store import Store

GEOM = sc.GEOMETRY_COLUMN
GEOMETRY_TOLERANCE = 1e-6  # metres: reprojection noise is not a change
SKIP_RETIRED = msg("matches a retired asset (reinstate it in the app first)")


@dataclass
class ImportPlan:
    deltas: list[Delta]
    report: ImportReport
    # (geometry in the project CRS, "insert" / "update" / "unchanged"): the wizard's preview
    outcomes: list[tuple[Any, str]] = field(default_factory=list)


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


def match(store: Store, prepared: Prepared, numbering: Numbering | None = None) -> ImportPlan:
    """The deltas that apply ``prepared`` to ``store`` (read-only: nothing is written);
    ``numbering`` carries the object codes from an earlier batch of the same import."""
    table, report = prepared.table, prepared.report
    cands = prepared.candidates
    ids = [c.source_id for c in cands if c.source_id is not None]
    numbering = numbering or Numbering()
    if numbering.ids_before is None:
        numbering.ids_before = _ids_before(store, table)
    # With no source id in the layer before the import, only an asset of an earlier batch
    # could match: its id is a duplicate the preparer already skipped, unless it is a part's
    # ("ID#2"), which a later feature's own id may spell. Then the lookup is not needed.
    lookup = numbering.ids_before or any("#" in i for i in ids)
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
    deltas = _update_deltas(store, table, updates, report, outcomes)
    deltas.extend(_insert_deltas(store, table, inserts, report, numbering))
    outcomes.extend((c.geom, "insert") for c in inserts)
    return ImportPlan(deltas, report, outcomes)


def _update_deltas(store: Store, table: sc.Table, updates: list[tuple[Candidate, str]],
                   report: ImportReport, outcomes: list[tuple[Any, str]]) -> list[Delta]:
    if not updates:
        return []
    fields = sorted({k for c, _ in updates for k in c.values} - {"obj_code"})
    current = store.get_rows(table.name, [u for _, u in updates], [GEOM, *fields])
    out: list[Delta] = []
    for c, uid in updates:
        row = current[uid]
        new = {k: v for k, v in c.values.items() if k != "obj_code"}
        new[GEOM] = c.geom
        changed = {k: v for k, v in new.items() if not _same(row.get(k), v)}
        if not changed:
            report.unchanged += 1
            outcomes.append((c.geom, "unchanged"))
            continue
        out.append(Delta(table.name, uid, {k: row.get(k) for k in changed}, changed))
        outcomes.append((c.geom, "update"))
        report.updated += 1
    return out


def _insert_deltas(store: Store, table: sc.Table, inserts: list[Candidate],
                   report: ImportReport, numbering: Numbering) -> list[Delta]:
    if not inserts:
        return []
    district = store.district_code
    given = [c.values["obj_code"] for c in inserts if c.values.get("obj_code")]
    used = _used_codes(store, table, given)
    serial = max(_next_serial(store, table, district), numbering.serial)
    prefix = f"{district}{table.major_code}{table.minor_code}"
    for code in given:
        if code.startswith(prefix) and code not in used and not numbering.taken(code):
            serial = max(serial, int(code[10:]) + 1)
    run = [prefix, serial, serial]  # the serials this batch gives out
    numbering.runs.append(run)
    out: list[Delta] = []
    first = report.obj_codes[0] if report.obj_codes else None
    last = None
    name = table.name
    # the batch's uuids in ascending order: SQLite's unique index on asset_uuid takes them
    # along its pages instead of at random places (about a third of the inserts' time)
    for c, uuid in zip(inserts, sorted(new_uuids(len(inserts))), strict=True):
        row = dict(c.values)
        code = row.pop("obj_code", None)
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
            first = first or code
            last = code
        else:
            numbering.given.add(code)
        row[GEOM] = c.geom
        row["obj_code"] = code
        if c.source_id is not None:
            row["source_id"] = c.source_id
        out.append(Delta(name, uuid, None, row))
    report.inserted += len(out)
    numbering.serial = serial
    if first and last:
        report.obj_codes = (first, last)
    return out


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
