"""A source read, checked and written in batches imports exactly what a whole read imports:
the same report, the same assets (codes, ids, values, geometries) and the same refusals."""

from __future__ import annotations

import json

import pytest

from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import SourceOptions, describe_layer
from citymgr_desktop.core.store import Store
from tests.core import import_sources as src
from tests.gpkg_checks import assert_valid_gpkg

WHOLE = 1_000_000


def _import(tmp_path, name, source, table, batch, monkeypatch, options=None, dry_run=False,
            prefix=""):
    monkeypatch.setattr(importer, "BATCH_FEATURES", batch)
    project = src.new_project(tmp_path / f"{name}.gpkg")
    mapping = suggest_mapping(describe_layer(source, options), table)
    mapping.id_prefix = prefix
    with Store.open(project) as store:
        result = importer.run_import(store, source, mapping, options, dry_run=dry_run)
        rows = store.conn.execute(
            f"SELECT * FROM {table} ORDER BY obj_code").fetchall()
        columns = [d[0] for d in store.conn.execute(f"SELECT * FROM {table}").description]
    keep = [i for i, c in enumerate(columns) if c not in ("fid", "asset_uuid", "updated_at")]
    return result, [[r[i] for i in keep] for r in rows], project


def _report(result):
    return json.dumps(result.report.to_dict(), ensure_ascii=False, sort_keys=True, default=str)


def _many_bins(folder, n=1_200):
    """Points in lon/lat with repeated ids, dirty words and a few far away (outside the
    project CRS's area of use)."""
    points = [src.ll(i % 50, i // 50) for i in range(n)]
    points[17] = points[1001] = (2.35, 48.85)  # Paris
    words = ["好", "较好", "差不多", "", "危险"]
    props = [{"编号": f"B{i if i % 500 else 3}", "名称": f"箱{i}", "状况": words[i % 5],
              "分类": "可回收物" if i % 3 else "厨余"} for i in range(n)]
    return src.geojson_points(folder, "many_bins", points, props)


@pytest.mark.parametrize(("maker", "table", "batch"), [
    (src.geojson_roads, "road_segment", 3), (src.shapefile_bins, "litter_bin", 2),
    (src.gpkg_parks, "green_space", 1), (_many_bins, "litter_bin", 250)])
def test_batches_import_what_a_whole_read_imports(tmp_path, monkeypatch, maker, table, batch):
    source = maker(tmp_path)
    whole, whole_rows, _ = _import(tmp_path, "whole", source, table, WHOLE, monkeypatch)
    batched, batched_rows, project = _import(tmp_path, "batched", source, table, batch,
                                             monkeypatch)
    assert _report(batched) == _report(whole)
    assert batched_rows == whole_rows
    assert batched.report.inserted == whole.report.inserted > 0
    assert_valid_gpkg(project)


def test_batches_reimport_and_dry_run_agree(tmp_path, monkeypatch):
    source = _many_bins(tmp_path)
    dry, _, _ = _import(tmp_path, "dry", source, "litter_bin", 400, monkeypatch, dry_run=True)
    result, rows, project = _import(tmp_path, "real", source, "litter_bin", 400, monkeypatch)
    assert dry.report.obj_codes == result.report.obj_codes == (
        "4201060304000001", f"4201060304{result.report.inserted:06d}")
    assert dry.report.inserted == result.report.inserted == len(rows)
    assert result.report.skipped.counts == {
        "outside the project CRS's area of use": 2,
        "duplicate source id in the source (the first one is imported)": 3}
    mapping = suggest_mapping(describe_layer(source), "litter_bin")
    with Store.open(project) as store:
        again = importer.run_import(store, source, mapping)
    assert (again.report.inserted, again.report.updated) == (0, 0)
    assert again.report.unchanged == result.report.inserted


def test_batches_with_a_filter_plan_on_the_filtered_features(tmp_path, monkeypatch):
    source = _many_bins(tmp_path)
    options = SourceOptions(where="\"分类\" = '厨余'")
    result, rows, _ = _import(tmp_path, "filtered", source, "litter_bin", 100, monkeypatch,
                              options)
    assert result.report.read == len([i for i in range(1_200) if i % 3 == 0])
    assert len(rows) == result.report.inserted


def test_batches_refuse_data_of_which_nothing_is_inside(tmp_path, monkeypatch):
    points = [(2.35 + i / 1000, 48.85) for i in range(30)]
    source = src.geojson_points(tmp_path, "paris", points)
    with pytest.raises(CrsError, match="lies outside the area of use"):
        _import(tmp_path, "paris", source, "litter_bin", 7, monkeypatch)
    with Store.open(tmp_path / "paris.gpkg") as store:
        assert store.conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0] == 0


def test_cancel_between_batches_changes_nothing(tmp_path, monkeypatch):
    from citymgr_desktop.core.errors import CancelledError
    from citymgr_desktop.core.progress import Progress

    source = _many_bins(tmp_path)
    monkeypatch.setattr(importer, "BATCH_FEATURES", 500)
    project = src.new_project(tmp_path / "p.gpkg")
    progress = Progress()

    def on_progress(done, total, message):
        if message == "importing" and done >= 600:
            progress.cancel()

    progress._callback = on_progress
    with Store.open(project) as store, pytest.raises(CancelledError):
        importer.run_import(store, source, suggest_mapping(describe_layer(source), "litter_bin"),
                            progress=progress)
    with Store.open(project) as store:
        assert store.conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0] == 0


