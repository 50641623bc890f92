"""Row-level writes: cost follows the edit, fids and untouched rows stay, indexes stay right."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid

import pytest
import shapely
from shapely.geometry import Point

from citymgr_desktop.core.errors import GeometryError, ValidationError
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store


def _rows(path, table):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT * FROM "{table}" ORDER BY fid').fetchall()
    finally:
        conn.close()


def test_attribute_update_touches_only_that_row(district):
    before = _rows(district, "litter_bin")
    with Store.open(district) as store:
        fid, uid, _cond = store.conn.execute(
            "SELECT fid, asset_uuid, condition FROM litter_bin WHERE condition = 1 LIMIT 1"
        ).fetchone()
        last = store.conn.execute(
            "SELECT last_change FROM gpkg_contents WHERE table_name='litter_bin'").fetchone()[0]
        counts = store.apply([Delta("litter_bin", uid, {"condition": 1}, {"condition": 4})],
                             user="王工")
        assert counts == {"litter_bin": {"insert": 0, "update": 1, "delete": 0}}
        row = store.get_row("litter_bin", uid)
        assert row["condition"] == 4 and row["updated_by"] == "王工"
        assert row["updated_at"].endswith("Z")
        new_last = store.conn.execute(
            "SELECT last_change FROM gpkg_contents WHERE table_name='litter_bin'").fetchone()[0]
        assert new_last > last
    after = _rows(district, "litter_bin")
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1 and after[changed[0]][0] == fid


def test_insert_gets_obj_code_and_rtree_entry(district):
    with Store.open(district) as store:
        top = store.conn.execute("SELECT max(obj_code) FROM litter_bin").fetchone()[0]
        uid = str(uuid.uuid4())
        store.apply([Delta("litter_bin", uid, None, {
            "geom": Point(528_800, 3_381_500), "name": "新增垃圾箱", "bin_type": "kitchen",
            "condition": "2"})], user="surveyor")
        row = store.get_row("litter_bin", uid)
        assert row["obj_code"] == top[:10] + f"{int(top[10:]) + 1:06d}"
        assert row["condition"] == 2
        fid = store.conn.execute("SELECT fid FROM litter_bin WHERE asset_uuid=?",
                                 (uid,)).fetchone()[0]
        hit = store.conn.execute(
            "SELECT id FROM rtree_litter_bin_geom WHERE minx <= 528800 AND maxx >= 528800 "
            "AND miny <= 3381500 AND maxy >= 3381500").fetchall()
        assert (fid,) in hit
        found = store.read("litter_bin", bbox=(528_799, 3_381_499, 528_801, 3_381_501))
        assert uid in set(found["asset_uuid"])


def test_geometry_update_moves_rtree_and_extent(district):
    with Store.open(district) as store:
        uid, fid = store.conn.execute("SELECT asset_uuid, fid FROM bridge LIMIT 1").fetchone()
        far = Point(540_000, 3_390_000)
        store.apply([Delta("bridge", uid, {"geom": None}, {"geom": far})])
        box = store.conn.execute("SELECT minx, miny FROM rtree_bridge_geom WHERE id=?",
                                 (fid,)).fetchone()
        assert box == pytest.approx((540_000, 3_390_000), abs=0.01)
        assert store.layer("bridge").extent[2] >= 540_000


def test_green_space_polygon_becomes_multipolygon_with_area(district):
    with Store.open(district) as store:
        uid = str(uuid.uuid4())
        poly = shapely.box(528_000, 3_381_000, 528_100, 3_381_050)
        store.apply([Delta("green_space", uid, None, {"geom": poly, "category": "park"})])
        row = store.get_row("green_space", uid)
        assert row["geom"].geom_type == "MultiPolygon"
        assert row["area_m2"] == pytest.approx(5000.0)


def test_bad_values_roll_back_everything(district):
    before = _rows(district, "litter_bin")
    with Store.open(district) as store:
        a, b = [r[0] for r in store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 2")]
        with pytest.raises(ValidationError, match=r"condition.*allowed: 1 \(Good\)"):
            store.apply([Delta("litter_bin", a, {"condition": 1}, {"condition": 2}),
                         Delta("litter_bin", b, {"condition": 1}, {"condition": 9})])
        with pytest.raises(ValidationError, match="bin_type"):
            store.apply([Delta("litter_bin", a, {}, {"bin_type": "plutonium"})])
        with pytest.raises(ValidationError, match="at most 100 characters"):
            store.apply([Delta("litter_bin", a, {}, {"name": "长" * 101})])
        with pytest.raises(GeometryError, match="POINT"):
            store.apply([Delta("litter_bin", a, {}, {"geom": shapely.box(0, 0, 1, 1)})])
        with pytest.raises(GeometryError, match="invalid"):
            bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
            store.apply([Delta("green_space", str(uuid.uuid4()), None, {"geom": bow})])
    assert _rows(district, "litter_bin") == before


def test_asset_with_history_cannot_be_deleted(district):
    with Store.open(district) as store:
        uid = store.conn.execute(
            "SELECT asset_uuid FROM maintenance_record WHERE asset_class='litter_bin' LIMIT 1"
        ).fetchone()[0]
        with pytest.raises(ValidationError, match="retire"):
            store.apply([Delta("litter_bin", uid, {"name": "x"}, None)])
        assert store.get_row("litter_bin", uid)
        free = store.conn.execute(
            "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
            "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset) "
            "LIMIT 1").fetchone()[0]
        store.apply([Delta("litter_bin", free, {"name": "x"}, None)])
        assert store.get_rows("litter_bin", [free]) == {}


def test_record_must_point_at_existing_asset(district):
    with Store.open(district) as store, pytest.raises(ValidationError, match="existing asset"):
        store.apply([Delta("maintenance_record", str(uuid.uuid4()), None, {
            "asset_class": "litter_bin", "asset_uuid": str(uuid.uuid4()),
            "record_date": "2026-11-01", "record_type": "inspection"})])


def test_pci_grade_is_derived(district):
    with Store.open(district) as store:
        uid = store.conn.execute(
            "SELECT asset_uuid FROM road_segment WHERE road_class='branch' LIMIT 1").fetchone()[0]
        store.apply([Delta("road_segment", uid, {}, {"pci": 50.0})])
        assert store.get_row("road_segment", uid)["pci_grade"] == "poor"
        store.apply([Delta("road_segment", uid, {}, {"pci": 86.0})])
        assert store.get_row("road_segment", uid)["pci_grade"] == "excellent"


def test_nested_sessions_commit_once(district):
    with Store.open(district) as store:
        uid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        with pytest.raises(RuntimeError), store.session():
            store.apply([Delta("litter_bin", uid, {}, {"name": "inner"})])
            raise RuntimeError("outer fails")
        assert store.get_row("litter_bin", uid)["name"] != "inner"


def test_the_store_says_it_is_writing_until_its_commit_has_ended(district):
    """The file watch asks nothing while the store writes: its COMMIT (which waits for the
    readers of other programs) is part of the write."""
    with Store.open(district) as store:
        uid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        seen: list[bool] = []
        store.conn.set_trace_callback(
            lambda sql: seen.append(store.writing) if sql == "COMMIT" else None)
        store.apply([Delta("litter_bin", uid, {}, {"name": "committed"})])
        store.conn.set_trace_callback(None)
        assert seen == [True]
        assert not store.writing


def test_files_stay_valid_for_gdal_after_edits(district, tmp_path):
    from citymgr_desktop.core.store import create as project
    from tests.gpkg_checks import assert_valid_gpkg

    with Store.open(district) as store:
        a, b = [r[0] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
            "maintenance_record UNION SELECT asset_uuid FROM work_order_asset) LIMIT 2")]
        store.apply([
            Delta("litter_bin", a, {}, {"condition": 5, "geom": Point(528_000, 3_381_000)}),
            Delta("litter_bin", b, {"name": "x"}, None),
            Delta("litter_bin", str(uuid.uuid4()), None, {"geom": Point(528_500, 3_381_500)}),
            Delta("green_space", str(uuid.uuid4()), None,
                  {"geom": shapely.box(528_000, 3_381_000, 528_050, 3_381_040)}),
        ])
    assert_valid_gpkg(district)
    empty = project.create_project(tmp_path / "empty.gpkg", "EPSG:32650", "440305")
    assert_valid_gpkg(empty)
    with Store.open(empty) as store:
        assert store.is_asset_project() and store.project_crs().to_epsg() == 32650
        assert all(li.count == 0 for li in store.layers() if li.is_asset)


def _rtree_and_trigger(store, table):
    rtree = store.conn.execute(
        f'SELECT id, minx, maxx, miny, maxy FROM "rtree_{table}_geom" ORDER BY id').fetchall()
    trigger = store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE type='trigger' AND name=?",
        (f"rtree_{table}_geom_insert",)).fetchone()[0]
    return rtree, trigger


def test_many_inserts_fill_the_rtree_once_and_keep_the_trigger(district):
    """A batch big enough for the bulk path: every new row has its rtree entry, the insert
    trigger is back word for word, and a later single insert still goes through it."""
    with Store.open(district) as store:
        _, trigger = _rtree_and_trigger(store, "litter_bin")
        n = 300
        uids = [str(uuid.uuid4()) for _ in range(n)]
        store.apply([Delta("litter_bin", u, None, {
            "geom": Point(528_000 + i, 3_381_000 + 2 * i), "name": f"箱{i}",
            "bin_type": "kitchen", **({"condition": 3} if i % 2 else {})})
            for i, u in enumerate(uids)], user="import")
        rtree, trigger_after = _rtree_and_trigger(store, "litter_bin")
        assert trigger_after == trigger
        fids = dict(store.conn.execute(
            f"SELECT asset_uuid, fid FROM litter_bin WHERE asset_uuid IN "
            f"({','.join('?' * n)})", uids).fetchall())
        boxes = {r[0]: r[1:] for r in rtree}
        for i, u in enumerate(uids):
            x, y = 528_000 + i, 3_381_000 + 2 * i
            assert boxes[fids[u]] == pytest.approx((x, x, y, y), abs=0.01)
        assert [fids[u] for u in uids] == sorted(fids.values())  # fids follow the order
        assert store.get_row("litter_bin", uids[1])["condition"] == 3
        assert store.get_row("litter_bin", uids[0])["condition"] is None
        one = str(uuid.uuid4())
        store.apply([Delta("litter_bin", one, None, {"geom": Point(529_000, 3_382_000),
                                                     "bin_type": "kitchen"})])
        fid = store.conn.execute("SELECT fid FROM litter_bin WHERE asset_uuid=?",
                                 (one,)).fetchone()[0]
        assert store.conn.execute(f'SELECT minx FROM "rtree_litter_bin_geom" WHERE id={fid}'
                                  ).fetchone()[0] == pytest.approx(529_000, abs=0.01)


def test_a_bad_row_in_a_big_batch_is_named_and_nothing_is_written(district):
    with Store.open(district) as store:
        before_rows = store.conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0]
        rtree_before, trigger = _rtree_and_trigger(store, "litter_bin")
        uids = [str(uuid.uuid4()) for _ in range(250)]
        uids[200] = uids[10]  # the same uuid twice: the unique index refuses the second
        deltas = [Delta("litter_bin", u, None, {"geom": Point(528_000 + i, 3_381_000),
                                                "bin_type": "kitchen"})
                  for i, u in enumerate(uids)]
        with pytest.raises(ValidationError) as err:
            store.apply(deltas)
        assert uids[10] in str(err.value)
        assert store.conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0] == \
            before_rows
        assert _rtree_and_trigger(store, "litter_bin") == (rtree_before, trigger)


def test_a_batch_checks_values_as_row_by_row_inserts_would(district, tmp_path):
    """New rows are checked column by column: the rows written are those of single-row
    inserts (values normalised, empty values NULL, codes, areas), and of several bad values
    the error names the first row's, as a row-by-row check does."""
    import shutil

    one_by_one = tmp_path / "one.gpkg"
    shutil.copyfile(district, one_by_one)
    square = shapely.box(528_000, 3_381_000, 528_010, 3_381_010)
    rows = [{"geom": square if i % 3 else shapely.MultiPolygon([square]), "name": f" 园{i}",
             "category": "park", "maint_level": str(1 + i % 3), "install_date": "2019-05-01",
             **({"area_m2": 7.5} if i % 4 == 0 else {}), **({"remarks": "x"} if i % 2 else {})}
            for i in range(60)]
    uids = [str(uuid.uuid4()) for _ in rows]
    with Store.open(district) as store:
        store.apply([Delta("green_space", u, None, r) for u, r in zip(uids, rows, strict=True)],
                    user="u")
    with Store.open(one_by_one) as store:
        for u, r in zip(uids, rows, strict=True):
            store.apply([Delta("green_space", u, None, r)], user="u")
    stamp = [r[1] for r in sqlite3.connect(district).execute(
        "PRAGMA table_info(green_space)")].index("updated_at")
    written = [r[:stamp] + r[stamp + 1:] for r in _rows(district, "green_space")]
    assert written == [r[:stamp] + r[stamp + 1:] for r in _rows(one_by_one, "green_space")]
    bad = [dict(r) for r in rows]
    bad[40]["maint_level"] = "nine"
    bad[30]["install_date"] = "not a date"
    with Store.open(district) as store, pytest.raises(ValidationError) as err:
        store.apply([Delta("green_space", str(uuid.uuid4()), None, r) for r in bad])
    assert "not a date" in str(err.value)


