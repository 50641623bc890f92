"""A package whose row identities are damaged is refused before anything is applied, naming
the rows (issue 19, item 2): empty or repeated uuids, a uuid of another class, uuids a tool
renewed. A refused sync commits nothing, not even the bookkeeping indexes. The property test
feeds packages with random identity damage: each is refused or merged, and never does an
asset come back under a new uuid or a uuid name two assets."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid as uuidlib
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.gpkg.geometry import encode
from tests.core.sync_support import checkout, edit, sync, uuids
from tests.faults.corpus import rebuild_without_constraints

ASSETS = ("road_segment", "bridge", "green_space", "litter_bin")
EXAMPLES = int(os.environ.get("CITYMGR_SYNC_EXAMPLES", "25"))


def refused(master: Path, pkg: Path, match: str) -> None:
    before = master.read_bytes()
    with pytest.raises(BadFileError, match=match):
        sync(master, pkg)
    assert master.read_bytes() == before, "a refused sync must change nothing"


def test_a_bin_carrying_a_roads_uuid_is_refused(pair):
    master, pkg = pair
    road = uuids(master, "road_segment", limit=1)[0]
    with edit(pkg) as c:
        rebuild_without_constraints(c, "litter_bin")
        fid = c.execute("SELECT min(fid) FROM litter_bin").fetchone()[0]
        c.execute("UPDATE litter_bin SET asset_uuid = ? WHERE fid = ?", (road, fid))
    refused(master, pkg, f"litter_bin fid {fid}: asset_uuid {road} names a road_segment")


def test_a_new_bin_with_the_uuid_of_a_road_outside_the_package_is_refused(small_district,
                                                                           tmp_path):
    pkg = tmp_path / "bins.gpkg"
    checkout(small_district, pkg, layers=["litter_bin"], history_years=None)
    road = uuids(small_district, "road_segment", limit=1)[0]
    with edit(pkg) as c:
        c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES "
                  "(?, ?, '新', 'other')", (encode(shapely.Point(528000, 3381000), 4547), road))
    refused(small_district, pkg, f"asset_uuid {road} names a road_segment in the master")


def test_bins_whose_uuids_were_renewed_are_refused_not_recreated(pair):
    master, pkg = pair
    with edit(pkg) as c:
        rebuild_without_constraints(c, "litter_bin")  # a tool that rewrote the layer
        fids = [r[0] for r in c.execute("SELECT fid FROM litter_bin ORDER BY fid LIMIT 10")]
        for fid in fids:
            c.execute("UPDATE litter_bin SET asset_uuid = ? WHERE fid = ?",
                      (str(uuidlib.uuid4()), fid))
    refused(master, pkg, r"litter_bin fid 1, 2, .*: 10 asset\(s\) got new uuids")


def test_uuids_lost_by_a_rewrite_are_refused(pair):
    master, pkg = pair
    with edit(pkg) as c:
        rebuild_without_constraints(c, "bridge")
        c.execute("UPDATE bridge SET asset_uuid = NULL WHERE fid IN (SELECT fid FROM bridge "
                  "ORDER BY fid LIMIT 2)")
    refused(master, pkg, "bridge fid .*: no asset_uuid")


def test_a_refused_sync_commits_nothing_not_even_indexes(pair):
    master, pkg = pair
    with edit(master) as c:  # a master made before the index existed
        c.execute('DROP INDEX IF EXISTS "idx_sync_journal_run"')
    with edit(pkg) as c:
        rebuild_without_constraints(c, "litter_bin")
        c.execute("UPDATE litter_bin SET asset_uuid = NULL WHERE fid = (SELECT min(fid) FROM "
                  "litter_bin)")
    refused(master, pkg, "no asset_uuid")


def test_a_package_without_gpkg_contents_is_refused(pair):
    master, pkg = pair
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = 'x' WHERE fid = 1")
        c.execute("DROP TABLE gpkg_contents")
    refused(master, pkg, r"not a valid GeoPackage any more \(gpkg_contents missing\)")


# -- random identity damage ---------------------------------------------------------------------
DAMAGE = st.sampled_from(["null", "copy", "foreign", "renew", "new", "edit"])


@st.composite
def damage_script(draw):
    return draw(st.lists(st.tuples(DAMAGE, st.integers(0, 7), st.integers(0, 7),
                                   st.sampled_from(ASSETS)), min_size=1, max_size=6))


def _damage(c: sqlite3.Connection, ops: list[tuple], roads: list[str]) -> None:
    fids = [r[0] for r in c.execute("SELECT fid FROM litter_bin ORDER BY fid LIMIT 8")]
    for kind, i, j, cls in ops:
        fid = fids[i]
        if kind == "null":
            c.execute("UPDATE litter_bin SET asset_uuid = NULL WHERE fid = ?", (fid,))
        elif kind == "copy":
            c.execute("UPDATE litter_bin SET asset_uuid = (SELECT asset_uuid FROM litter_bin "
                      "WHERE fid = ?) WHERE fid = ?", (fids[j], fid))
        elif kind == "foreign":
            other = c.execute(f'SELECT asset_uuid FROM "{cls}" ORDER BY fid LIMIT 1 OFFSET ?',
                              (j,)).fetchone()
            c.execute("UPDATE litter_bin SET asset_uuid = ? WHERE fid = ?",
                      (other[0] if other and cls != "litter_bin" else roads[j % len(roads)],
                       fid))
        elif kind == "renew":
            c.execute("UPDATE litter_bin SET asset_uuid = ? WHERE fid = ?",
                      (str(uuidlib.uuid4()), fid))
        elif kind == "new":
            c.execute("INSERT INTO litter_bin (geom, asset_uuid, name, bin_type) VALUES "
                      "(?, ?, '新', 'other')",
                      (encode(shapely.Point(528000 + i, 3381000 + j), 4547),
                       str(uuidlib.uuid4())))
        else:
            c.execute("UPDATE litter_bin SET remarks = ? WHERE fid = ?", (f"改{j}", fid))


def _assets(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """uuid -> [(class, obj_code)] for every asset of the file."""
    conn = sqlite3.connect(path)
    out: dict[str, list[tuple[str, str | None]]] = {}
    for cls in ASSETS:
        for u, code in conn.execute(f'SELECT asset_uuid, obj_code FROM "{cls}"'):
            out.setdefault(u, []).append((cls, code))
    conn.close()
    return out


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ops=damage_script())
def test_identity_damage_is_refused_or_merged_never_renamed(small_master, ops):
    with tempfile.TemporaryDirectory() as tmp:
        master, pkg = Path(tmp) / "m.gpkg", Path(tmp) / "p.gpkg"
        shutil.copyfile(small_master, master)
        checkout(master, pkg, history_years=None)
        roads = uuids(master, "road_segment", limit=8)
        with edit(pkg) as c:
            rebuild_without_constraints(c, "litter_bin")
            _damage(c, ops, roads)
        field = _assets(pkg)
        before_bytes, before = master.read_bytes(), _assets(master)
        try:
            sync(master, pkg)
        except BadFileError as exc:
            assert "identities are damaged" in str(exc)
            assert master.read_bytes() == before_bytes
            return
        after = _assets(master)
        for u, places in after.items():
            assert len(places) == 1, f"uuid {u} names {places}"
            if u not in before:  # a new asset: added in the field under this very uuid
                assert u in field and field[u][0][0] == places[0][0]
        for u, places in before.items():  # old assets keep their class and their code
            if u in after:
                assert after[u] == places
