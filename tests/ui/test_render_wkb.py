"""The NumPy WKB reader gives exactly what Shapely gives, for every simple type, with holes,
several parts, empty and missing geometries; it declines what it does not handle."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely

from citymgr_desktop.render import pieces as pcs
from citymgr_desktop.render import wkb

GEOMS = [
    shapely.Point(1, 2),
    shapely.MultiPoint([(3, 4), (5, 6), (7, 8)]),
    shapely.LineString([(0, 0), (1, 1), (2, 0)]),
    shapely.MultiLineString([[(0, 0), (1, 0)], [(5, 5), (6, 6), (7, 5)]]),
    shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 2), (2, 2), (2, 1)]]),
    shapely.MultiPolygon([shapely.box(10, 10, 11, 11),
                          shapely.Polygon([(20, 20), (30, 20), (30, 30), (20, 30)],
                                          [[(21, 21), (22, 21), (22, 22)],
                                           [(25, 25), (26, 25), (26, 26)]])]),
    None,
    shapely.LineString(),
]


def column(geoms) -> pa.Array:
    return pa.array([None if g is None else shapely.to_wkb(g, flavor="iso") for g in geoms],
                    type=pa.binary())


@pytest.mark.parametrize("kind_geoms", [
    [shapely.Point(1, 2), None, shapely.Point(3.5, -4), shapely.Point(1e6, 3e6)],  # bins
    [g for g in GEOMS if g is None or g.geom_type in ("Point", "MultiPoint")],
    [g for g in GEOMS if g is None or "Line" in g.geom_type],
    [g for g in GEOMS if g is None or "Polygon" in g.geom_type],
    GEOMS,
])
def test_numpy_reader_matches_shapely(kind_geoms):
    parsed = wkb.parse(column(kind_geoms))
    assert parsed is not None
    fast, _valid = parsed
    arr = np.array(kind_geoms, dtype=object)
    slow = pcs.from_shapely(np.array([g if g is not None else shapely.GeometryCollection()
                                      for g in arr], dtype=object))
    assert set(fast) == set(slow)
    for kind, s in slow.items():
        f = fast[kind]
        pcs.orient(f.coords, f.piece_start, f.outer) if f.outer is not None else None
        assert np.array_equal(f.piece_start, s.piece_start), kind
        assert np.array_equal(f.feature_piece, s.feature_piece), kind
        assert np.allclose(f.coords, s.coords), kind
        if kind == pcs.POLYGON:
            assert np.array_equal(f.outer, s.outer)


def test_rebuilt_geometries_equal_the_originals():
    parsed, _ = wkb.parse(column(GEOMS))
    pieces = {k: pcs.Pieces(k, p.coords, p.piece_start, p.feature_piece, p.outer)
              for k, p in parsed.items()}
    idx = np.arange(len(GEOMS))
    for kind, pc in pieces.items():
        rebuilt = pcs.rebuild(pc, idx)
        for g, r in zip(GEOMS, rebuilt, strict=True):
            if g is not None and not g.is_empty and pcs._KIND_OF_TYPE_ID[
                    shapely.get_type_id(g)] == kind:
                assert r.normalize().equals_exact(g.normalize(), 1e-9), (g.wkt, r.wkt)


def test_unusual_geometry_falls_back_to_shapely():
    z = column([shapely.Point(1, 2, 3)])
    assert wkb.parse(z) is None
    gc = column([shapely.GeometryCollection([shapely.Point(1, 1)])])
    assert wkb.parse(gc) is None
    big_endian = pa.array([shapely.to_wkb(shapely.Point(1, 2), byte_order=0)], type=pa.binary())
    assert wkb.parse(big_endian) is None


def test_geopackage_blobs_back_to_back_read_as_shapely_reads_them():
    """``blob_spans`` skips each GeoPackage header (none, xy, xyz envelopes); empty and
    missing geometries and a blob without the ``GP`` magic count as no geometry."""
    from citymgr_desktop.core.gpkg.geometry import encode

    blobs = [encode(g, 4547) for g in GEOMS]
    xyz = bytearray(encode(shapely.box(0, 0, 3, 3), 4547))
    xyz[3] = (xyz[3] & ~0x0E) | (2 << 1)  # an xyz envelope: 16 more bytes in the header
    blobs.append(bytes(xyz[:40]) + b"\0" * 16 + bytes(xyz[40:]))
    blobs.append(b"XX" + blobs[0][2:])  # not a GeoPackage blob
    raw = [b or b"" for b in blobs]
    data = np.frombuffer(b"".join(raw), dtype=np.uint8)
    starts, ends, valid = wkb.blob_spans(data, np.array([len(b) for b in raw]), "gpkg")
    expected = [*GEOMS, shapely.box(0, 0, 3, 3), None]
    assert list(valid) == [g is not None and not g.is_empty for g in expected]
    for s, e, v, g in zip(starts, ends, valid, expected, strict=True):
        if v:
            assert shapely.from_wkb(data[s:e].tobytes()).equals(g)
    parsed = wkb.parse_spans(data, starts, ends, valid)
    assert parsed is not None
    plain = wkb.parse(column([g if v else None for g, v in zip(expected, valid,
                                                               strict=True)]))
    assert plain is not None
    for kind, p in plain[0].items():
        np.testing.assert_array_equal(parsed[0][kind].coords, p.coords)
        np.testing.assert_array_equal(parsed[0][kind].feature_piece, p.feature_piece)


def _random_parts(rng: np.random.Generator) -> list[tuple[dict[str, pcs.Pieces], int]]:
    """Runs of features as the reader gives them: mixed kinds, features without geometry,
    several parts and rings, a run without one of the kinds."""
    parts = []
    for run in range(4):
        n = int(rng.integers(0, 40))
        geoms = []
        for _ in range(n):
            pick = rng.integers(0, 6)
            x, y = rng.uniform(0, 100, 2)
            if pick == 0 or (run == 2 and pick > 2):
                geoms.append(None)
            elif pick == 1:
                geoms.append(shapely.Point(x, y))
            elif pick == 2:
                geoms.append(shapely.MultiLineString([[(x, y), (x + 1, y + 2), (x + 3, y)],
                                                      [(x, y + 5), (x + 2, y + 6)]]))
            elif pick == 3:
                geoms.append(shapely.LineString([(x, y), (x + 4, y + 1)]))
            else:
                geoms.append(shapely.box(x, y, x + 3, y + 2).difference(
                    shapely.box(x + 1, y + 0.5, x + 2, y + 1)))
        parts.append((pcs.from_shapely(np.array(geoms, dtype=object)), n))
    return parts


@pytest.mark.parametrize("seed", range(5))
def test_runs_reordered_straight_into_the_layer_equal_the_concatenation_reordered(seed):
    rng = np.random.default_rng(seed)
    parts = _random_parts(rng)
    n = sum(k for _p, k in parts)
    whole = pcs.concat(parts)
    order = rng.permutation(n)[: max(0, n - 5)]  # some features left out, as the loader does
    for block in (1, 3, 65536):
        gathered = pcs.gather(parts, order, block=block)
        expected = {kind: pcs.permute(pc, order) for kind, pc in whole.items()}
        assert list(gathered) == list(expected)
        for kind, pc in expected.items():
            got = gathered[kind]
            for name in ("coords", "piece_start", "feature_piece", "outer"):
                a, b = getattr(got, name), getattr(pc, name)
                assert (a is None) == (b is None)
                if a is not None:
                    assert a.dtype == b.dtype and np.array_equal(a, b), (kind, name)
    assert np.array_equal(pcs.parts_bounds(parts), pcs.feature_bounds(whole, n),
                          equal_nan=True)


def test_a_layer_of_single_points_has_its_vertices_as_envelopes():
    points = [shapely.Point(1, 2), None, shapely.Point(3, 4)]
    parts = [(pcs.from_shapely(np.array(points, dtype=object)), 3),
             (pcs.from_shapely(np.array([shapely.Point(5, 6)], dtype=object)), 1)]
    xy = pcs.single_points(parts)
    assert np.array_equal(xy, [[1, 2], [np.nan, np.nan], [3, 4], [5, 6]], equal_nan=True)
    bounds = pcs.parts_bounds(parts)
    assert np.array_equal(bounds[:, :2], xy, equal_nan=True)
    assert np.array_equal(bounds[:, 2:], xy, equal_nan=True)
    lines = [(pcs.from_shapely(np.array([shapely.LineString([(0, 0), (1, 1)])],
                                        dtype=object)), 1)]
    assert pcs.single_points(parts + lines) is None
    multi = [(pcs.from_shapely(np.array([shapely.MultiPoint([(0, 0), (1, 1)])],
                                        dtype=object)), 1)]
    assert pcs.single_points(multi) is None
