"""A vectorised reader of 2-D little-endian WKB straight into vertex arrays.

Building a Shapely object per feature, only to take its coordinates apart again, was most
of the time (and memory) of loading a million features. The simple-feature types a map layer
holds (Point, LineString, Polygon and their Multi forms, 2-D, little-endian ISO WKB as GDAL
hands it over through Arrow) have a fixed layout, so NumPy can read every feature at once:
one pass per part/ring *depth*, not per feature. Anything else (Z/M, curves, collections,
big-endian) returns None and the caller falls back to Shapely.

The geometries come either as an Arrow binary column (:func:`parse`) or as blobs back to
back in one buffer (:func:`blob_spans`, then :func:`parse_spans`), GeoPackage geometry blobs
(a header, then the WKB) or plain WKB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from citymgr_desktop.render.qtarrays import distinct, ranges

if TYPE_CHECKING:
    import pyarrow as pa

POINT, LINE, POLYGON = "point", "line", "polygon"
_KIND = {1: POINT, 4: POINT, 2: LINE, 5: LINE, 3: POLYGON, 6: POLYGON}


@dataclass
class ParsedKind:
    """Pieces of one kind, in feature order (see ``render.data.Pieces``)."""

    coords: np.ndarray
    piece_start: np.ndarray
    feature_piece: np.ndarray
    outer: np.ndarray | None


def _buffers(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, data, valid) of an Arrow binary column."""
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if isinstance(arr, pa.ExtensionArray):
        arr = arr.storage
    if pa.types.is_binary(arr.type):
        off_type = np.int32
    elif pa.types.is_large_binary(arr.type):
        off_type = np.int64
    else:
        raise TypeError(f"not a WKB column: {arr.type}")
    bufs = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(bufs[1], dtype=off_type)[arr.offset : arr.offset + n + 1].astype(
        np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(
        0, np.uint8)
    valid = np.diff(offsets) > 0
    if arr.null_count:
        valid &= np.asarray(arr.is_valid())
    return offsets, data, valid


def _u32(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    b = data[pos[:, None] + np.arange(4)]
    return np.ascontiguousarray(b).view("<u4").ravel().astype(np.int64)


def parse(column: pa.Array | pa.ChunkedArray) -> tuple[dict[str, ParsedKind], np.ndarray] | None:
    """Kind -> pieces, and the per-feature validity; None when the fast path does not apply."""
    offsets, data, valid = _buffers(column)
    return parse_spans(data, offsets[:-1], offsets[1:], valid)


# bytes of a GeoPackage header's envelope, by the envelope code in bits 1-3 of its flags
_ENVELOPE_BYTES = np.array([0, 32, 48, 48, 64, 0, 0, 0], dtype=np.int64)


def blob_spans(data: np.ndarray, lengths: np.ndarray, geometry_format: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, valid) of the WKB of each of the blobs lying back to back in
    ``data``, ``lengths`` bytes each (0: no geometry). ``geometry_format`` ``"gpkg"``:
    GeoPackage geometry blobs, whose header (magic ``GP``, flags, envelope) is skipped; an
    empty geometry or a blob without the header counts as no geometry. ``"wkb"``: plain."""
    lengths = np.asarray(lengths, dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    valid = lengths > 0
    if geometry_format == "gpkg":
        valid &= lengths >= 8
        at = starts[valid]
        flags = data[at + 3]
        header = 8 + _ENVELOPE_BYTES[(flags >> 1) & 7]
        good = ((data[at] == 0x47) & (data[at + 1] == 0x50) & ((flags & 0x10) == 0)
                & (at + header < ends[valid]))
        starts[valid] = at + header
        valid[valid] = good
    return starts, ends, valid


def parse_spans(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, valid: np.ndarray
                ) -> tuple[dict[str, ParsedKind], np.ndarray] | None:
    """As :func:`parse`, over WKB at ``data[starts[i]:ends[i]]`` where ``valid[i]``."""
    n = len(starts)
    feats = np.flatnonzero(valid)
    if len(feats) == 0:
        return {}, valid
    if (starts[feats] + 5 > ends[feats]).any() or (data[starts[feats]] != 1).any():
        return None  # truncated or big-endian
    types = _u32(data, starts[feats] + 1)
    if not np.isin(types, list(_KIND)).all():
        return None  # Z/M, curves, collections: Shapely reads those
    out: dict[str, ParsedKind] = {}
    for kind in (POLYGON, LINE, POINT):
        codes = [t for t, k in _KIND.items() if k == kind]
        sel = np.isin(types, codes)
        if sel.any():
            out[kind] = _parse_kind(data, n, feats[sel], starts[feats[sel]], types[sel], kind)
    return out, valid


class _Pieces:
    """Piece records collected depth by depth: (feature, batch, byte start, vertex count)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, bool]] = []

    def add(self, feature: np.ndarray, start: np.ndarray, count: np.ndarray,
            outer: bool = False) -> None:
        if len(feature):
            self.parts.append((feature, len(self.parts), start, count, outer))


