"""The project the fault tests and ``benchmarks/bench_faults.py`` damage, fill and kill: a
sample district with a field package checked out of it."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path


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


def make_project(folder: Path, features: int = 400) -> Project:
    """A sample district of ``features`` assets in ``folder``, a field package checked out
    of it with five edits made in the field, a bin's uuid and a dispatched case number."""
    from citymgr_desktop.core import gpkg, sample
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import create_package

    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "district.gpkg"
    sample.generate(master, features=features, seed=11)
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
    row = conn.execute("SELECT case_no FROM work_order WHERE state = 'dispatched' LIMIT 1"
                       ).fetchone()
    conn.close()
    case = row[0] if row else _dispatched_order(master, asset)
    return Project(folder, master, package, asset, case)


def _dispatched_order(master: Path, asset: str) -> str:
    """A new order moved to "dispatched" (a small sample may have none)."""
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.workorders import orders as wo

    with Store.open(master) as store:
        row = wo.create_order(store, wo.OrderSpec(title="巡查", assets=[("litter_bin", asset)]),
                              "测试")
        for state in ("filed", "dispatched"):
            wo.move_order(store, row["case_no"], state, "测试")
    return str(row["case_no"])
