"""Real open data nobody on the team made: an OpenStreetMap extract of central Helsinki.

Highways, bridges, parks and waste baskets go into the four asset classes of a project in
ETRS89 / GK25FIN (EPSG:3879), the local projected CRS Helsinki uses (tests/data/osm/README.md
has the file's origin and its ODbL licence).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import SourceOptions, describe_layer
from citymgr_desktop.core.store import Store
from tests.core import import_sources as src
from tests.gpkg_checks import assert_valid_gpkg

OSM = Path(__file__).resolve().parent.parent / "data" / "osm" / "helsinki.osm.pbf"
ROADS = ("highway IN ('primary','secondary','tertiary','residential','unclassified','service',"
         "'living_street','pedestrian','primary_link','secondary_link','tertiary_link')")
JOBS = {
    "road_segment": SourceOptions(layer="lines", where=ROADS),
    "bridge": SourceOptions(layer="lines", where="highway IS NOT NULL AND "
                            "other_tags LIKE '%\"bridge\"=>\"yes\"%'"),
    "green_space": SourceOptions(layer="multipolygons", where="leisure = 'park'"),
    "litter_bin": SourceOptions(layer="points",
                                where="other_tags LIKE '%\"amenity\"=>\"waste_basket\"%'"),
}


def _mapping(table: str, options: SourceOptions):
    mapping = suggest_mapping(describe_layer(OSM, options), table)
    mapping.id_prefix = "osm:"
    if table == "road_segment":
        mapping.values.setdefault("road_class", {})["pedestrian"] = "branch"
    return mapping


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    path = src.new_project(tmp_path_factory.mktemp("osm") / "helsinki.gpkg", "EPSG:3879")
    reports = {}
    with Store.open(path) as store:
        for table, options in JOBS.items():
            res = importer.run_import(store, OSM, _mapping(table, options), options)
            reports[table] = res.report
    return path, reports


def test_suggestions_read_osm_tags():
    m = _mapping("road_segment", JOBS["road_segment"])
    assert m.fields["source_id"] == "osm_key"
    assert (m.fields["road_class"], m.fields["pavement"], m.fields["lanes"]) == (
        "highway", "surface", "lanes")
    assert m.values["road_class"]["residential"] == "branch"


def test_four_classes_imported(imported):
    path, reports = imported
    counts = {t: (r.read, r.inserted, r.skipped_count) for t, r in reports.items()}
    assert counts == {"road_segment": (979, 979, 0), "bridge": (5, 5, 0),
                      "green_space": (17, 16, 1), "litter_bin": (36, 36, 0)}
    # real dirt: a park outline with a two-point ring, reported, not fatal
    (reason,) = reports["green_space"].skipped.counts
    assert str(reason).startswith("unreadable geometry (Invalid number of points in LinearRing")
    assert reports["road_segment"].unmatched["pavement"]["paved"] > 100
    assert reports["road_segment"].empty["condition"] == 979  # nobody assessed OSM roads
    assert_valid_gpkg(path)


def test_values_and_places(imported):
    path, _ = imported
    with Store.open(path, read_only=True) as store:
        parks = store.read("green_space").set_index("name")
        roads = store.read("road_segment")
        bridges = store.read("bridge")
    assert "Esplanadinpuisto" in parks.index and "Kaisaniemen puisto" in parks.index
    assert set(parks["category"].dropna()) == {"park"}
    assert parks.crs.to_epsg() == 3879
    minx, miny, maxx, maxy = roads.total_bounds
    assert 25_495_000 < minx < maxx < 25_499_000 and 6_671_000 < miny < maxy < 6_675_000
    assert set(roads["road_class"].dropna()) == {"arterial", "secondary", "branch"}
    assert roads["source_id"].str.startswith("osm:way/").all()
    assert "Pitkäsilta" in set(bridges["name"].dropna())


def test_reimport_of_the_same_extract_changes_nothing(imported, tmp_path):
    path, _ = imported
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(path.read_bytes())
    with Store.open(copy) as store:
        options = JOBS["litter_bin"]
        res = importer.run_import(store, OSM, _mapping("litter_bin", options), options)
    assert (res.report.inserted, res.report.updated, res.report.unchanged) == (0, 0, 36)


def test_osm_keys_name_the_element_type(imported):
    path, _ = imported
    with Store.open(path, read_only=True) as store:
        keys = dict(store.conn.execute("SELECT name, source_id FROM green_space"))
        bins = [r[0] for r in store.conn.execute("SELECT source_id FROM litter_bin")]
    assert keys["Kaisaniemen puisto"] == "osm:relation/6627217"  # a multipolygon relation
    assert all(k.startswith(("osm:way/", "osm:relation/")) for k in keys.values())
    assert all(b.startswith("osm:node/") for b in bins)


def test_hstore_tags():
    from citymgr_desktop.core.importing.sources.osm import parse_hstore

    assert parse_hstore('"a"=>"1","name:fi"=>"Esplanadi","q"=>"say \\"hi\\""') == {
        "a": "1", "name:fi": "Esplanadi", "q": 'say "hi"'}
    assert parse_hstore(None) == {} and parse_hstore("plain") == {}
