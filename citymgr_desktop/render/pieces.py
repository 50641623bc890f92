"""Vertex arrays of a layer: every ring, line part or point of every feature, in one
coordinate array with offsets, and the operations on them that need no Python loop per
feature (subset, reorder, bounds, orientation, reprojection, back to Shapely geometries).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import shapely

from citymgr_desktop.render import qtarrays as qa

if TYPE_CHECKING:  # pyproj loads when something is reprojected
    from pyproj import CRS

POINT, LINE, POLYGON = "point", "line", "polygon"
KINDS = (POLYGON, LINE, POINT)  # drawing order inside a mixed layer
_KIND_OF_TYPE_ID = {0: POINT, 4: POINT, 1: LINE, 2: LINE, 5: LINE, 3: POLYGON, 6: POLYGON}


@dataclass
class Pieces:
    """The vertices of one geometry kind of a layer: rings, line parts or points.

    ``coords[piece_start[p]:piece_start[p+1]]`` are the vertices of piece ``p``, and
    ``feature_piece[f]:feature_piece[f+1]`` the pieces of feature ``f`` (none for features
    of another kind). For polygons ``outer[p]`` tells exterior rings (counter-clockwise)
    from holes (clockwise), so one winding-rule path fills them all correctly.
    """

    kind: str
    coords: np.ndarray  # (V, 2) float64, map CRS
    piece_start: np.ndarray  # (P + 1,) int64
    feature_piece: np.ndarray  # (N + 1,) int64
    outer: np.ndarray | None = None  # (P,) bool, polygons only

    def vertex_count(self) -> int:
        return len(self.coords)

    @cached_property
    def one_each(self) -> bool:
        """One piece of one vertex per feature (a layer of points): feature ``i`` is piece
        ``i`` and vertex ``i``."""
        n = len(self.coords)
        return bool(len(self.piece_start) == len(self.feature_piece) == n + 1
                    and (np.diff(self.piece_start) == 1).all()
                    and (np.diff(self.feature_piece) == 1).all())

    def subset(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vertex indices, pieces, starts-of-piece mask) of features ``idx`` (sorted)."""
        if self.one_each:
            return idx, idx, np.ones(len(idx), dtype=bool)
        p0, p1 = self.feature_piece[idx], self.feature_piece[idx + 1]
        pieces = qa.ranges(p0, p1)
        v0, v1 = self.piece_start[pieces], self.piece_start[pieces + 1]
        verts = qa.ranges(v0, v1)
        starts = np.zeros(len(verts), dtype=bool)
        lengths = v1 - v0
        if len(lengths):
            first = np.cumsum(lengths) - lengths
            starts[first[lengths > 0]] = True
        return verts, pieces, starts


def rebuild(pc: Pieces, idx: np.ndarray) -> np.ndarray:
    counts = pc.feature_piece[idx + 1] - pc.feature_piece[idx]
    verts, pieces, _starts = pc.subset(idx)
    coords = pc.coords[verts]
    piece_len = pc.piece_start[pieces + 1] - pc.piece_start[pieces]
    piece_off = np.concatenate([[0], np.cumsum(piece_len)]).astype(np.int64)
    feat_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if pc.kind == POINT:
        if (counts == 1).all():
            return shapely.points(coords)
        g = shapely.from_ragged_array(shapely.GeometryType.MULTIPOINT, coords, (feat_off,))
    elif pc.kind == LINE:
        g = shapely.from_ragged_array(shapely.GeometryType.MULTILINESTRING, coords,
                                      (piece_off, feat_off))
    else:
        outer = pc.outer[pieces]
        poly_off = np.concatenate([np.flatnonzero(outer), [len(pieces)]]).astype(np.int64)
        owner = np.repeat(np.arange(len(idx)), counts)
        outer_per_feature = np.bincount(owner, weights=outer, minlength=len(idx)).astype(np.int64)
        feat_poly_off = np.concatenate([[0], np.cumsum(outer_per_feature)]).astype(np.int64)
        g = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                      (piece_off, poly_off, feat_poly_off))
    single = shapely.get_num_geometries(g) == 1
    g[single] = shapely.get_geometry(g[single], 0)
    return g



