"""The 街道 and 单元网格 of imported assets the source left empty, from their nearest
neighbour: the rule of an asset added on the map (:mod:`citymgr_desktop.core.store.neighbours`),
applied to a whole batch at once. A value the source (or a constant) gives is never replaced;
the report counts what was filled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from citymgr_desktop.core.importing.report import ImportReport
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.neighbours import LOCATION_FIELDS, values_from_nearest
from citymgr_desktop.core.store.protocol import ProjectStore

if TYPE_CHECKING:
    from citymgr_desktop.core.importing.match import NewAssets
    from citymgr_desktop.core.model.delta import Delta


def fill_location(store: ProjectStore, new: NewAssets, report: ImportReport,
                  fid_at_most: int, known: frozenset[str] = frozenset()) -> None:
    """Fill the empty ``district``/``bgid`` of ``new`` (a batch's new assets, as columns;
    filled in place) from the nearest asset of their layer that existed before the import
    (``fid_at_most``: the layer's last fid then, so every batch sees the same neighbours).

    A 街道 the source gives that is one of the ``known`` 街道 but not that of the nearest
    asset is counted in the report (``district_mismatch``): not refused, the project has no
    boundaries to say which is right."""
    if fid_at_most <= 0 or not len(new):  # the layer was empty: no neighbours
        return
    count = len(new)
    columns = {f: new.columns.get(f) or [None] * count for f in LOCATION_FIELDS}
    district, grid = (columns[f] for f in LOCATION_FIELDS)
    todo = [i for i in range(count) if not district[i] or not grid[i]
            or district[i] in known]
    if not todo:
        return
    geometry = new.columns[sc.GEOMETRY_COLUMN]
    found = values_from_nearest(store, new.table, [geometry[i] for i in todo],
                                LOCATION_FIELDS, fid_at_most=fid_at_most)
    for j, i in enumerate(todo):
        near = found["district"][j]
        if district[i] in known and near is not None and district[i] != near:
            report.add_district_mismatch(district[i], near)
    counts = dict.fromkeys(LOCATION_FIELDS, 0)
    for f in LOCATION_FIELDS:
        column = columns[f]
        for j, i in enumerate(todo):
            value = found[f][j]
            if value is not None and not column[i]:
                column[i] = value
                counts[f] += 1
        if counts[f]:
            new.columns[f] = column
    for f, n in counts.items():
        report.add_filled(f, n)


def unknown_districts(new: NewAssets, updates: list[Delta], known: frozenset[str],
                      report: ImportReport) -> None:
    """Count the 街道 of new and updated assets that are not ``known`` (the project's 街道
    and the names the mapping accepts): a name the district does not have ("火星街道")."""
    names = [d for d in new.columns.get("district") or [] if d]
    names += [d.new["district"] for d in updates
              if d.new is not None and d.new.get("district")
              and (d.old or {}).get("district") != d.new["district"]]
    for name in names:
        if name not in known:
            report.add_unknown_district(name)
