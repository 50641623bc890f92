"""Unsaved edits drawn as if they were saved: a :class:`MapData` read from the file, with the
pending edits of the app's edit session applied (new assets appear, deleted and retired ones
go, a moved one stands at its new place, an edited condition takes its new colour), as QGIS
draws a layer's edit buffer. The canvas, the legend counts, the print dialog and identify's
hit tests all read the map this makes.

Only the layers the edits touch are rebuilt, and from the arrays already in memory: the file's
features keep their order (a feature that changed is hidden there and drawn again at the end
of its new category), so the cost follows the size of the layer's arrays, never a new read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.render import pieces as pcs
from citymgr_desktop.render.data import (
    LABEL_LAYERS,
    NO_CATEGORY,
    LayerData,
    MapData,
    block_index,
    category_blocks,
)

if TYPE_CHECKING:  # pyproj loads when an edited layer is reprojected
    from pyproj import CRS

RowReader = Callable[[str, list[str], list[str]], Mapping[str, Mapping[str, Any]]]
"""``rows(layer, uuids, fields)``: current values (file + pending) of those assets."""

DRAWN = frozenset({sc.GEOMETRY_COLUMN, "condition", "retired_at", *LABEL_LAYERS.values()})


def with_pending(data: MapData, deltas: Iterable[Delta], rows: RowReader,
                 layer_crs: Callable[[str], CRS | None]) -> MapData:
    """``data`` (read from the file) with the pending ``deltas`` drawn; ``rows`` answers for
    assets the file map lacks (a retired asset brought back), ``layer_crs`` gives each
    layer's CRS (the map's CRS is ``data``'s)."""
    by_layer: dict[str, list[Delta]] = defaultdict(list)
    for d in deltas:
        if d.table in sc.ASSET_TABLES_BY_NAME and _draws(d):
            by_layer[d.table].append(d)
    if not by_layer:
        return data
    names = set(data.names())
    layers = tuple(_edited(layer, by_layer[layer.name], rows, layer_crs(layer.name),
                           data.crs) if layer.name in by_layer and layer.name in names
                   else layer for layer in data.layers)
    return replace(data, layers=layers)


def _draws(d: Delta) -> bool:
    """Whether a delta changes what the map shows."""
    return d.kind != "update" or bool(DRAWN & set(d.new or {}))


def _edited(base: LayerData, deltas: list[Delta], rows: RowReader, crs: CRS | None,
            map_crs: CRS | None) -> LayerData:
    label_col = LABEL_LAYERS.get(base.name)
    hide = [d.uuid for d in deltas]
    hidden = base.indices_of(hide)
    at = dict(zip((k.decode() for k in base.keys[hidden]), hidden.tolist(), strict=True))
    missing = [d.uuid for d in deltas if d.kind == "update" and d.uuid not in at]
    fetched = rows(base.name, missing, [sc.GEOMETRY_COLUMN, "condition", "retired_at",
                                        *([label_col] if label_col else [])]) if missing else {}
    keys, fids, cats, labels, geoms, in_layer_crs = [], [], [], [], [], []
    for d in deltas:
        if d.kind == "delete":
            continue
        new = d.new or {}
        if d.kind == "insert":
            values: Mapping[str, Any] = new
            base_i = None
        elif d.uuid in at:
            values, base_i = new, at[d.uuid]
        elif d.uuid in fetched:
            values, base_i = fetched[d.uuid], None
        else:
            continue
        if values.get("retired_at") is not None or (
                base_i is not None and new.get("retired_at") is not None):
            continue
        if sc.GEOMETRY_COLUMN in values:
            geoms.append(values[sc.GEOMETRY_COLUMN])
            in_layer_crs.append(True)
        elif base_i is not None:
            geoms.append(base.geometries(np.array([base_i]))[0])
            in_layer_crs.append(False)
        else:
            continue
        keys.append(d.uuid)
        fids.append(int(base.fids[base_i]) if base_i is not None else -1)
        if not base.categorized and base.count:
            cats.append(NO_CATEGORY)
        elif "condition" in values:
            cats.append(int(np.clip(values["condition"] or 0, 0, 5)))
        else:
            cats.append(int(base.category[base_i]) if base_i is not None else 0)
        if label_col and label_col in values:
            labels.append(values[label_col])
        elif base_i is not None and base.label_codes is not None \
                and base.label_codes[base_i] >= 0:
            labels.append(base.label_values[base.label_codes[base_i]])
        else:
            labels.append(None)
    geom_arr = np.array(geoms, dtype=object)
    if len(geom_arr) and crs is not None and map_crs is not None and not crs.equals(map_crs):
        move = np.array(in_layer_crs, dtype=bool)
        from pyproj import Transformer

        tf = Transformer.from_crs(crs, map_crs, always_xy=True)
        geom_arr[move] = shapely.transform(geom_arr[move], lambda xy: np.column_stack(
            tf.transform(xy[:, 0], xy[:, 1])))
    return _rebuild(base, hidden, keys, fids, cats, labels, geom_arr)


def _rebuild(base: LayerData, hidden: np.ndarray, keys: list[str], fids: list[int],
             cats: list[int], labels: list[str | None], geoms: np.ndarray) -> LayerData:
    """``base`` without the features ``hidden``, with the new ones at the end of their
    category (one contiguous slice per category, as the renderer needs)."""
    n, m = base.count, len(keys)
    new_pieces = pcs.from_shapely(geoms) if m else {}
    new_bounds = pcs.feature_bounds(new_pieces, m) if m else np.zeros((0, 4))
    ok = np.isfinite(new_bounds).all(axis=1)
    keep = np.ones(n, dtype=bool)
    keep[hidden] = False
    new_cat = np.array(cats, dtype=np.int8)
    order_parts = []
    for cat in sorted(set(base.category_slices) | set(new_cat[ok].tolist())):
        sl = base.category_slices.get(cat)
        if sl is not None:
            idx = np.arange(sl.start, sl.stop)
            order_parts.append(idx[keep[sl]])
        order_parts.append(n + np.flatnonzero(ok & (new_cat == cat)))
    order = np.concatenate(order_parts) if order_parts else np.zeros(0, np.int64)
    all_keys = np.concatenate([base.keys, np.array([k.encode() for k in keys] or [b""])[:m]])
    all_fids = np.concatenate([base.fids, np.array(fids, dtype=np.int64)])
    all_cat = np.concatenate([base.category, new_cat])
    all_bounds = np.concatenate([base.bounds_of(np.arange(n)), new_bounds])
    pieces = pcs.concat([(base.pieces, n), (new_pieces, m)])
    label_codes, label_values = base.label_codes, base.label_values
    if label_codes is not None:
        label_values = list(base.label_values)
        where = {v: i for i, v in enumerate(label_values)}
        extra = []
        for text in labels:
            if text is None:
                extra.append(-1)
                continue
            if text not in where:
                where[text] = len(label_values)
                label_values.append(text)
            extra.append(where[text])
        label_codes = np.concatenate([label_codes, np.array(extra, dtype=np.int32)])[order]
    cat_sorted = all_cat[order]
    slices, block_start = category_blocks(cat_sorted)
    bounds = all_bounds[order]
    block_bounds, total = block_index(bounds, block_start)
    return replace(base, keys=all_keys[order], fids=all_fids[order], category=cat_sorted,
                   category_slices=slices,
                   pieces={k: pcs.permute(pc, order) for k, pc in pieces.items()},
                   envelopes=bounds, block_start=block_start,
                   block_bounds=block_bounds, bounds=total, label_codes=label_codes,
                   label_values=label_values, _key_order=None, _fid_order=None)
