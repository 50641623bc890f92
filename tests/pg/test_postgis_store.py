"""The PostGIS store against a real PostgreSQL 15 + PostGIS 3: schema, publish (idempotent by
uuid), reads in the GeoPackage store's shapes, versioned saves that merge field by field,
snapshot back to a valid GeoPackage."""

from __future__ import annotations

import psycopg
import pytest
import shapely

from citymgr_desktop.core.errors import ConflictError
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store import Store, open_store
from citymgr_desktop.core.store.postgis import PostgisStore, publish, snapshot


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_publish_creates_the_schema_and_twice_never_duplicates(pg_url, small_district):
    first = publish(small_district, pg_url)
    assert first.created_schema
    with Store.open(small_district, read_only=True) as gp:
        expected = {li.name: li.count for li in gp.layers()}
    with open_store(pg_url, read_only=True) as db:
        assert isinstance(db, PostgisStore)
        got = {li.name: li.count for li in db.layers()}
        for name in ("road_segment", "bridge", "green_space", "litter_bin",
                     "maintenance_record", "work_order", "work_order_asset"):
            assert got[name] == expected[name], name
    second = publish(small_district, pg_url)
    assert not second.created_schema
    assert sum(second.inserted.values()) == 0 and sum(second.updated.values()) == 0
    assert _count(pg_url, "SELECT count(*) FROM litter_bin") == expected["litter_bin"]
    # a change in the file is an update of that row on the next publish (version + 1)
    with Store.open(small_district) as gp:
        uuid = gp.read("litter_bin").iloc[0]["asset_uuid"]
        gp.apply([Delta("litter_bin", uuid, {"remarks": None}, {"remarks": "复查"})], "张三")
    third = publish(small_district, pg_url)
    assert third.updated["litter_bin"] == 1 and third.inserted["litter_bin"] == 0
    assert _count(pg_url, f"SELECT version FROM litter_bin WHERE asset_uuid = '{uuid}'") == 2