def _parse_kind(data: np.ndarray, n: int, feature: np.ndarray, pos: np.ndarray,
                types: np.ndarray, kind: str) -> ParsedKind:
    rec = _Pieces()
    single = types < 4
    if kind == POINT and single.all():
        return _single_points(data, n, feature, pos + 5)
    if kind == POINT:
        rec.add(feature[single], pos[single] + 5, np.ones(single.sum(), np.int64))
        multi = ~single
        if multi.any():
            f, q = feature[multi], pos[multi]
            count = _u32(data, q + 5)
            q = q + 9
            for k in range(int(count.max()) if len(count) else 0):
                act = count > k
                rec.add(f[act], q[act] + 21 * k + 5, np.ones(act.sum(), np.int64))
    elif kind == LINE:
        rec.add(feature[single], pos[single] + 9, _u32(data, pos[single] + 5))
        multi = ~single
        if multi.any():
            f, q = feature[multi], pos[multi]
            parts = _u32(data, q + 5)
            q = q + 9
            for k in range(int(parts.max()) if len(parts) else 0):
                act = np.flatnonzero(parts > k)
                cnt = _u32(data, q[act] + 5)
                rec.add(f[act], q[act] + 9, cnt)
                q[act] += 9 + 16 * cnt
    else:
        # a Polygon is one part; a MultiPolygon's parts are whole Polygon WKBs
        f = feature
        parts = np.where(single, 1, _u32(data, pos + 5))
        q = np.where(single, pos, pos + 9)
        for k in range(int(parts.max()) if len(parts) else 0):
            act = np.flatnonzero(parts > k)
            rings = _u32(data, q[act] + 5)
            p = q[act] + 9
            for r in range(int(rings.max()) if len(rings) else 0):
                a2 = np.flatnonzero(rings > r)
                cnt = _u32(data, p[a2])
                rec.add(f[act[a2]], p[a2] + 4, cnt, outer=(r == 0))
                p[a2] += 4 + 16 * cnt
            q[act] = p
    return _assemble(data, n, rec, kind)


def _single_points(data: np.ndarray, n: int, feature: np.ndarray, at: np.ndarray
                   ) -> ParsedKind:
    """Only single Points (a layer of bins): one piece each, x and y at ``at`` — read
    straight, without the piece records, their sort and index ranges (~60 MB and a fifth
    of the time for 600k points)."""
    coords = np.empty((len(at), 2), np.float64)
    shift = at % 8
    for s in distinct(shift):
        pick = np.flatnonzero(shift == s)
        view = np.frombuffer(data, dtype="<f8", count=(len(data) - int(s)) // 8, offset=int(s))
        word = (at[pick] - s) // 8
        coords[pick, 0] = view[word]
        coords[pick, 1] = view[word + 1]
    return ParsedKind(coords, _counting(len(at) + 1), _feature_pieces(feature, n), None)


_COUNTING = np.arange(65537, dtype=np.int64)
_COUNTING.flags.writeable = False


def _counting(n: int) -> np.ndarray:
    """``arange(n)``: the offsets of pieces that are one each; up to a packed run's size
    (``Store.read_packed_for_drawing``) a read-only view of one shared array (a run of
    single points: 1 MB a run for each of two arrays otherwise)."""
    if n <= len(_COUNTING):
        return _COUNTING[:n]
    return np.arange(n, dtype=np.int64)


def _feature_pieces(feature: np.ndarray, n: int) -> np.ndarray:
    """Offsets (n + 1) of each feature's pieces; ``feature`` = the owner of each piece,
    sorted."""
    if len(feature) == n and (n == 0 or (feature[0] == 0 and (np.diff(feature) == 1).all())):
        return _counting(n + 1)  # one piece each
    feature_piece = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(feature, minlength=n), out=feature_piece[1:])
    return feature_piece


def _assemble(data: np.ndarray, n: int, rec: _Pieces, kind: str) -> ParsedKind:
    if not rec.parts:
        empty = np.zeros(1, np.int64)
        return ParsedKind(np.zeros((0, 2)), empty, np.zeros(n + 1, np.int64),
                          np.zeros(0, bool) if kind == POLYGON else None)
    feature = np.concatenate([p[0] for p in rec.parts])
    batch = np.concatenate([np.full(len(p[0]), p[1]) for p in rec.parts])
    start = np.concatenate([p[2] for p in rec.parts])
    count = np.concatenate([p[3] for p in rec.parts])
    outer = np.concatenate([np.full(len(p[0]), p[4]) for p in rec.parts])
    order = np.lexsort((batch, feature))  # pieces of a feature in the order they were read
    feature, start, count, outer = feature[order], start[order], count[order], outer[order]
    piece_start = np.zeros(len(count) + 1, np.int64)
    np.cumsum(count, out=piece_start[1:])
    words = np.empty(2 * int(piece_start[-1]), np.float64)
    # doubles sit at any byte offset: view the buffer once per offset modulo 8, unaligned
    shift = start % 8
    for s in distinct(shift):
        pick = np.flatnonzero(shift == s)
        view = np.frombuffer(data, dtype="<f8", count=(len(data) - int(s)) // 8, offset=int(s))
        w0 = (start[pick] - s) // 8
        src = ranges(w0, w0 + 2 * count[pick])
        dst = ranges(2 * piece_start[pick], 2 * piece_start[pick] + 2 * count[pick])
        words[dst] = view[src]
    return ParsedKind(words.reshape(-1, 2), piece_start, _feature_pieces(feature, n),
                      outer if kind == POLYGON else None)
