"""The first view of an opened file: the view the file was closed at (remembered per file in
the settings) or one asked for, and, when that view is a small part of the map, the map of
that box alone, read first through the layers' spatial index (``load_map(bbox=)``) so the
first frame does not wait for a million features. The whole map is read afterwards, in the
background, and replaces it (pans and zooms then find everything).

Until the whole map is there the window's ``map_data`` stays ``None`` (selection, identify,
the legend and the layer counts wait for it, as they did while a file loaded); only the canvas
draws the box's map, with the session's unsaved edits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from PySide6.QtCore import QSettings

from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import LayerInfo, Store
from citymgr_desktop.render import MapData, load_map
from citymgr_desktop.render.view import Extent

VIEWS_KEY = "map/views"  # JSON: {file or database address: [minx, miny, maxx, maxy]}
MAX_VIEWS = 20
BOX_FIRST_SHARE = 0.25  # a view smaller than this share of the data's area is read first
WHOLE_MAP_AFTER_MS = 1000  # the whole map is read after the box's first frame, or this


def remembered_view(address: str) -> Extent | None:
    """The view ``address`` was last closed at (map CRS), or None."""
    box = _views().get(address)
    if not isinstance(box, list) or len(box) != 4:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    return (minx, miny, maxx, maxy) if minx < maxx and miny < maxy else None


def remember_view(address: str, extent: Extent) -> None:
    """Keep ``extent`` as the view to open ``address`` at (the newest MAX_VIEWS files)."""
    views = {k: v for k, v in _views().items() if k != address}
    views[address] = [float(v) for v in extent]
    kept = dict(list(views.items())[-MAX_VIEWS:])
    QSettings().setValue(VIEWS_KEY, json.dumps(kept))


def _views() -> dict:
    try:
        value = json.loads(str(QSettings().value(VIEWS_KEY, "{}") or "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _data_extent(infos: Iterable[LayerInfo]) -> Extent | None:
    """The union of the feature layers' extents (``gpkg_contents``), None when none is known."""
    extents = [i.extent for i in infos if i.geometry_type and i.extent]
    if not extents:
        return None
    return (min(e[0] for e in extents), min(e[1] for e in extents),
            max(e[2] for e in extents), max(e[3] for e in extents))


def meets_data(box: Extent, infos: Iterable[LayerInfo]) -> bool:
    """Whether ``box`` meets the layers' extent (a view remembered in another CRS, or of
    data since removed, does not: the file then opens at the whole map)."""
    data = _data_extent(infos)
    return data is None or (box[0] <= data[2] and box[2] >= data[0]
                            and box[1] <= data[3] and box[3] >= data[1])


def reads_box_first(box: Extent, infos: Iterable[LayerInfo]) -> bool:
    """Whether ``box`` is small enough against the layers' extents (``gpkg_contents``) for
    its own read to pay: under :data:`BOX_FIRST_SHARE` of their union's area."""
    data = _data_extent(infos)
    if data is None:
        return False
    area = (data[2] - data[0]) * (data[3] - data[1])
    box_area = max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)
    return area > 0 and box_area < BOX_FIRST_SHARE * area


def load_box(open_reader: Callable[[], Store], box: Extent, progress: Progress) -> MapData:
    """The map of ``box`` alone (a worker task; its own connection, the UI keeps its own)."""
    with open_reader() as store:
        return load_map(store, progress=progress, bbox=box)


__all__ = ["load_box", "meets_data", "reads_box_first", "remember_view", "remembered_view"]