def test_schema_has_srid_gist_domains_checks_and_styles(published):
    with psycopg.connect(published) as conn:
        srid = conn.execute("SELECT srid FROM geometry_columns WHERE f_table_name = "
                            "'litter_bin'").fetchone()[0]
        assert srid == 4547
        indexes = {r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'road_segment'")}
        assert any("USING gist" in i for i in indexes)
        labels = dict(conn.execute("SELECT value, label_zh FROM domain_bin_type"))
        assert labels["kitchen"] == "厨余垃圾"
        styles = conn.execute("SELECT count(*) FROM layer_styles WHERE useasdefault AND "
                              "styleqml IS NOT NULL").fetchone()[0]
        assert styles >= 4
        with pytest.raises(psycopg.errors.CheckViolation):  # the database refuses it too
            conn.execute("UPDATE litter_bin SET condition = 9")


def test_reads_have_the_geopackage_store_shapes(published, small_district):
    with Store.open(small_district, read_only=True) as gp, PostgisStore.open(published) as db:
        frame = db.read("litter_bin")
        assert frame.crs.to_epsg() == 4547 and "version" in frame.columns
        uuid = frame.iloc[0]["asset_uuid"]
        ours, theirs = gp.get_row("litter_bin", uuid), db.get_row("litter_bin", uuid)
        for name, value in ours.items():
            if name == "geom":
                assert value.equals(theirs[name])
            else:
                assert theirs[name] == value or (value is None and theirs[name] is None), name
        assert db.districts() == gp.districts()
        assert db.domains() == gp.domains()


def _two_editors(url: str):
    return PostgisStore.open(url), PostgisStore.open(url)


def test_concurrent_saves_merge_different_fields_and_report_the_same_field(published):
    a, b = _two_editors(published)
    with a, b:
        uuid = a.read("litter_bin").iloc[0]["asset_uuid"]
        row_a = a.get_row("litter_bin", uuid)
        row_b = b.get_row("litter_bin", uuid)
        version = row_a["version"]
        key = ("litter_bin", uuid)
        saved = a.save([Delta("litter_bin", uuid, {"remarks": row_a["remarks"],
                                                   "condition": row_a["condition"]},
                              {"remarks": "A 复查", "condition": 5})], {key: version}, "甲")
        assert not saved.conflicts and saved.merged == 0
        # b read the same version: a different field lands, the same field is a conflict
        out = b.save([Delta("litter_bin", uuid, {"name": row_b["name"],
                                                 "condition": row_b["condition"]},
                            {"name": "新名", "condition": 2})], {key: version}, "乙")
        assert out.merged == 1
        assert [(c.field, c.theirs, c.ours_new) for c in out.conflicts] == [("condition", 5, 2)]
        now = a.get_row("litter_bin", uuid)
        assert (now["remarks"], now["name"], now["condition"]) == ("A 复查", "新名", 5)
        assert now["version"] == version + 2 and now["updated_by"] == "乙"
        with pytest.raises(ConflictError):  # apply (no versions): a conflict saves nothing
            b.apply([Delta("litter_bin", uuid, {"condition": 1, "remarks": "x"},
                           {"condition": 3, "remarks": "y"})])
        assert a.get_row("litter_bin", uuid)["remarks"] == "A 复查"


def test_delete_of_a_row_changed_meanwhile_is_a_conflict(published):
    a, b = _two_editors(published)
    with a, b:
        uuid = a.read("litter_bin").iloc[-1]["asset_uuid"]
        row = a.get_row("litter_bin", uuid)
        key = ("litter_bin", uuid)
        a.save([Delta("litter_bin", uuid, {"remarks": row["remarks"]}, {"remarks": "changed"})],
               {key: row["version"]})
        out = b.save([Delta("litter_bin", uuid, {"remarks": row["remarks"]}, None)],
                     {key: row["version"]})
        assert len(out.conflicts) == 1 and b.get_row("litter_bin", uuid)["remarks"] == "changed"


def test_snapshot_is_a_valid_project_with_the_same_rows(published, tmp_path):
    from citymgr_desktop.core.store import validate_file

    out = tmp_path / "offline.gpkg"
    counts = snapshot(published, out)
    assert [p for p in validate_file(out) if p.level == "error"] == []
    with Store.open(out, read_only=True) as gp:
        assert gp.layer("litter_bin").count == counts["litter_bin"] > 0
    part = tmp_path / "one.gpkg"
    snapshot(published, part, district="粮道街道")
    with Store.open(part, read_only=True) as gp:
        assert gp.districts() == ["粮道街道"]


def test_a_connection_dropped_in_the_middle_of_a_save_writes_nothing(published):
    from citymgr_desktop.core.errors import DatabaseError

    with PostgisStore.open(published) as db, psycopg.connect(published,
                                                             autocommit=True) as admin:
        frame = db.read("litter_bin")
        first, second = frame.iloc[0]["asset_uuid"], frame.iloc[1]["asset_uuid"]
        rows = db.get_rows("litter_bin", [first, second])
        lost = pytest.raises(DatabaseError, match="the connection was lost; nothing was saved")
        with lost as caught, db.session():
            db.save([Delta("litter_bin", first, {"remarks": rows[first]["remarks"]},
                           {"remarks": "half"})],
                    {("litter_bin", first): rows[first]["version"]})
            admin.execute("SELECT pg_terminate_backend(%s)", (db.conn.info.backend_pid,))
            db.save([Delta("litter_bin", second, {"remarks": rows[second]["remarks"]},
                           {"remarks": "half"})],
                    {("litter_bin", second): rows[second]["version"]})
        assert admin.execute("SELECT count(*) FROM litter_bin WHERE remarks = 'half'"
                             ).fetchone()[0] == 0
    # the server's English is a detail: in parentheses in English, on its own line in Chinese
    server = "terminating connection due to administrator command"
    assert str(caught.value).endswith(f"nothing was saved ({server})"), str(caught.value)
    assert caught.value.render("zh_CN").endswith(f"：连接已断开，未保存任何内容。\n服务器消息：{server}")


def test_the_renderers_bulk_read_matches_the_files(published, small_district):
    columns = ["asset_uuid", "condition", "name"]
    with Store.open(small_district, read_only=True) as gp, PostgisStore.open(published) as db:
        for layer in ("road_segment", "litter_bin"):
            ours = db.read_arrow(layer, columns, include_retired=False)
            theirs = gp.read_arrow(layer, columns, include_retired=False)
            assert ours.column_names == ["fid", *columns, "geometry"]

            def rows(table):
                d = table.to_pydict()
                return sorted(zip(d["asset_uuid"], d["condition"], d["name"], d["geometry"],
                                  strict=True), key=lambda r: r[0])

            assert rows(ours) == rows(theirs), layer


def test_the_renderers_box_read_matches_the_files(published, small_district):
    """``read_arrow(bbox=)``, what ``render --bbox`` reads: the same features from both."""
    with Store.open(small_district, read_only=True) as gp, PostgisStore.open(published) as db:
        found = gp.asset_extent(["road_segment", "litter_bin"])
        assert found is not None
        (minx, miny, maxx, maxy), _ = found
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        box = (cx - 200, cy - 150, cx + 200, cy + 150)
        for layer in ("road_segment", "litter_bin"):
            ours = db.read_arrow(layer, ["asset_uuid"], bbox=box).column("asset_uuid")
            theirs = gp.read_arrow(layer, ["asset_uuid"], bbox=box).column("asset_uuid")
            whole = gp.read_arrow(layer, ["asset_uuid"])
            assert 0 < len(theirs) < len(whole), layer
            assert sorted(ours.to_pylist()) == sorted(theirs.to_pylist()), layer


def test_the_renderers_drawing_read_matches_the_files(published, small_district):
    """``read_for_drawing``, what the map loads (whole and by box): the same rows from both,
    the database's geometry as plain WKB, the file's as GeoPackage blobs."""
    from citymgr_desktop.core.gpkg.geometry import decode

    def rows(store, layer, **kw):
        read = store.read_for_drawing(layer, ["asset_uuid", "condition"],
                                      as_bytes=["asset_uuid"], **kw)
        out = {}
        for chunk in read.chunks:
            for _fid, uuid, condition, geom in chunk:
                shape = decode(geom) if read.geometry_format == "gpkg" else shapely.from_wkb(
                    geom)
                out[uuid] = (condition, shape.normalize().wkt)
        return out

    with Store.open(small_district, read_only=True) as gp, PostgisStore.open(published) as db:
        found = gp.asset_extent(["road_segment", "litter_bin"])
        assert found is not None
        (minx, miny, maxx, maxy), _ = found
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        box = (cx - 200, cy - 150, cx + 200, cy + 150)
        for layer in ("road_segment", "litter_bin"):
            ours = rows(db, layer, include_retired=False)
            assert ours and ours == rows(gp, layer, include_retired=False), layer
            boxed = rows(db, layer, bbox=box)
            assert 0 < len(boxed) < len(ours) and boxed == rows(gp, layer, bbox=box), layer


@pytest.mark.parametrize("filters", [
    {}, {"states": ["filed", "dispatched"]}, {"overdue": True}, {"overdue": False},
    {"text": "维修"}, {"assignee": "区环境卫生管理站"},
])
def test_work_order_lists_match_the_files(published, small_district, filters):
    import datetime as dt

    from citymgr_desktop.core.workorders.query import list_orders

    now = dt.datetime(2026, 11, 1)  # naive UTC, as clock.utcnow()
    with Store.open(small_district, read_only=True) as gp, PostgisStore.open(published) as db:
        ours = list_orders(db, now=now, **filters)
        theirs = list_orders(gp, now=now, **filters)
    assert ours == theirs
    if not filters:
        assert ours and any(o["asset_count"] for o in ours)


def test_other_sessions_hear_of_committed_changes_within_a_second(published):
    import time

    with PostgisStore.open(published) as watcher, PostgisStore.open(published) as editor:
        assert watcher.changed_tables() == set()  # starts listening
        uuid = editor.read("litter_bin").iloc[0]["asset_uuid"]
        row = editor.get_row("litter_bin", uuid)
        t0 = time.monotonic()
        editor.save([Delta("litter_bin", uuid, {"remarks": row["remarks"]}, {"remarks": "n"})],
                    {("litter_bin", uuid): row["version"]})
        heard = watcher.changed_tables(timeout=1.0)
        assert "litter_bin" in heard and time.monotonic() - t0 < 1.0
        assert watcher.changed_tables(timeout=0.2) == set()  # nothing more


def test_a_connection_dropped_before_a_read_is_one_error(published):
    from citymgr_desktop.core.errors import DatabaseError

    with PostgisStore.open(published) as db, psycopg.connect(published,
                                                             autocommit=True) as admin:
        db.layers()
        admin.execute("SELECT pg_terminate_backend(%s)", (db.conn.info.backend_pid,))
        with pytest.raises(DatabaseError, match="the connection to the database was lost"):
            db.read("litter_bin")


def test_history_links_are_kept_by_the_database_and_writers_recorded(pg_cluster, published):
    from citymgr_desktop.core.errors import ValidationError

    with psycopg.connect(published) as conn:
        uuid = conn.execute("SELECT asset_uuid FROM maintenance_record WHERE asset_class = "
                            "'litter_bin' LIMIT 1").fetchone()[0]
        with pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("DELETE FROM litter_bin WHERE asset_uuid = %s", (uuid,))
        conn.rollback()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                          "record_date, record_type) VALUES ('r-1', 'litter_bin', 'nowhere', "
                          "'2026-01-01', 'inspection')")
        conn.rollback()
    with PostgisStore.open(published) as db:
        row = db.get_row("litter_bin", uuid)
        with pytest.raises(ValidationError, match="retire it instead"):
            db.apply([Delta("litter_bin", uuid, row, None)])
        db.apply([Delta("litter_bin", uuid, {"remarks": row["remarks"]}, {"remarks": "z"})],
                 "typed name")
    with psycopg.connect(published) as conn:
        written = conn.execute("SELECT updated_by, db_user FROM litter_bin WHERE asset_uuid "
                               "= %s", (uuid,)).fetchone()
    assert written == ("typed name", pg_cluster.superuser)