def permute(pc: Pieces, order: np.ndarray) -> Pieces:
    """The pieces of features ``order`` (new feature ``i`` = old ``order[i]``)."""
    if pc.one_each:
        # one vertex, one piece per feature (a layer of points): the same arrays, without
        # the index ranges (~60 MB and a fifth of a second for 600k points)
        ones = np.arange(len(order) + 1, dtype=np.int64)
        return Pieces(pc.kind, pc.coords[order], ones, ones.copy(),
                      pc.outer[order] if pc.outer is not None else None)
    verts, pieces, _starts = pc.subset(order)
    p0, p1 = pc.feature_piece[order], pc.feature_piece[order + 1]
    lengths = pc.piece_start[pieces + 1] - pc.piece_start[pieces]
    piece_start = np.zeros(len(pieces) + 1, np.int64)
    np.cumsum(lengths, out=piece_start[1:])
    feature_piece = np.zeros(len(order) + 1, np.int64)
    np.cumsum(p1 - p0, out=feature_piece[1:])
    return Pieces(pc.kind, pc.coords[verts], piece_start, feature_piece,
                  pc.outer[pieces] if pc.outer is not None else None)


Parts = list[tuple[dict[str, Pieces], int]]  # feature sets one after the other: (pieces, n)


def single_points(parts: Parts) -> np.ndarray | None:
    """For a layer of single points (at most one vertex per feature, no other kind): (n, 2)
    x, y per feature of ``parts`` (numbered one after the other), NaN where a feature has
    none, which is also its envelope (see ``LayerData.envelopes``). None for any other
    layer."""
    for pieces, _n in parts:
        pc = pieces.get(POINT)
        if pieces and (pc is None or len(pieces) != 1
                       or len(pc.coords) != len(pc.piece_start) - 1
                       or (np.diff(pc.feature_piece) > 1).any()
                       or (np.diff(pc.piece_start) != 1).any()):
            return None
    if not any(pieces for pieces, _n in parts):
        return None
    xy = np.full((sum(n for _p, n in parts), 2), np.nan)
    at = 0
    for pieces, n in parts:
        pc = pieces.get(POINT)
        if pc is not None:
            has = np.flatnonzero(np.diff(pc.feature_piece) == 1)
            xy[at + has] = pc.coords[pc.piece_start[pc.feature_piece[has]]]
        at += n
    return xy


def parts_bounds(parts: Parts) -> np.ndarray:
    """:func:`feature_bounds` of the features of ``parts`` one after the other, part by
    part into the result (no concatenation of the parts)."""
    out = np.empty((sum(n for _p, n in parts), 4))
    at = 0
    for pieces, n in parts:
        out[at:at + n] = feature_bounds(pieces, n)
        at += n
    return out


