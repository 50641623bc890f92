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
