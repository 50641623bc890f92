"""A project database made before a coded domain gained a code (12319城管热线 as a work
order's source) gets the code when it is opened for writing: in its lookup table, its CHECK
constraint and its QGIS project; a work order made through the command line then uses it.
A login that may not change the schema opens it as before and is told who must; a table
busy in another session's save delays the open by the lock timeout at most."""

from __future__ import annotations

import io
import json
import time
import zipfile

import psycopg
import pytest

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.store.postgis import PostgisStore, publish
from citymgr_desktop.core.store.postgis.grant import grant
from tests.domain_support import OLD_SOURCE
from tests.pg.conftest import run_citymgr

OWN = "粮道街道"
NEW = "hotline_12319"


@pytest.fixture
def old_db(pg_url: str, small_district, monkeypatch: pytest.MonkeyPatch) -> str:
    """The small district published by a version whose source list had no 12319."""
    with monkeypatch.context() as m:
        m.setitem(dm.ALL_DOMAINS, "work_order_source", OLD_SOURCE)
        publish(small_district, pg_url)
    return pg_url


def _codes(url: str) -> dict[str, tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return {v: (en, zh) for v, en, zh in conn.execute(
            "SELECT value, label_en, label_zh FROM domain_work_order_source")}


def _project_text(url: str) -> str:
    with psycopg.connect(url) as conn:
        content = conn.execute("SELECT content FROM qgis_projects WHERE name = 'citymgr'"
                               ).fetchone()[0]
    with zipfile.ZipFile(io.BytesIO(content)) as qgz:
        return "".join(qgz.read(n).decode() for n in qgz.namelist() if n.endswith(".qgs"))


def _create(url: str, source: str, where: str = "1 = 1", env: dict | None = None):
    return run_citymgr("workorders", "create", url, "--layer", "litter_bin", "--where", where,
                       "--priority", "normal", "--title", "满溢", "--source", source, "--json",
                       env=env)


def test_an_old_database_gets_the_new_code_and_a_work_order_uses_it(old_db: str) -> None:
    assert NEW not in _codes(old_db) and NEW not in _project_text(old_db)
    with PostgisStore.open(old_db, read_only=True) as db:  # read-only: nothing written
        assert NEW not in db.domains()["work_order_source"]["values"]
    assert NEW not in _codes(old_db)

    made = _create(old_db, NEW)
    assert made.returncode == 0, made.stderr
    wid = json.loads(made.stdout)["work_order_uuid"]
    with psycopg.connect(old_db) as conn:
        assert conn.execute("SELECT source FROM work_order WHERE work_order_uuid = %s",
                            (wid,)).fetchone()[0] == NEW
        with pytest.raises(psycopg.errors.CheckViolation):  # the list is still a list
            conn.execute("UPDATE work_order SET source = 'hotline_110'")
    assert _codes(old_db) == {c.value: (c.en, c.zh) for c in dm.WORK_ORDER_SOURCE.codes}
    assert _codes(old_db)["hotline"][1] == "12345政务服务热线"  # labels renewed
    assert "12319城管热线 12319 city-management hotline" in _project_text(old_db)
    with PostgisStore.open(old_db) as db:
        assert db.stale == frozenset()
        assert db.domains()["work_order_source"]["values"][NEW] == \
            "12319城管热线 12319 city-management hotline"


@pytest.mark.parametrize("constraint", ["work_order_source_check", "source_codes"])
def test_a_login_that_may_not_change_the_schema_is_told_who_may(
        pg_cluster, old_db: str, monkeypatch: pytest.MonkeyPatch, constraint: str) -> None:
    """Also where the column's CHECK has another name than PostgreSQL's (an administrator's
    or another tool's): the refusal finds its column in pg_constraint."""
    dbname = old_db.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "ALTER TABLE work_order RENAME CONSTRAINT work_order_source_check "
                            f"TO {constraint}" if constraint != "work_order_source_check"
                    else "SELECT 1")
    role = "wang_" + dbname.rsplit("_", 1)[-1]
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-wang'")
    with monkeypatch.context() as m:  # granted by the old version: the list stays old
        m.setitem(dm.ALL_DOMAINS, "work_order_source", OLD_SOURCE)
        grant(old_db, role, OWN)
    as_wang, env = pg_cluster.url(dbname, role), {"PGPASSWORD": "pw-wang"}
    where = f"district = '{OWN}'"

    refused = _create(as_wang, NEW, where, env)
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert "made before source had the code hotline_12319" in line and "owner" in line
    assert NEW not in _codes(old_db)

    kept = _create(as_wang, "hotline", where, env)  # the rest is written as before
    assert kept.returncode == 0, kept.stderr

    made = _create(old_db, NEW, where)  # the owner's first write brings it up to date
    assert made.returncode == 0, made.stderr
    again = _create(as_wang, NEW, where, env)
    assert again.returncode == 0, again.stderr


def test_a_save_in_progress_elsewhere_delays_the_open_by_the_lock_timeout_at_most(
        old_db: str) -> None:
    with psycopg.connect(old_db) as other:  # another user's save, holding its lock
        other.execute("LOCK TABLE work_order IN ROW EXCLUSIVE MODE")
        start = time.monotonic()
        with PostgisStore.open(old_db) as db:
            assert db.stale == {"work_order_source"} and not db.read_only
        assert time.monotonic() - start < 10
        other.execute("UPDATE work_order SET title = title")  # its save goes on
    assert NEW not in _codes(old_db)  # nothing half-done
    with PostgisStore.open(old_db) as db:  # the next open, the table free
        assert db.stale == frozenset()
    assert NEW in _codes(old_db)


def test_validate_warns_of_an_old_code_list_until_the_owner_opens_it(old_db: str) -> None:
    old = run_citymgr("validate", old_db, "--json")
    assert old.returncode == 0, old.stdout + old.stderr  # a warning, not an error
    problems = json.loads(old.stdout)["problems"]
    assert [(p["level"], p["where"]) for p in problems
            if "lacks codes" in p["message"]] == [("warning", "domain_work_order_source")]
    zh = run_citymgr("validate", old_db, "--lang", "zh_CN")
    assert "值域 work_order_source 缺少本版本的代码" in zh.stdout + zh.stderr
    assert NEW not in _codes(old_db)  # validate writes nothing

    PostgisStore.open(old_db).close()  # the owner opens it for writing
    new = run_citymgr("validate", old_db, "--json")
    assert new.returncode == 0, new.stdout + new.stderr
    assert not [p for p in json.loads(new.stdout)["problems"] if "lacks codes" in p["message"]]