def test_new_rows_as_columns_are_written_as_their_insert_deltas(district, tmp_path):
    """``Store.add_rows`` (an import's new assets, as columns; None: no value) writes the
    rows, codes, areas and rtree entries that ``apply`` writes for the same insert deltas,
    and of several bad values names the first row's, as ``apply`` does."""
    import shutil

    as_deltas = tmp_path / "deltas.gpkg"
    shutil.copyfile(district, as_deltas)
    square = shapely.box(528_000, 3_381_000, 528_010, 3_381_010)
    rows = [{"geom": square if i % 3 else shapely.MultiPolygon([square]), "name": f" 园{i}",
             "category": "park", "maint_level": str(1 + i % 3), "install_date": "2019-05-01",
             **({"area_m2": 7.5} if i % 4 == 0 else {}), **({"remarks": "x"} if i % 2 else {})}
            for i in range(300)]  # past bulk_insert.BULK_RTREE_ROWS: the rtree filled once
    uids = [str(uuid.uuid4()) for _ in rows]
    names = list(dict.fromkeys(k for r in rows for k in r))
    columns = {n: [r.get(n) for r in rows] for n in names}
    with Store.open(district) as store:
        store.add_rows("green_space", columns, uids, user="u")
    with Store.open(as_deltas) as store:
        store.apply([Delta("green_space", u, None, r) for u, r in zip(uids, rows, strict=True)],
                    user="u")
    stamp = [r[1] for r in sqlite3.connect(district).execute(
        "PRAGMA table_info(green_space)")].index("updated_at")
    written = [r[:stamp] + r[stamp + 1:] for r in _rows(district, "green_space")]
    assert written == [r[:stamp] + r[stamp + 1:] for r in _rows(as_deltas, "green_space")]
    rtree = "SELECT * FROM rtree_green_space_geom ORDER BY id"
    assert sqlite3.connect(district).execute(rtree).fetchall() == \
        sqlite3.connect(as_deltas).execute(rtree).fetchall()
    bad = {n: list(c) for n, c in columns.items()}
    bad["maint_level"][40] = "nine"
    bad["install_date"][30] = "not a date"
    new = [str(uuid.uuid4()) for _ in rows]
    with Store.open(district) as store, pytest.raises(ValidationError) as err:
        store.add_rows("green_space", bad, new)
    assert "not a date" in str(err.value)
    assert len(_rows(district, "green_space")) == len(written)


