"""Geometry conversion for import: multi-part, Z/M, curves, invalid, and type changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely

from citymgr_desktop.core.importing.geometry import (
    GeometryOptions,
    conform,
    decode_wkb,
    drop_zm,
    wkb_type,
)

OPTS = GeometryOptions()


def g(wkt: str):
    return shapely.from_wkt(wkt)


def test_multi_line_merged_when_parts_touch():
    res = conform(g("MULTILINESTRING ((0 0, 1 0), (1 0, 2 0))"), "LINESTRING", OPTS)
    assert [p.wkt for p in res.parts] == ["LINESTRING (0 0, 1 0, 2 0)"]
    assert res.notes == ["multi-part line merged"]


def test_multi_line_exploded_or_refused():
    geom = g("MULTILINESTRING ((0 0, 1 0), (5 0, 6 0))")
    res = conform(geom, "LINESTRING", OPTS)
    assert len(res.parts) == 2 and res.notes == ["split into 2 parts"]
    res = conform(geom, "LINESTRING", GeometryOptions(multipart="refuse"))
    assert res.reason == "multi-part MultiLineString with 2 parts" and not res.parts


def test_polygon_becomes_multipolygon_and_multi_stays_one_asset():
    res = conform(g("POLYGON ((0 0, 1 0, 1 1, 0 0))"), "MULTIPOLYGON", OPTS)
    assert res.parts[0].geom_type == "MultiPolygon"
    res = conform(g("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))"),
                  "MULTIPOLYGON", OPTS)
    assert len(res.parts) == 1 and len(res.parts[0].geoms) == 2


def test_bow_tie_is_repaired_or_refused():
    bowtie = g("POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))")
    res = conform(bowtie, "MULTIPOLYGON", OPTS)
    assert res.parts[0].is_valid and abs(res.parts[0].area - 2.0) < 1e-9
    assert str(res.notes[0]).startswith("repaired (Self-intersection")
    res = conform(bowtie, "MULTIPOLYGON", GeometryOptions(repair=False))
    assert res.reason == "invalid geometry" and res.detail.startswith("Self-intersection")


def test_collapsing_geometry_is_refused_with_the_reason():
    res = conform(g("LINESTRING (1 1, 1 1)"), "LINESTRING", OPTS)
    assert res.reason == "invalid geometry that collapses when repaired"
    assert "Too few points" in res.detail
    res = conform(g("POLYGON ((0 0, 1 1, 2 2, 0 0))"), "MULTIPOLYGON", OPTS)
    assert res.reason is not None


def test_lines_and_areas_become_points_for_point_classes():
    res = conform(g("LINESTRING (0 0, 10 0)"), "POINT", OPTS)
    assert res.parts[0].equals(shapely.Point(5, 0))
    assert res.notes == ["line made a point (its middle)"]
    res = conform(g("POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))"), "POINT", OPTS)
    assert res.parts[0].within(g("POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))"))
    res = conform(g("LINESTRING (0 0, 10 0)"), "POINT", GeometryOptions(to_point=False))
    assert res.reason == "LineString cannot become a point (point)"


def test_closed_line_becomes_an_area_but_an_open_one_does_not():
    res = conform(g("LINESTRING (0 0, 4 0, 4 4, 0 0)"), "MULTIPOLYGON", OPTS)
    assert res.parts[0].geom_type == "MultiPolygon" and res.notes == ["closed line made an area"]
    res = conform(g("LINESTRING (0 0, 4 0, 4 4)"), "MULTIPOLYGON", OPTS, "green spaces")
    assert res.reason == "LineString cannot become an area (green spaces)"


def test_points_cannot_become_roads_or_areas():
    assert str(conform(g("POINT (1 2)"), "LINESTRING", OPTS).reason).startswith("Point cannot")
    assert str(conform(g("POINT (1 2)"), "MULTIPOLYGON", OPTS).reason).startswith("Point cannot")
    assert conform(None, "POINT", OPTS).reason == "no geometry"
    assert conform(g("POINT EMPTY"), "POINT", OPTS).reason == "no geometry"


def test_multipoint_explodes():
    res = conform(g("MULTIPOINT ((0 0), (1 1), (2 2))"), "POINT", OPTS)
    assert [p.wkt for p in res.parts] == ["POINT (0 0)", "POINT (1 1)", "POINT (2 2)"]
    res = conform(g("MULTIPOINT ((0 0))"), "POINT", OPTS)
    assert len(res.parts) == 1 and not res.notes


def test_geometry_collection_keeps_the_parts_of_the_right_kind():
    res = conform(g("GEOMETRYCOLLECTION (POINT (9 9), POLYGON ((0 0, 1 0, 1 1, 0 0)))"),
                  "MULTIPOLYGON", OPTS)
    assert res.reason is None and res.parts[0].geom_type == "MultiPolygon"


def test_z_and_m_are_dropped_and_flagged():
    geoms = np.array([g("LINESTRING Z (0 0 5, 1 1 6)"), g("POINT M (1 2 3)"),
                      g("POINT (1 2)"), None], dtype=object)
    flat, had = drop_zm(geoms)
    assert list(had) == [True, True, False, False]
    assert not any(shapely.has_z(x) for x in flat[:3])
    assert flat[3] is None


def test_decode_reports_unreadable_and_unsupported_blobs():
    good = shapely.to_wkb(shapely.Point(1, 2))
    ring_of_two = bytes.fromhex("01030000000100000002000000" + "00" * 32)
    tin = bytes.fromhex("0110000000" + "00000000")
    geoms, problems, converted = decode_wkb([good, ring_of_two, tin, None], [1, 2, 3, 4])
    assert geoms[0].equals(shapely.Point(1, 2))
    assert str(problems[2]).startswith("unreadable geometry")
    assert problems[3] == "unsupported geometry type TIN"
    assert problems[4] == "no geometry"
    assert not converted


@pytest.mark.parametrize(("code", "expected"), [(8, 8), (1008, 8), (3010, 10), (0x80000001, 1)])
def test_wkb_type_ignores_dimension_flags(code, expected):
    import struct

    assert wkb_type(struct.pack("<BI", 1, code)) == expected


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="GDAL's ogr2ogr is not installed")
def test_curves_are_linearised_like_gdal(tmp_path):
    """Our linearisation (no Fiona) against GDAL's own (ogr2ogr -nlt CONVERT_TO_LINEAR), on
    a circular string, a curve polygon and pyogrio's curve fixtures."""
    import json
    import os
    import subprocess

    import pyogrio

    from citymgr_desktop.core.importing.curves import linearise
    from tests.core import import_sources as src

    fixtures = Path(pyogrio.__file__).parent / "tests" / "fixtures"
    files = [src.gpkg_curves(tmp_path)] + [fixtures / n for n in (
        "curve.gpkg", "curvepolygon.gpkg", "multisurface.gpkg") if (fixtures / n).exists()]
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_LIB", "PROJ_DATA")}
    compared = 0
    for i, path in enumerate(files):
        out = tmp_path / f"gdal{i}.geojson"
        subprocess.run(["ogr2ogr", "-f", "GeoJSON", "-nlt", "CONVERT_TO_LINEAR", str(out),
                        str(path)], check=True, env=env, capture_output=True)
        theirs = [shapely.from_geojson(json.dumps(f["geometry"]))
                  for f in json.loads(out.read_text())["features"]]
        _, table = pyogrio.read_arrow(path)
        gcol = next(n for n in table.column_names if n in ("geom", "geometry", "wkb_geometry"))
        ours = [linearise(b) for b in table.column(gcol).to_pylist()]
        for a, b in zip(ours, theirs, strict=True):
            size = max(b.bounds[2] - b.bounds[0], b.bounds[3] - b.bounds[1])
            assert a.geom_type.replace("Multi", "") == b.geom_type.replace("Multi", "")
            assert shapely.hausdorff_distance(a, b) < 0.01 * size
            assert abs(a.length - b.length) <= 0.002 * b.length
            if b.area:
                assert abs(a.area - b.area) <= 0.003 * b.area
            compared += 1
    assert compared >= 3
