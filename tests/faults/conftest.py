"""Fixtures of the fault-injection suite: a good project with a field package checked out of
it (made once per session), each test's own copy of both, and a small disk."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.support import SmallDisk, small_disk


@dataclass(frozen=True)
class Project:
    """A project file, a field package checked out of it (with an edit made in the field),
    and names the commands need."""

    folder: Path
    master: Path
    package: Path
    asset: str  # a litter bin's uuid
    case: str  # a work order in state "dispatched"

    def copy_to(self, folder: Path) -> Project:
        folder.mkdir(parents=True, exist_ok=True)
        for item in self.folder.iterdir():
            dst = folder / item.name
            if item.is_dir():
                shutil.copytree(item, dst)
            else:
                shutil.copyfile(item, dst)
        return Project(folder, folder / self.master.name, folder / self.package.name,
                       self.asset, self.case)


@pytest.fixture(scope="session")
def fault_project(tmp_path_factory) -> Project:
    """Made once: do not modify (take a copy with ``project``)."""
    from citymgr_desktop.core import gpkg, sample
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import create_package

    folder = tmp_path_factory.mktemp("fault-project")
    master = folder / "district.gpkg"
    sample.generate(master, features=400, seed=11)
    package = folder / "field.gpkg"
    with Store.open(master) as store:
        create_package(store, package, surveyor="李四", history_years=None)
    conn = gpkg.connect(str(package))
    conn.execute("UPDATE litter_bin SET remarks = '现场修改' WHERE fid IN (SELECT fid FROM "
                 "litter_bin ORDER BY fid LIMIT 5)")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(master)
    asset = conn.execute("SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 1").fetchone()[0]
    case = conn.execute("SELECT case_no FROM work_order WHERE state = 'dispatched' LIMIT 1"
                        ).fetchone()[0]
    conn.close()
    return Project(folder, master, package, asset, case)


@pytest.fixture
def project(fault_project, tmp_path) -> Project:
    """This test's own copy of the project, its package and its .sync folder."""
    return fault_project.copy_to(tmp_path / "project")


@pytest.fixture(scope="session")
def disk() -> SmallDisk:
    with small_disk() as d:
        yield d
