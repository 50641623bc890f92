"""Shared fixtures: sample districts generated once per session, copied per test.

Set ``CITYMGR_BLOCK_QT=1`` to make PySide6 unimportable (``tests/core`` must pass without
Qt; ``.ci/run`` runs it that way). Set ``CITYMGR_REQUIRE_ALL=1`` to fail, not skip, every
test whose outside tool (QGIS, GDAL's validator, poppler, …) is missing (tests/tools.py).
"""

from __future__ import annotations

import importlib.abc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from tests.tools import REQUIRE_ALL_ENV, is_missing_tool, require_all

# Property tests assert behaviour, never speed (that is benchmarks/): no per-example deadline,
# which a loaded CI machine otherwise turns into a random failure.
settings.register_profile("citymgr", deadline=None)
settings.load_profile("citymgr")


class _BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pytestqt"):
            raise ImportError(f"{name} is blocked: tests/core must not need Qt")
        return None


if os.environ.get("CITYMGR_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _BlockQt())

# The store caches which file versions passed SQLite's quick_check (core/store/integrity.py):
# the tests keep theirs apart from the user's cache (subprocesses inherit it).
os.environ.setdefault("CITYMGR_CACHE_DIR", tempfile.mkdtemp(prefix="citymgr-test-cache-"))


@pytest.fixture(scope="session")
def sample_master(tmp_path_factory) -> Path:
    """A 4,000-feature sample district, generated once per test session (do not modify)."""
    from citymgr_desktop.core import sample

    path = tmp_path_factory.mktemp("sample") / "district.gpkg"
    sample.generate(path, features=4000, seed=7)
    return path


@pytest.fixture
def district(sample_master, tmp_path) -> Path:
    """This test's own copy of the sample district."""
    dst = tmp_path / "district.gpkg"
    shutil.copyfile(sample_master, dst)
    return dst


@pytest.fixture(scope="session")
def small_master(tmp_path_factory) -> Path:
    """A 300-feature sample district, generated once per test session (do not modify)."""
    from citymgr_desktop.core import sample

    path = tmp_path_factory.mktemp("small") / "small.gpkg"
    sample.generate(path, features=300, seed=3)
    return path


@pytest.fixture
def small_district(small_master, tmp_path) -> Path:
    """This test's own copy of the small sample district."""
    dst = tmp_path / "small.gpkg"
    shutil.copyfile(small_master, dst)
    return dst


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With ``CITYMGR_REQUIRE_ALL=1`` a skip for a missing tool is a failure: CI must not pass
    with the QGIS, validator or poppler tests silently skipped."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and require_all()):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    if is_missing_tool(reason):
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ALL_ENV}=1, but this test's tool is missing: {reason}"

