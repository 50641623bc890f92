"""The 街道 and 单元网格 of imported assets the source left empty, from their nearest
neighbour: the rule of an asset added on the map (:mod:`citymgr_desktop.core.store.neighbours`),
applied to a whole batch at once. A value the source (or a constant) gives is never replaced;
the report counts what was filled."""

from __future__ import annotations

from citymgr_desktop.core.importing.report import ImportReport
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.neighbours import LOCATION_FIELDS, values_from_nearest
from citymgr_desktop.core.store.protocol import ProjectStore


def fill_location(store: ProjectStore, deltas: list[Delta], report: ImportReport,
                  fid_at_most: int) -> None:
    """Fill the empty ``district``/``bgid`` of the new assets among ``deltas`` (replaced in
    place) from the nearest asset of their layer that existed before the import
    (``fid_at_most``: the layer's last fid then, so every batch sees the same neighbours)."""
    if fid_at_most <= 0:  # the layer was empty: no neighbours (a new project's first import)
        return
    district, grid = LOCATION_FIELDS
    todo = [i for i, d in enumerate(deltas) if d.old is None and d.new is not None
            and (not d.new.get(district) or not d.new.get(grid))]
    if not todo:
        return
    geoms = [deltas[i].new[sc.GEOMETRY_COLUMN] for i in todo]  # type: ignore[index]
    found = values_from_nearest(store, deltas[todo[0]].table, geoms, LOCATION_FIELDS,
                                fid_at_most=fid_at_most)
    counts = dict.fromkeys(LOCATION_FIELDS, 0)
    for j, i in enumerate(todo):
        d = deltas[i]
        old_row = d.new or {}
        new = None
        for f in LOCATION_FIELDS:
            value = found[f][j]
            if value is not None and not old_row.get(f):
                new = dict(old_row) if new is None else new
                new[f] = value
                counts[f] += 1
        if new is not None:
            deltas[i] = Delta(d.table, d.uuid, None, new)
    for f, n in counts.items():
        report.add_filled(f, n)
