"""Bring existing data into a project: the one entry point the CLI and the import wizard use.

:func:`run_import` reads a source layer, checks and converts every feature against an
:class:`ImportMapping`, matches it with the project's assets by ``source_id`` and either
reports what would happen (``dry_run``) or applies it as one transaction -- with progress and
cancel; a failure or a cancel rolls everything back, so nothing is ever half-imported. The
applied deltas come back for the app's undo stack (one import = one undo step).

The pieces: :mod:`importer_source` (reading), :mod:`importer_mapping` and
:mod:`importer_values` (suggestions), :mod:`importer_crs` and :mod:`importer_geometry`
(coordinates and shapes), :mod:`importer_prepare` and :mod:`importer_match` (the plan),
:mod:`importer_report`, :mod:`importer_profile`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from citymgr_desktop.core.errors import ReadOnlyError
from citymgr_desktop.core.importing import memory
from citymgr_desktop.core.importing import values as iv
from citymgr_desktop.core.importing.location import fill_location, unknown_districts
from citymgr_desktop.core.importing.mapping import ImportMapping, suggest_mapping
from citymgr_desktop.core.importing.match import ImportPlan, Numbering, match
from citymgr_desktop.core.importing.prepare import Preparer
from citymgr_desktop.core.importing.profile import profile_dict
from citymgr_desktop.core.importing.report import ImportReport
from citymgr_desktop.core.importing.sources import (
    SourceData,
    SourceLayer,
    SourceOptions,
    describe_layer,
    is_empty,
    list_layers,
    read_source,
)
from citymgr_desktop.core.importing.sources.stream import (
    BATCH_FEATURES,
    feature_count,
    layer_bounds,
    read_batches,
)
from citymgr_desktop.core.messages import Term, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store

__all__ = [
    "ImportCommand", "ImportMapping", "ImportReport", "ImportResult", "SourceData", "SourceLayer",
    "SourceOptions", "describe_layer", "distinct_values", "list_layers", "read_source",
    "run_import", "suggest_mapping",
]

APPLY_CHUNK = 5000  # rows per store.apply: progress and cancel between them


@dataclass
class ImportResult:
    report: ImportReport
    deltas: DeltaSet  # what was (or would be) applied; ``~deltas`` undoes it
    outcomes: list[tuple[Any, str]] = field(default_factory=list)  # (geometry, kind)
    # the delivered values remembered before and after (memory.py), for undo and redo
    memory_before: dict[str, str | None] = field(default_factory=dict)
    memory_after: dict[str, str | None] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.report.target

    def extent(self) -> tuple[float, float, float, float] | None:
        """Bounds of every imported geometry (project CRS), None when there is none."""
        geoms = [g for g, _ in self.outcomes if g is not None]
        if not geoms:
            return None
        b = shapely.total_bounds(np.array(geoms, dtype=object))
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))


class ImportCommand:
    """An import as one undo step for ``window.commands`` (a ``CommandStack``).

    The import itself already ran (in a worker, as one transaction), so the first ``do`` only
    records it; ``undo`` applies the inverse deltas (deleting what was inserted, restoring
    what was updated) and a redo applies the deltas again, with the same uuids and codes.
    """

    def __init__(self, store: Store, result: ImportResult, user: str = "",
                 on_change: Callable[[], None] | None = None) -> None:
        self.store, self.result, self.user, self.on_change = store, result, user, on_change
        r = result.report
        table = sc.ASSET_TABLES_BY_NAME[r.target]
        self.label = msg("Import {file_name} into {assets}", file_name=Path(r.source).name,
                         assets=Term(table.label("en").lower(), table.label("zh")))
        self._applied = r.applied

    def do(self) -> None:
        if not self._applied:
            with self.store.session():
                self.store.apply(self.result.deltas, self.user)
                memory.remember(self.store, self.result.memory_after)
        self._applied = True
        if self.on_change:
            self.on_change()

    def undo(self) -> None:
        with self.store.session():
            self.store.apply(~self.result.deltas, self.user)
            memory.remember(self.store, self.result.memory_before)
        self._applied = False
        if self.on_change:
            self.on_change()

    def tables(self) -> set[str]:
        return {self.result.table}


def distinct_values(data: SourceData, field_name: str, limit: int = 500) -> list[Any]:
    """The distinct non-empty values of a source field, most frequent first."""
    col = data.attributes[field_name]
    keys = [iv.value_key(v) for v in col if not is_empty(v)]
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return sorted(counts, key=lambda k: -counts[k])[:limit]


def run_import(store: Store, source: str | Path, mapping: ImportMapping,
               options: SourceOptions | None = None, *, dry_run: bool = False, user: str = "",
               data: SourceData | None = None, progress: Progress | None = None,
               keep_deltas: bool = True) -> ImportResult:
    """Import ``source`` into ``store`` per ``mapping`` (see the module docstring).

    ``data`` may carry a layer already read (the wizard reads once for its preview);
    otherwise the source is read, prepared, matched and written in batches of
    ``BATCH_FEATURES`` features, so memory follows the batch, not the source -- and, with
    ``keep_deltas`` off (the command line), the result keeps the report only, no deltas.
    """
    prog = ensure(progress)
    store.require_asset_project()
    if not dry_run and store.read_only:
        raise ReadOnlyError("{path} is open read-only; nothing was imported", path=store.path)
    opts = options or SourceOptions()
    total = len(data) if data is not None else -1
    if data is None:
        prog.update(0, 0, msg("reading {file_name}", file_name=Path(source).name))
        batches = read_batches(source, opts, BATCH_FEATURES)
        data = next(batches)
        total = feature_count(source, opts)
    else:
        batches = iter(())
    second = next(batches, None)
    bounds = layer_bounds(source, opts) if second is not None else None
    report = ImportReport(str(source), data.layer.name, mapping.table, dry_run=dry_run)
    preparer = Preparer(data, mapping, store.project_crs(), report, bounds=bounds,
                        streamed=second is not None)
    deltas: list[Delta] = []
    outcomes: list[tuple[Any, str]] = []
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    prefer_delivery = mapping.on_conflict == "delivery"
    numbering = Numbering()
    fid_at_most = store.last_fid(mapping.table)  # new assets' neighbours: the assets before
    known = frozenset(store.districts())  # the 街道 the project has: the known list
    accepted = known | {str(v).strip() for v in (*mapping.values.get("district", {}).values(),
                                                 mapping.constants.get("district")) if v}
    done = 0

    def one(batch: SourceData) -> None:
        nonlocal done
        prog.check()
        plan = match(store, preparer.batch(batch, prog if second is None else None),
                     numbering, prefer_delivery)
        fill_location(store, plan.new, report, fid_at_most, known)
        if known:  # into a project without 街道 every name is new, and accepted
            unknown_districts(plan.new, plan.updates, accepted, report)
        if not dry_run:
            _apply(store, plan, user, prog)
            if keep_deltas:  # the app's undo puts the memory back as it was
                before.update(memory.snapshot(store, plan.delivered))
                after.update(plan.delivered)
            memory.remember(store, plan.delivered)
        done += len(batch)
        if second is not None:
            prog.update(done, max(total, done), msg("importing"))
        if keep_deltas:
            deltas.extend(plan.deltas)
            outcomes.extend(plan.outcomes)

    def every() -> None:
        one(data)
        if second is not None:
            one(second)
            for batch in batches:
                one(batch)
        preparer.finish()
        report.warn_districts(len(known), "district" in {*mapping.fields, *mapping.constants})

    if dry_run:
        every()
    else:
        with store.session(), _spatial_index_at_end(store, mapping.table):
            every()
            memory.remember_mapping(store, memory.source_key(source, data.layer.name),
                                    profile_dict(mapping, opts))
        report.applied = True
    return ImportResult(report, DeltaSet(deltas), outcomes, before, after)


def _spatial_index_at_end(store: Store, table: str) -> AbstractContextManager[None]:
    """A GeoPackage's rtree filled once after all batches (packed), not row by row."""
    return store.rtree_filled_at_end(table) if isinstance(store, Store) else nullcontext()


def _apply(store: Store, plan: ImportPlan, user: str, prog: Progress) -> None:
    """The plan's updates, then its new assets, in chunks (progress and cancel between
    them); a GeoPackage takes the new assets as columns, without a delta each."""
    updates, new = plan.updates, plan.new
    total = len(updates) + len(new)
    prog.update(0, total, msg("importing"))
    for i in range(0, len(updates), APPLY_CHUNK):
        store.apply(updates[i : i + APPLY_CHUNK], user)
        prog.update(min(i + APPLY_CHUNK, len(updates)), total, msg("importing"))
    for i in range(0, len(new), APPLY_CHUNK):
        part = new.part(i, i + APPLY_CHUNK)
        if store.is_database:
            store.apply(part.deltas(), user)
        else:
            store.add_rows(part.table, part.columns, part.uuids, user)
        prog.update(len(updates) + min(i + APPLY_CHUNK, len(new)), total, msg("importing"))