def gather(parts: Parts, order: np.ndarray, block: int = 65536) -> dict[str, Pieces]:
    """``permute(concat(parts), order)`` without the concatenation: each kind's arrays are
    allocated once and filled from the parts ``block`` features at a time, so the
    vertices exist twice (parts and result) instead of three times, and the index ranges
    are a block's, not the layer's (~30 MB for the 1.25M road vertices of the 1M
    district)."""
    feature_at = np.cumsum([0, *(n for _p, n in parts)])
    out: dict[str, Pieces] = {}
    for kind in KINDS:
        if not any(kind in p for p, _n in parts):
            continue
        n_pieces = np.zeros(int(feature_at[-1]), np.int64)  # per old feature
        n_verts = np.zeros(int(feature_at[-1]), np.int64)
        for (pieces, n), at in zip(parts, feature_at[:-1], strict=True):
            pc = pieces.get(kind)
            if pc is not None:
                n_pieces[at:at + n] = np.diff(pc.feature_piece)
                n_verts[at:at + n] = np.diff(pc.piece_start[pc.feature_piece])
        feature_piece = np.zeros(len(order) + 1, np.int64)
        np.cumsum(n_pieces[order], out=feature_piece[1:])
        first_vertex = np.zeros(len(order) + 1, np.int64)
        np.cumsum(n_verts[order], out=first_vertex[1:])
        del n_pieces, n_verts
        lengths = np.empty(int(feature_piece[-1]), np.int64)
        outer = np.empty(len(lengths), bool) if kind == POLYGON else None
        coords = np.empty((int(first_vertex[-1]), 2))
        for lo in range(0, len(order), block):
            old = order[lo:lo + block]
            part_of = np.searchsorted(feature_at, old, side="right") - 1
            for p in qa.distinct(part_of):
                pc = parts[p][0].get(kind)
                if pc is None:
                    continue
                sel = np.flatnonzero(part_of == p)
                new, local = lo + sel, old[sel] - feature_at[p]
                src = qa.ranges(pc.feature_piece[local], pc.feature_piece[local + 1])
                dst = qa.ranges(feature_piece[new], feature_piece[new + 1])
                lengths[dst] = pc.piece_start[src + 1] - pc.piece_start[src]
                if outer is not None:
                    outer[dst] = (pc.outer[src] if pc.outer is not None else True)
                vs = qa.ranges(pc.piece_start[pc.feature_piece[local]],
                               pc.piece_start[pc.feature_piece[local + 1]])
                coords[qa.ranges(first_vertex[new], first_vertex[new + 1])] = pc.coords[vs]
        piece_start = np.zeros(len(lengths) + 1, np.int64)
        np.cumsum(lengths, out=piece_start[1:])
        out[kind] = Pieces(kind, coords, piece_start, feature_piece, outer)
    return out


def feature_bounds(pieces: dict[str, Pieces], n: int) -> np.ndarray:
    """(n, 4) envelopes over every kind; NaN rows for features without (finite) vertices.
    One column at a time, into the result (a million points: ~20 MB of temporary arrays
    instead of ~100 MB)."""
    out = np.full((n, 4), np.nan)
    for pc in pieces.values():
        v0 = pc.piece_start[pc.feature_piece[:-1]]
        v1 = pc.piece_start[pc.feature_piece[1:]]
        has = np.flatnonzero(v1 > v0)
        if len(has) == 0:
            continue
        at = v0[has]
        one_vertex = bool((v1[has] - at == 1).all())  # points: the vertex is the envelope
        del v0, v1
        for col, (axis, reduce, combine) in enumerate((
                (0, np.minimum, np.fmin), (1, np.minimum, np.fmin),
                (0, np.maximum, np.fmax), (1, np.maximum, np.fmax))):
            values = pc.coords[:, axis]
            found = values[at] if one_vertex else reduce.reduceat(values, at)
            out[has, col] = combine(out[has, col], found)
    return out


def reproject(parts: Parts, src: CRS, dst: CRS) -> None:
    """Transform every vertex to ``dst`` in place (failures become inf: dropped later)."""
    from pyproj import Transformer

    tf = Transformer.from_crs(src, dst, always_xy=True)
    for pieces, _n in parts:
        for pc in pieces.values():
            if len(pc.coords):
                x, y = tf.transform(pc.coords[:, 0], pc.coords[:, 1], errcheck=False)
                pc.coords = np.column_stack([x, y])


