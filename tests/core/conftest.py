"""Fixtures several core test modules share: a small project file for the QGIS tests, and a
master with a field package of the whole small district for the sync tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    """A project file with a few assets of every class and some maintenance history
    (``tests/core/qgis_support.py``)."""
    from tests.core.qgis_support import make_project_file

    return make_project_file(tmp_path / "district.gpkg")


@pytest.fixture
def pair(small_district: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(master, package of the whole small district in its own folder)."""
    from tests.core.sync_support import checkout

    pkg = tmp_path / "field" / "pkg.gpkg"
    pkg.parent.mkdir()
    checkout(small_district, pkg, surveyor="李四", history_years=None)
    return small_district, pkg