def test_an_rtree_filled_at_end_holds_every_new_row_as_it_is_at_the_end(district, tmp_path):
    """Inside ``rtree_filled_at_end`` (an import) the rtree is filled once from the bounds
    kept as rows are inserted, in batches big and small; a new row moved inside the block is
    found where it ends up (the fill reads the rows back then); the entries are those of
    plain inserts."""
    import shutil

    plain = tmp_path / "plain.gpkg"
    shutil.copyfile(district, plain)
    points = [shapely.Point(528_000 + i, 3_381_000 + i % 7) for i in range(450)]
    uids = [str(uuid.uuid4()) for _ in points]
    batches = [(0, 300), (300, 350), (350, 450)]  # past BULK_RTREE_ROWS, under, past
    moved = shapely.Point(529_500, 3_382_500)

    def fill(path, at_end):
        with Store.open(path) as store, store.session():
            block = store.rtree_filled_at_end("litter_bin") if at_end \
                else contextlib.nullcontext()
            with block:
                for a, b in batches:
                    store.add_rows("litter_bin", {"geom": points[a:b]}, uids[a:b], "u")
                store.apply([Delta("litter_bin", uids[320], {"geom": points[320]},
                                   {"geom": moved})], "u")

    fill(district, True)
    fill(plain, False)
    rtree = "SELECT * FROM rtree_litter_bin_geom ORDER BY id"
    assert sqlite3.connect(district).execute(rtree).fetchall() == \
        sqlite3.connect(plain).execute(rtree).fetchall()
    # without the move: the bounds kept are used
    with Store.open(district) as store, store.session(), store.rtree_filled_at_end("litter_bin"):
        store.add_rows("litter_bin", {"geom": points[:250]},
                       [str(uuid.uuid4()) for _ in range(250)], "u")
    check = sqlite3.connect(district)
    assert check.execute("SELECT rtreecheck('rtree_litter_bin_geom')").fetchone() == ("ok",)
    assert check.execute("SELECT count(*) FROM rtree_litter_bin_geom").fetchone() == \
        check.execute("SELECT count(*) FROM litter_bin").fetchone()