def from_shapely(geoms: np.ndarray) -> dict[str, Pieces]:
    """Split features into per-kind vertex arrays (collections are split into their parts)."""
    n = len(geoms)
    type_ids = shapely.get_type_id(geoms)
    feature_of = np.arange(n, dtype=np.int64)
    if (type_ids == 7).any():  # geometry collections: draw each part with its own kind
        parts, owner = shapely.get_parts(geoms, return_index=True)
        geoms, feature_of, type_ids = parts, owner.astype(np.int64), shapely.get_type_id(parts)
    out: dict[str, Pieces] = {}
    for kind in KINDS:
        mask = np.isin(type_ids, [t for t, k in _KIND_OF_TYPE_ID.items() if k == kind])
        if not mask.any():
            continue
        sub_feature = feature_of[mask]
        _gtype, coords, offsets = shapely.to_ragged_array(geoms[mask])
        coords = np.ascontiguousarray(coords, dtype=np.float64)
        outer = None
        if kind == POINT:
            piece_start = np.arange(len(coords) + 1, dtype=np.int64)
            per_geom = offsets[0] if offsets else np.arange(len(coords) + 1)
        elif kind == LINE:
            piece_start = np.asarray(offsets[0], dtype=np.int64)
            per_geom = offsets[1] if len(offsets) > 1 else np.arange(len(piece_start))
        else:
            piece_start = np.asarray(offsets[0], dtype=np.int64)
            poly_rings = np.asarray(offsets[1], dtype=np.int64)
            per_geom = (poly_rings[offsets[2]] if len(offsets) > 2 else poly_rings)
            outer = np.zeros(len(piece_start) - 1, dtype=bool)
            outer[poly_rings[:-1][np.diff(poly_rings) > 0]] = True
            orient(coords, piece_start, outer)
        per_geom = np.asarray(per_geom, dtype=np.int64)
        counts = np.zeros(n, dtype=np.int64)
        np.add.at(counts, sub_feature, np.diff(per_geom))
        feature_piece = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=feature_piece[1:])
        out[kind] = Pieces(kind, coords, piece_start, feature_piece, outer)
    return out


def orient(coords: np.ndarray, piece_start: np.ndarray, outer: np.ndarray) -> None:
    """Make exterior rings counter-clockwise and holes clockwise, in place."""
    if len(coords) < 2:
        return
    x = coords[:, 0] - coords[0, 0]
    y = coords[:, 1] - coords[0, 1]
    cross = np.zeros(len(coords))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[piece_start[1:] - 1] = 0.0  # no term across the end of a ring
    lengths = np.diff(piece_start)
    nonempty = lengths > 0
    area2 = np.zeros(len(lengths))
    area2[nonempty] = np.add.reduceat(cross, piece_start[:-1][nonempty])
    flip = nonempty & ((area2 < 0) == outer) & (area2 != 0)
    if flip.any():
        s, e = piece_start[:-1][flip], piece_start[1:][flip]
        idx = qa.ranges(s, e)
        owner_start = np.repeat(s, e - s)
        owner_end = np.repeat(e, e - s)
        coords[idx] = coords[owner_start + owner_end - 1 - idx]


def concat(parts: list[tuple[dict[str, Pieces], int]]) -> dict[str, Pieces]:
    """The pieces of several feature sets one after the other: ``parts`` = [(pieces, number
    of features)]; a kind missing from one set gets empty features there."""
    out: dict[str, Pieces] = {}
    for kind in KINDS:
        if not any(kind in p for p, _n in parts):
            continue
        coords, starts = [], [np.zeros(1, np.int64)]
        feats, outers = [np.zeros(1, np.int64)], []
        v_off = p_off = 0
        for pieces, n in parts:
            pc = pieces.get(kind)
            if pc is None:
                feats.append(np.full(n, p_off, np.int64))
                continue
            coords.append(pc.coords)
            starts.append(pc.piece_start[1:] + v_off)
            feats.append(pc.feature_piece[1:] + p_off)
            if kind == POLYGON:
                outers.append(pc.outer if pc.outer is not None else
                              np.ones(len(pc.piece_start) - 1, bool))
            v_off += len(pc.coords)
            p_off += len(pc.piece_start) - 1
        out[kind] = Pieces(kind, np.concatenate(coords) if coords else np.zeros((0, 2)),
                           np.concatenate(starts), np.concatenate(feats),
                           np.concatenate(outers) if outers else None)
    return out
