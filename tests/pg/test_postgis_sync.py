"""Field packages and a project database, where only a database can fail that way: the
command line as a process under a district role (row-level security, the database user
recorded), a connection dropped in the middle of a sync (``pg_terminate_backend``), and
packages of another database refused. The behaviour both stores share is tested in
``test_both_stores.py``."""

from __future__ import annotations

import json
import sqlite3

import psycopg
import pytest

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import DatabaseError, ValidationError
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store.postgis import PostgisStore, publish
from citymgr_desktop.core.sync.database import sync_into_database
from citymgr_desktop.core.sync.database_checkout import create_database_package
from tests.pg.conftest import run_citymgr


def _edit(pkg, sql: str, *params) -> None:
    conn = gpkg.connect(str(pkg))
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def _bins(pkg, district: str, n: int = 2) -> list[str]:
    conn = sqlite3.connect(pkg)
    try:
        return [r[0] for r in conn.execute(
            "SELECT asset_uuid FROM litter_bin WHERE district = ? AND retired_at IS NULL "
            "ORDER BY fid LIMIT ?", (district, n))]
    finally:
        conn.close()


def _one_line_error(result, code: int, words: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_a_district_role_syncs_its_own_assets_and_is_refused_another_districts(
        pg_cluster, published, tmp_path):
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE zhao_liu LOGIN PASSWORD 'pw-zl'")
    granted = run_citymgr("db", "grant", published, "--role", "zhao_liu", "--district", "粮道街道")
    assert granted.returncode == 0, granted.stderr
    as_li, env = pg_cluster.url(dbname, "zhao_liu"), {"PGPASSWORD": "pw-zl"}
    pkg = tmp_path / "whole.gpkg"
    out = run_citymgr("field-package", as_li, "--out", str(pkg), "--user", "李四", env=env)
    assert out.returncode == 0, out.stderr
    assert "citymgr_package_base" in out.stdout and "pw-zl" not in out.stdout
    own, other = _bins(pkg, "粮道街道", 1)[0], _bins(pkg, "积玉桥街道", 1)[0]

    _edit(pkg, "UPDATE litter_bin SET remarks = '李四现场' WHERE asset_uuid = ?", own)
    dry = run_citymgr("sync", as_li, str(pkg), "--dry-run", "--json", env=env)
    assert dry.returncode == 0 and json.loads(dry.stdout)["status"] == "dry-run", dry.stderr
    synced = run_citymgr("sync", as_li, str(pkg), "--json", "--user", "王五", env=env)
    assert synced.returncode == 0, synced.stderr
    report = json.loads(synced.stdout)
    assert report["status"] == "applied" and report["counts"]["litter_bin"]["update"] == 1
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT remarks, db_user, updated_by FROM litter_bin WHERE "
                            "asset_uuid = %s", (own,)).fetchone() == ("李四现场", "zhao_liu", "李四")
        assert conn.execute("SELECT db_user, applied_by FROM citymgr_sync_run").fetchall() == \
            [("zhao_liu", "王五")]  # the login, and the name the office clerk acted as

    # another 街道's bin in the same package: refused by the database, nothing applied
    _edit(pkg, "UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", own)
    _edit(pkg, "UPDATE litter_bin SET remarks = '越权' WHERE asset_uuid = ?", other)
    refused = run_citymgr("sync", as_li, str(pkg), env=env)
    _one_line_error(refused, 4, "row-level security")
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT condition <> 5 FROM litter_bin WHERE asset_uuid = %s",
                            (own,)).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '越权'"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM citymgr_sync_run").fetchone()[0] == 1

    undo = run_citymgr("sync-undo", as_li, report["sync_id"], env=env)
    assert undo.returncode == 0, undo.stderr
    assert "undid sync" in undo.stdout


def test_a_connection_dropped_in_the_middle_leaves_nothing_and_a_retry_applies_it(published,
                                                                                tmp_path):
    pkg = tmp_path / "p.gpkg"
    with PostgisStore.open(published) as db:
        create_database_package(db, pkg, district="粮道街道", surveyor="李四")
    bins = _bins(pkg, "粮道街道", 3)
    for uuid in bins:
        _edit(pkg, "UPDATE litter_bin SET remarks = '断线测试' WHERE asset_uuid = ?", uuid)
    _edit(pkg, "DELETE FROM litter_bin WHERE asset_uuid = ? AND asset_uuid NOT IN (SELECT "
               "asset_uuid FROM maintenance_record)", bins[2])

    with psycopg.connect(published, autocommit=True) as killer, \
            PostgisStore.open(published) as db:
        pid = db.conn.info.backend_pid

        def drop(done, total, message):  # after the rows were written, before the commit
            if str(message) == "photos":
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))

        with pytest.raises(DatabaseError) as lost:
            sync_into_database(db, pkg, user="王五", progress=Progress(drop))
    text = str(lost.value)
    assert "connection was lost; nothing was saved" in text and "\n" not in text
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '断线测试'"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM citymgr_sync_run").fetchone()[0] == 0

    with PostgisStore.open(published) as db:  # the retry applies it all
        report = sync_into_database(db, pkg, user="王五")
    assert report.status == "applied"
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '断线测试'"
                            ).fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM citymgr_sync_run").fetchone()[0] == 1