def test_codes_the_source_brings_are_checked_across_batches(tmp_path, monkeypatch):
    """A code the source gives twice, or that an earlier batch gave out, is refused in a
    later batch (a new one assigned) alike in a dry run, which writes nothing, and a real
    one; the import holds the codes it gave out as runs of serials, not one by one."""
    n = 1_200
    codes = {5: "4201060304000900", 450: "4201060304000900", 700: "4201060304000002",
             800: "4201060304001500", 1100: "4201060304001500", 1000: "4201060304000950"}
    props = [{"编号": f"B{i}", "名称": f"箱{i}", "obj_code": codes.get(i, "")}
             for i in range(n)]
    source = src.geojson_points(tmp_path, "coded", [src.ll(i % 50, i // 50) for i in range(n)],
                                props)
    monkeypatch.setattr(importer, "BATCH_FEATURES", 250)
    planned = {}
    for dry in (True, False):
        project = src.new_project(tmp_path / f"p{dry}.gpkg")
        mapping = suggest_mapping(describe_layer(source), "litter_bin")
        mapping.fields["obj_code"] = "obj_code"
        with Store.open(project) as store:
            result = importer.run_import(store, source, mapping, dry_run=dry)
            written = dict(store.conn.execute("SELECT source_id, obj_code FROM litter_bin"))
        planned[dry] = {d.new["source_id"]: d.new["obj_code"] for d in result.deltas}
        used = {str(m): k for m, k in result.report.invalid["obj_code"].counts.items()}
        assert used == {  # 000950: given out by the first batch (901-1149: 000900 came first)
            "obj_code 4201060304000900 is already used: a new code was assigned": 1,
            "obj_code 4201060304000950 is already used: a new code was assigned": 1,
            "obj_code 4201060304001500 is already used: a new code was assigned": 2}
    assert planned[True] == planned[False] == written
    assert len(set(written.values())) == n


@pytest.mark.parametrize("held", [0, 700])
def test_ids_taken_by_earlier_batches_kept_on_disk_still_skip_duplicates(tmp_path, monkeypatch,
                                                                         held):
    """Past ``seen.HELD`` ids (here none, or after the first batches) the ids taken so far
    are kept in a temporary file: the same duplicates are skipped, the same rows written."""
    from citymgr_desktop.core.importing import seen

    source = _many_bins(tmp_path)
    whole, whole_rows, _ = _import(tmp_path, "whole", source, "litter_bin", WHOLE, monkeypatch)
    monkeypatch.setattr(seen, "HELD", held)
    batched, batched_rows, _ = _import(tmp_path, "batched", source, "litter_bin", 250,
                                       monkeypatch)
    assert _report(batched) == _report(whole)
    assert batched_rows == whole_rows
    assert batched.report.skipped.counts[
        "duplicate source id in the source (the first one is imported)"] == 3


def test_the_next_code_is_asked_of_the_store_once_per_import(tmp_path, monkeypatch):
    """A batched import into a layer with assets asks the store for its next serial once
    (a scan of every code of the class): the later batches continue from the serials
    handed out, exactly as a whole read numbers them."""
    first = src.shapefile_bins(tmp_path)
    source = _many_bins(tmp_path)
    codes = {}
    for name, batch in (("whole", WHOLE), ("batched", 250)):
        monkeypatch.setattr(importer, "BATCH_FEATURES", batch)
        project = src.new_project(tmp_path / f"{name}.gpkg")
        asked: list[str] = []
        with Store.open(project) as store:
            for s in (first, source):
                mapping = suggest_mapping(describe_layer(s), "litter_bin")
                asked.clear()
                store.conn.set_trace_callback(asked.append)
                importer.run_import(store, s, mapping)
                store.conn.set_trace_callback(None)
            codes[name] = store.conn.execute(
                "SELECT source_id, obj_code FROM litter_bin ORDER BY fid").fetchall()
        assert sum("CAST(substr(obj_code" in sql for sql in asked) == 1
    assert codes["batched"] == codes["whole"] and len(codes["whole"]) > 1000


def test_an_import_into_an_empty_layer_leaves_its_indexes_whole(tmp_path, monkeypatch):
    """The layer's plain indexes are built once after the rows (the layer was empty): the
    same indexes and triggers, word for word, every row in them; a cancelled import leaves
    the schema as it was, and an import into a layer with rows keeps them all along."""
    from citymgr_desktop.core.errors import CancelledError
    from citymgr_desktop.core.progress import Progress

    def schema(project):
        with Store.open(project, read_only=True) as store:
            return sorted(store.conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'litter_bin'"))

    def check(project):
        with Store.open(project, read_only=True) as store:
            conn = store.conn
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            plan = " ".join(r[-1] for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT fid FROM litter_bin WHERE district = '首义街道'"))
            assert "idx_litter_bin_district" in plan
            return conn.execute("SELECT count(*) FROM litter_bin INDEXED BY "
                                "idx_litter_bin_register WHERE retired_at IS NULL").fetchone()[0]

    source = _many_bins(tmp_path)
    empty = schema(src.new_project(tmp_path / "empty.gpkg"))
    assert any(t == "index" and n == "idx_litter_bin_district" for t, n, _ in empty)
    result, _, project = _import(tmp_path, "p", source, "litter_bin", 500, monkeypatch)
    n = result.report.inserted  # a few are duplicates or far away
    assert n > 1_000 and schema(project) == empty and check(project) == n
    assert_valid_gpkg(project)
    mapping = suggest_mapping(describe_layer(source), "litter_bin")
    mapping.id_prefix = "again:"  # new ids: as many rows again into a layer that has rows
    with Store.open(project) as store:
        assert importer.run_import(store, source, mapping).report.inserted == n
    assert schema(project) == empty and check(project) == 2 * n

    cancelled = src.new_project(tmp_path / "cancelled.gpkg")
    progress = Progress()
    progress._callback = lambda done, total, message: message == "importing" and \
        done >= 600 and progress.cancel()
    with Store.open(cancelled) as store, pytest.raises(CancelledError):
        importer.run_import(store, source, suggest_mapping(describe_layer(source), "litter_bin"),
                            progress=progress)
    assert schema(cancelled) == empty and check(cancelled) == 0
