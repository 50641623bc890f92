"""The memory's geometry digest (core/importing/memory.py) is the digest of a geometry's WKB
on the 1 mm grid as GEOS rounds it, whichever way it is computed: a point layer's digests
are built from the coordinates, and must match those of the files an earlier import wrote
(and those of a line or polygon, computed by GEOS)."""

from __future__ import annotations

import hashlib

import numpy as np
import shapely

from citymgr_desktop.core.importing import memory


def _by_geos(geoms: list[shapely.Geometry]) -> list[str]:
    grid = shapely.set_precision(np.array(geoms, dtype=object), memory.GEOMETRY_GRID,
                                 mode="pointwise")
    return [hashlib.blake2b(w, digest_size=8).hexdigest() for w in shapely.to_wkb(grid)]


def test_point_digests_are_those_of_geos_on_the_grid() -> None:
    rng = np.random.default_rng(18)
    halves = (np.arange(-2000, 2000) + 0.5) / 1000  # exactly half a millimetre off the grid
    values = np.concatenate([rng.uniform(-1e7, 1e7, 4000), halves,
                             np.round(rng.uniform(500_000, 540_000, 2000)) + 0.0005,
                             [0.0, -0.0, 1e-9, -1e-9, 0.0004999, -0.0004999]])
    points = list(shapely.points(values, rng.permutation(values)))
    assert memory.digests(points) == _by_geos(points)
    # as a file imported before keeps them (the benchmark's first bin, EPSG:4547)
    assert memory.digests([shapely.Point(529044.508, 3380207.092)]) == ["d07fc81d263dcd12"]


def test_digests_of_mixed_missing_and_3d_geometries() -> None:
    line = shapely.LineString([(0.0001, 0.0006), (10.0004, 20.0005)])
    given = [None, shapely.Point(1.0005, 2.0004), line, shapely.Point(1, 2, 3),
             shapely.Point(), None]
    found = memory.digests(given)
    assert found[0] is None and found[5] is None
    assert found[1:5] == _by_geos(given[1:5])
    assert memory.digests([given[1], None]) == [found[1], None]
