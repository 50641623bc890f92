"""The same behaviour tests against both stores (a parametrised fixture): the GeoPackage
file and the PostGIS database holding the same district answer and change alike through
the store interface (``core/store/protocol.py``) and the core features on top of it."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from citymgr_desktop.core import history
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.store import open_store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.query import list_orders, proposed_units


@pytest.fixture(params=["geopackage", "postgis"])
def project_store(request, small_district):
    if request.param == "geopackage":
        target = str(small_district)
    else:
        from citymgr_desktop.core.store.postgis import publish

        target = request.getfixturevalue("pg_url")
        publish(small_district, target)
    with open_store(target) as store:
        yield store


def _first_bin(store) -> dict:
    frame = store.read("litter_bin", include_retired=False)
    uuid = frame.sort_values("obj_code").iloc[0]["asset_uuid"]
    return store.get_row("litter_bin", uuid)


def test_describes_the_project(project_store):
    store = project_store
    assert store.is_asset_project() and store.district_code == "420106"
    layers = {li.name: li for li in store.layers()}
    assert layers["litter_bin"].geometry_type == "POINT" and layers["litter_bin"].count > 0
    assert store.project_crs().to_epsg() == 4547
    assert "粮道街道" in store.districts()
    assert store.domains()["bin_type"]["values"]["kitchen"] == "厨余垃圾 Kitchen waste"


def test_an_update_lands_with_who_and_when(project_store):
    store = project_store
    row = _first_bin(store)
    store.apply([Delta("litter_bin", row["asset_uuid"], {"remarks": row["remarks"]},
                       {"remarks": "复查 2026-11"})], "王五")
    now = store.get_row("litter_bin", row["asset_uuid"])
    assert now["remarks"] == "复查 2026-11" and now["updated_by"] == "王五"
    assert now["updated_at"] > row["updated_at"]


def test_a_new_asset_gets_an_object_code_and_can_be_read_back(project_store):
    store = project_store
    uuid = "00000000-0000-4000-8000-00000000abcd"
    store.apply([Delta("litter_bin", uuid, None, {
        "geom": shapely.Point(528800.0, 3381500.0), "name": "新垃圾箱", "district": "粮道街道",
        "bin_type": "kitchen", "condition": 1})], "王五")
    row = store.get_row("litter_bin", uuid)
    assert row["obj_code"].startswith("4201060304") and len(row["obj_code"]) == 16
    assert row["geom"].equals(shapely.Point(528800.0, 3381500.0))
    assert store.read("litter_bin").query("asset_uuid == @uuid").shape[0] == 1


def test_a_record_sets_the_condition_by_the_inspection_rule(project_store):
    store = project_store
    row = _first_bin(store)
    after = 5 if row["condition"] != 5 else 4
    deltas = history.plan_add(store, None, row["asset_uuid"], {
        "record_type": "inspection", "record_date": "2099-03-04", "condition_after": after},
        user="王五")
    history.apply(store, DeltaSet(deltas), "王五")
    records = history.records(store, row["asset_uuid"])
    assert records[0]["record_date"] == "2099-03-04"
    assert records[0]["condition_before"] == row["condition"]
    assert store.get_row("litter_bin", row["asset_uuid"])["condition"] == after
    assert history.asset_class_for(store, row["asset_uuid"]) == "litter_bin"


def test_work_order_lists(project_store):
    orders = list_orders(project_store)
    assert orders and all(o["asset_count"] >= 1 for o in orders)
    filed = list_orders(project_store, states=["filed"])
    assert {o["state"] for o in filed} <= {"filed"}
    assert [o["case_no"] for o in orders] == sorted((o["case_no"] for o in orders),
                                                    reverse=True)


def test_a_new_order_is_proposed_its_class_unit(project_store):
    """Each class's newest order naming a unit gives the unit proposed for the next one
    (the sample's: each class's maintaining unit); an unsaved newer order counts."""
    assert proposed_units(project_store) == {
        "road_segment": "区市政设施养护中心", "bridge": "区桥梁管理所",
        "green_space": "区园林绿化养护中心", "litter_bin": "区环境卫生管理站"}
    bin_uuid = _first_bin(project_store)["asset_uuid"]
    pending = wo.plan_create(project_store, wo.OrderSpec(
        "箱体破损", 3, [("litter_bin", bin_uuid)], assignee="区环卫保洁一队"), "tester")
    units = proposed_units(project_store, pending)
    assert units["litter_bin"] == "区环卫保洁一队"
    assert units["road_segment"] == "区市政设施养护中心"


def test_an_order_its_events_and_assets_and_a_move_to_closed(project_store):
    store = project_store
    listed = next(o for o in list_orders(store, states=["resolved"]))
    order = wo.get_order(store, listed["case_no"])
    assert wo.get_order(store, order["work_order_uuid"]) == order
    events = wo.events_of(store, order["work_order_uuid"])
    assert events and events[-1]["to_state"] == "resolved"
    assets = wo.assets_of(store, order["work_order_uuid"])
    assert len(assets) == listed["asset_count"]
    assert wo.asset_class_of(store, [u for _c, u in assets]) == {u: c for c, u in assets}
    before = len(history.records(store, assets[0][1]))
    wo.move_order(store, order["case_no"], "checked", "王五", "核查通过")
    wo.move_order(store, order["case_no"], "closed", "王五", "验收合格")
    moved = wo.get_order(store, order["case_no"])
    assert moved["state"] == "closed" and moved["closed_at"]
    assert wo.events_of(store, order["work_order_uuid"])[-1]["to_state"] == "closed"
    assert len(history.records(store, assets[0][1])) == before + 1  # the closing record
    with pytest.raises(Exception, match="maintenance record"):
        wo.delete_order(store, order["case_no"])


# -- the statistics (core/stats): the same numbers from a file and from its database --------
_NOW = dt.datetime(2026, 11, 25, 8, 0)  # naive UTC, as core/clock.py


def _figures(store) -> dict:
    """Every figure of core/stats, as plain data (members sorted: row order is the store's)."""
    from citymgr_desktop.core import stats
    from citymgr_desktop.core.stats import orders, records

    out: dict = {}
    for period in (None, stats.Period.month("2026-10"), stats.Period.parse("2026-01-01", None)):
        key = period.label if period else "all"
        out[key, "condition"] = [
            r.as_dict(by) for by in [(), ("layer",), ("layer", "district"), ("bgid",)]
            for r in stats.condition_table(store, by, period=period, now=_NOW)]
        out[key, "coverage"] = [r.as_dict() for by in [("layer",), ("layer", "district")]
                                for r in stats.inspection_coverage(store, by, period=period,
                                                                   now=_NOW)]
        out[key, "records"] = [r.as_dict(by) for by in [(), ("month",), ("month", "layer"),
                                                         ("type",)]
                               for r in stats.record_table(store, by, period=period)]
        out[key, "graded_poor"] = records.graded_poor(store, period)
        out[key, "orders"] = [stats.order_counts(store, (k,), period=period)
                              for k in orders.ORDER_KEYS]
        evaluation = stats.evaluation(store, period, now=_NOW)
        out[key, "evaluation"] = [r.as_dict() for r in evaluation]
        out[key, "evaluation members"] = {
            (r.assignee, f): sorted(stats.evaluation_members(
                store, f, assignee=r.assignee, period=period, now=_NOW))
            for r in evaluation for f in orders.FIGURES}
        out[key, "overdue"] = [o["case_no"] for o in stats.overdue_orders(store, period,
                                                                           now=_NOW)]
    out["condition members"] = {c: {k: sorted(v) for k, v in stats.condition_members(
        store, district="粮道街道", condition=c, now=_NOW).items()} for c in (0, 1, 4.5, None)}
    out["record members"] = {k: sorted(v) for k, v in stats.record_members(
        store, month="2026-10").items()}
    wids = stats.order_members(store, state="dispatched")
    out["order members"] = sorted(wids)
    out["orders by uuid"] = orders.orders_by_uuid(store, wids, now=_NOW)
    out["order assets"] = {k: sorted(v) for k, v in orders.order_assets(store, wids).items()}
    for kind in stats.HOTSPOT_KINDS:
        grid = stats.hotspot_grid(store, kind)
        out["hotspots", kind] = (grid.x0, grid.y0, grid.size, grid.cells)
    month = stats.monthly_figures(store, "2026-10", now=_NOW)
    out["monthly key figures"] = month.key
    out["monthly dashboard"] = (
        [r.as_dict(("layer", "district")) for r in month.dashboard.condition_by_layer_district],
        [r.as_dict(("month", "layer")) for r in month.dashboard.records_by_month],
        month.dashboard.orders_by_state, [r.as_dict() for r in month.dashboard.evaluation])
    return out


def test_the_statistics_are_the_same_numbers_as_the_files(project_store, small_district):
    from citymgr_desktop.core.store import Store

    with Store.open(small_district, read_only=True) as file_store:
        expected = _figures(file_store)
    assert expected["monthly key figures"]["records"][0] > 0  # the month has figures
    assert any(expected["hotspots", "poor_assets"][3].values())
    got = _figures(project_store)
    for key in expected:
        assert got[key] == expected[key], key


def test_time_limits_and_the_calendar_are_kept_alike(project_store):
    from citymgr_desktop.core.workorders import deadlines as dl

    dl.set_time_limit(project_store, "bridge", 1, 6, "working_hours")
    dl.set_time_limit(project_store, None, 4, 12, "working_days")
    dl.set_time_limit(project_store, None, 4, 10, "working_days")  # replaces, never adds
    limits = [t for t in dl.time_limits(project_store) if t.priority in (1, 4)]
    assert [(t.asset_class, t.priority, t.value, t.unit) for t in limits
            if (t.asset_class, t.priority) in {("bridge", 1), (None, 4)}] == [
        (None, 4, 10.0, "working_days"), ("bridge", 1, 6.0, "working_hours")]
    cal = dl.seed_calendar(project_store, [2026])
    assert dt.date(2026, 10, 1) in cal.holidays
    assert dl.calendar_of(project_store).holidays == cal.holidays


# -- field packages out of and back into either store (docs/sync.md, docs/postgis.md) ----------
def _cli(capsys, *args: str) -> tuple[int, dict]:
    """``citymgr ARGS --json`` in this process: its exit code and its JSON document."""
    import json

    from citymgr_desktop.cli import main as cli_main

    code = cli_main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {"stderr": err}


def _package_bins(pkg, n: int = 2) -> list[tuple[str, int, str | None]]:
    import sqlite3

    conn = sqlite3.connect(pkg)
    try:
        return conn.execute("SELECT asset_uuid, condition, remarks FROM litter_bin WHERE "
                            "retired_at IS NULL AND condition < 4 ORDER BY fid LIMIT ?",
                            (n,)).fetchall()
    finally:
        conn.close()


def _edit_package(pkg, sql: str, *params) -> None:
    """An edit in the package as QGIS makes it (the GeoPackage's rtree triggers run)."""
    from citymgr_desktop.core import gpkg

    conn = gpkg.connect(str(pkg))
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def test_a_field_package_merges_with_a_concurrent_editor_and_undoes(project_target, tmp_path,
                                                                   capsys):
    target = project_target
    pkg = tmp_path / "field" / "粮道.gpkg"
    pkg.parent.mkdir()
    code, out = _cli(capsys, "field-package", target, "--out", str(pkg), "--district",
                     "粮道街道", "--user", "李四")
    assert code == 0, out
    assert pkg.exists() and pkg.with_suffix(".qgz").exists()
    (a, a_cond, _), (b, _b_cond, b_remarks) = _package_bins(pkg)
    # the surveyor: a's condition and b's remarks
    _edit_package(pkg, "UPDATE litter_bin SET condition = ? WHERE asset_uuid = ?", 4, a)
    _edit_package(pkg, "UPDATE litter_bin SET remarks = '现场: 破损' WHERE asset_uuid = ?", b)
    # meanwhile in the office: a's remarks (another field) and b's remarks (the same field)
    with open_store(target) as store:
        store.apply([Delta("litter_bin", a, {"remarks": store.get_row("litter_bin", a)["remarks"]},
                           {"remarks": "办公室备注"})], "王五")
        store.apply([Delta("litter_bin", b, {"remarks": b_remarks},
                           {"remarks": "办公室: 已报修"})], "王五")
    code, report = _cli(capsys, "sync", target, str(pkg))
    assert code == 9, report  # a conflict left open, everything else applied
    assert report["status"] == "applied" and report["open_conflicts"] == 1
    assert report["counts"]["litter_bin"]["update"] == 1  # a; b's only change conflicts
    assert report["counts"]["litter_bin"]["conflict"] == 1
    (conflict,) = report["conflicts"]
    assert (conflict["uuid"], conflict["field"], conflict["kind"]) == (b, "remarks", "edit/edit")
    assert conflict["values"] == {"ancestor": b_remarks, "master": "办公室: 已报修",
                                  "field": "现场: 破损"}
    with open_store(target) as store:
        row_a, row_b = store.get_row("litter_bin", a), store.get_row("litter_bin", b)
    assert (row_a["condition"], row_a["remarks"]) == (4, "办公室备注")  # both landed
    assert row_b["remarks"] == "办公室: 已报修"  # the other user's value is kept
    assert row_a["updated_by"] == "李四"

    code, again = _cli(capsys, "sync", target, str(pkg))
    assert code == 0 and again["status"] == "nothing-to-do", again

    code, undone = _cli(capsys, "sync-undo", target, report["sync_id"])
    assert code == 0, undone
    with open_store(target) as store:
        row_a = store.get_row("litter_bin", a)
    assert (row_a["condition"], row_a["remarks"]) == (a_cond, "办公室备注")


@pytest.mark.qgis
def test_an_inspection_added_in_qfield_lands_with_its_photos_and_undoes(project_target,
                                                                        tmp_path, capsys):
    """The field loop through QGIS's own code (``QgsVectorLayerUtils.createFeature`` in the
    relation's context, as QField's "add child" does): an inspection with a photo, a new
    bin with its photo and its acceptance record; sync; the same package again; undo."""
    import sqlite3

    from tests.core.photo_support import jpeg_bytes
    from tests.core.test_field_photos_qgis import QFIELD_SCRIPT
    from tests.gpkg_checks import run_pyqgis

    target = project_target
    pkg = tmp_path / "field" / "巡查.gpkg"
    pkg.parent.mkdir()
    code, out = _cli(capsys, "field-package", target, "--out", str(pkg), "--district",
                     "粮道街道", "--user", "李四", "--all-history")
    assert code == 0, out
    conn = sqlite3.connect(pkg)
    asset, condition = conn.execute(
        "SELECT asset_uuid, condition FROM litter_bin WHERE condition < 4 AND asset_uuid NOT IN "
        "(SELECT asset_uuid FROM maintenance_record) ORDER BY fid LIMIT 1").fetchone()
    conn.close()
    shots = {name: jpeg_bytes(colour=colour, when=when) for name, colour, when in (
        ("inspection", (200, 60, 40), "2026:11:25 10:30:00"),
        ("bin", (40, 160, 60), "2026:11:25 11:05:00"),
        ("bin_record", (40, 60, 200), "2026:11:25 11:06:30"))}
    sources = []
    for name, data in shots.items():
        (tmp_path / f"{name}.jpg").write_bytes(data)
        sources.append(tmp_path / f"{name}.jpg")
    qfield = run_pyqgis(QFIELD_SCRIPT, pkg.with_suffix(".qgz"), asset, *sources)
    assert qfield["ok"] == [True, True, True], qfield["errors"]
    rec, bin_rec = qfield["records"]["桶身破损，已清理"], qfield["records"]["新箱验收"]
    new_bin = qfield["bin"]

    code, report = _cli(capsys, "sync", target, str(pkg))
    assert code == 0 and report["status"] == "applied" and not report["conflicts"], report
    assert report["counts"]["maintenance_record"]["insert"] == 2
    assert report["counts"]["litter_bin"]["insert"] == 1
    assert report["photos"]["loaded"] == 3 and not report["photos"]["problems"]
    with open_store(target) as store:
        stored = store.get_row("maintenance_record", rec["uuid"])
        assert stored["asset_uuid"] == asset and stored["condition_after"] == 2
        assert stored["photo"] == rec["photo"] and stored["created_by"] == "李四"
        assert store.get_row("litter_bin", asset)["condition"] == 2  # the inspection rule
        bin_row = store.get_row("litter_bin", new_bin["uuid"])
        assert bin_row["obj_code"].startswith("4201060304") and len(bin_row["obj_code"]) == 16
        assert bin_row["condition"] == 2 and bin_row["district"] == "粮道街道"
        assert store.get_row("maintenance_record", bin_rec["uuid"])["asset_uuid"] == \
            new_bin["uuid"]
        for owner, shot, path in ((rec["uuid"], "inspection", rec["photo"]),
                                  (new_bin["uuid"], "bin", new_bin["photo"]),
                                  (bin_rec["uuid"], "bin_record", bin_rec["photo"])):
            (att,) = history.attachments(store, owner, with_content=True)
            assert att["file_path"] == path and bytes(att["content"]) == shots[shot]
            assert att["mime_type"] == "image/jpeg" and att["taken_at"].startswith("2026-11-25")

    code, again = _cli(capsys, "sync", target, str(pkg))
    assert code == 0 and again["status"] == "nothing-to-do", again

    code, undone = _cli(capsys, "sync-undo", target, report["sync_id"])
    assert code == 0, undone
    with open_store(target) as store:
        assert store.get_rows("maintenance_record", [rec["uuid"], bin_rec["uuid"]]) == {}
        assert store.get_rows("litter_bin", [new_bin["uuid"]]) == {}
        assert store.get_row("litter_bin", asset)["condition"] == condition
        assert history.attachments(store, rec["uuid"]) == []


def test_prefer_field_settles_a_conflict_for_the_field(project_target, tmp_path, capsys):
    target = project_target
    pkg = tmp_path / "p.gpkg"
    code, out = _cli(capsys, "field-package", target, "--out", str(pkg), "--district",
                     "粮道街道")
    assert code == 0, out
    (b, _cond, remarks), = _package_bins(pkg, 1)
    _edit_package(pkg, "UPDATE litter_bin SET remarks = '现场值' WHERE asset_uuid = ?", b)
    with open_store(target) as store:
        store.apply([Delta("litter_bin", b, {"remarks": remarks}, {"remarks": "办公室值"})], "王五")
    code, report = _cli(capsys, "sync", target, str(pkg), "--prefer", "field")
    assert code == 0, report
    (conflict,) = report["conflicts"]
    assert conflict["resolution"] == "field" and report["open_conflicts"] == 0
    with open_store(target) as store:
        assert store.get_row("litter_bin", b)["remarks"] == "现场值"


def test_a_bin_deleted_in_the_field_is_named_in_the_report(project_target, tmp_path, capsys):
    """Both stores list the assets a sync takes out of the master (the preview names them)."""
    import sqlite3

    target = project_target
    pkg = tmp_path / "field" / "粮道.gpkg"
    pkg.parent.mkdir()
    code, out = _cli(capsys, "field-package", target, "--out", str(pkg), "--district",
                     "粮道街道", "--user", "李四")
    assert code == 0, out
    conn = sqlite3.connect(pkg)
    try:
        (fresh,) = conn.execute(
            "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
            "maintenance_record UNION SELECT asset_uuid FROM work_order_asset) LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    _edit_package(pkg, "DELETE FROM litter_bin WHERE asset_uuid = ?", fresh)
    code, preview = _cli(capsys, "sync", target, str(pkg), "--dry-run")
    assert code == 0 and preview["status"] == "dry-run", preview
    assert preview["removed"] == [{"layer": "litter_bin", "uuid": fresh, "action": "delete"}]
    with open_store(target) as store:
        assert store.get_row("litter_bin", fresh) is not None  # a preview writes nothing
