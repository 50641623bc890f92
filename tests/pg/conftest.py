"""Fixtures for the PostGIS tests: one throwaway cluster per session (``tests/pg/cluster.py``)
and a fresh PostGIS database per test.

Not skipped in CI: without the server binaries a test skips as a missing tool, which
``CITYMGR_REQUIRE_ALL=1`` (``.ci/run``) and ``CI=true`` turn into a failure.
"""

from __future__ import annotations

import itertools
import os

import pytest

from tests.pg.cluster import Cluster, have_postgis, start_cluster
from tests.tools import skip_missing

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster():
    if not have_postgis():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but PostgreSQL 15 + PostGIS 3 are not installed "
                        "(Debian package postgresql-15-postgis-3)")
        skip_missing("PostgreSQL 15 + PostGIS 3", "postgresql-15-postgis-3")
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(autouse=True)
def database_journals(tmp_path, monkeypatch):
    """The crash journals of edit sessions on a database go to this test's own folder (not
    the user's); child processes inherit it."""
    folder = tmp_path / "journals"
    monkeypatch.setenv("CITYMGR_JOURNALS", str(folder))
    return folder


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh database with the PostGIS extension, for this test alone."""
    return pg_cluster.create_database(f"citymgr_test_{os.getpid()}_{next(_numbers)}")


@pytest.fixture
def published(pg_url: str, small_district) -> str:
    """A database holding the small sample district (published with the real command)."""
    from citymgr_desktop.core.store.postgis import publish

    publish(small_district, pg_url)
    return pg_url


@pytest.fixture(params=["geopackage", "postgis"])
def project_target(request, small_district) -> str:
    """The project's name where a FILE is accepted: the file, or the database's URL."""
    if request.param == "geopackage":
        return str(small_district)
    from citymgr_desktop.core.store.postgis import publish

    target = request.getfixturevalue("pg_url")
    publish(small_district, target)
    return target


def run_citymgr(*args: str, env: dict[str, str] | None = None):
    """``citymgr ARGS`` in a fresh process with this worktree first on the path."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    full_env = {**os.environ, "PYTHONPATH": root, "CITYMGR_LANG": "en", **(env or {})}
    code = "import sys; from citymgr_desktop.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args],
                          capture_output=True, text=True, env=full_env, timeout=300)