def test_a_package_of_another_database_or_of_a_file_is_refused(pg_cluster, published,
                                                              small_district, tmp_path):
    pkg = tmp_path / "p.gpkg"
    with PostgisStore.open(published) as db:
        create_database_package(db, pkg, district="粮道街道")
    _edit(pkg, "UPDATE litter_bin SET remarks = 'x' WHERE asset_uuid = ?",
          _bins(pkg, "粮道街道", 1)[0])
    other = pg_cluster.create_database(published.rsplit("/", 1)[1] + "_other")
    publish(small_district, other)  # the same district, another database
    with PostgisStore.open(other) as db, pytest.raises(ValidationError,
                                                       match="was not checked out from"):
        sync_into_database(db, pkg)
    file_pkg = tmp_path / "from_file.gpkg"
    made = run_citymgr("field-package", str(small_district), "--out", str(file_pkg))
    assert made.returncode == 0, made.stderr
    refused = run_citymgr("sync", published, str(file_pkg))
    _one_line_error(refused, ValidationError.exit_code, "was not checked out from")
    with psycopg.connect(other) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = 'x'"
                            ).fetchone()[0] == 0


def test_two_syncs_of_one_package_at_once_apply_it_once(published, tmp_path):
    import concurrent.futures

    pkg = tmp_path / "p.gpkg"
    with PostgisStore.open(published) as db:
        create_database_package(db, pkg, district="粮道街道")
    bin_uuid = _bins(pkg, "粮道街道", 1)[0]
    _edit(pkg, "UPDATE litter_bin SET remarks = '同时同步' WHERE asset_uuid = ?", bin_uuid)
    with psycopg.connect(published) as conn:
        before = conn.execute("SELECT version FROM litter_bin WHERE asset_uuid = %s",
                              (bin_uuid,)).fetchone()[0]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: run_citymgr("sync", published, str(pkg), "--json"),
                             range(2)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    statuses = sorted(json.loads(r.stdout)["status"] for r in runs)
    assert statuses[0] == "applied" and statuses[1] in ("already-synced", "nothing-to-do")
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT version FROM litter_bin WHERE asset_uuid = %s",
                            (bin_uuid,)).fetchone()[0] == before + 1
        assert conn.execute("SELECT count(*) FROM citymgr_sync_run").fetchone()[0] == 1


def test_a_package_with_damaged_identities_or_schema_drift_is_refused(published, tmp_path):
    """The file sync's checks of the package, on a database: nothing is merged."""
    import shutil

    pkg = tmp_path / "p.gpkg"
    with PostgisStore.open(published) as db:
        create_database_package(db, pkg, district="粮道街道")
    _edit(pkg, "UPDATE litter_bin SET remarks = '不应写入' WHERE asset_uuid = ?",
          _bins(pkg, "粮道街道", 1)[0])
    drifted = tmp_path / "drifted.gpkg"
    shutil.copyfile(pkg, drifted)
    _edit(drifted, "ALTER TABLE litter_bin ADD COLUMN colour TEXT")
    conn = sqlite3.connect(pkg)
    road = conn.execute("SELECT asset_uuid FROM road_segment LIMIT 1").fetchone()[0]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(litter_bin)")
               if r[1] not in ("fid", "asset_uuid", "obj_code")]
    conn.close()
    _edit(pkg, f"INSERT INTO litter_bin (asset_uuid, {', '.join(columns)}) SELECT ?, "
               f"{', '.join(columns)} FROM litter_bin ORDER BY fid LIMIT 1", road)
    damaged = run_citymgr("sync", published, str(pkg))
    _one_line_error(damaged, 3, "row identities are damaged")
    assert "names a road_segment" in damaged.stderr
    drift = run_citymgr("sync", published, str(drifted))
    _one_line_error(drift, 5, "schema drift")
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = '不应写入'"
                            ).fetchone()[0] == 0