def test_publishing_again_never_takes_back_what_the_database_saved_meanwhile(published,
                                                                           small_district,
                                                                           tmp_path):
    """An engineer's save in the database stays when the (older) file is published again;
    a newer change in the file still lands; a one-街道 snapshot published back keeps the
    work orders' links to the other 街道's assets."""
    with open_store(published) as db:
        bins = db.read("litter_bin")
        saved, other = bins.iloc[0]["asset_uuid"], bins.iloc[1]["asset_uuid"]
        db.apply([Delta("litter_bin", saved, {"remarks": bins.iloc[0]["remarks"]},
                        {"remarks": "办公室改"})], "张三")
    again = publish(small_district, published)
    assert again.kept == {"litter_bin": 1} and sum(again.updated.values()) == 0
    assert _count(published, f"SELECT count(*) FROM litter_bin WHERE asset_uuid = '{saved}' "
                  "AND remarks = '办公室改' AND updated_by = '张三'") == 1
    with Store.open(small_district) as gp:  # a later change in the file lands
        gp.apply([Delta("litter_bin", other, {"remarks": bins.iloc[1]["remarks"]},
                        {"remarks": "复查"})], "李四")
    third = publish(small_district, published)
    assert third.updated["litter_bin"] == 1 and third.kept == {"litter_bin": 1}
    assert _count(published, f"SELECT count(*) FROM litter_bin WHERE asset_uuid = '{other}' "
                  "AND remarks = '复查'") == 1
    links = _count(published, "SELECT count(*) FROM work_order_asset")
    part = tmp_path / "one.gpkg"
    snapshot(published, part, district="粮道街道")
    publish(part, published)
    assert _count(published, "SELECT count(*) FROM work_order_asset") == links
    assert _count(published, f"SELECT count(*) FROM litter_bin WHERE asset_uuid = '{saved}' "
                  "AND remarks = '办公室改'") == 1
