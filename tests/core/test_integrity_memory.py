"""The master's whole-file check is paid once per version of the file: a master the app left
(opened, or written and committed, by us) is not checked again when a sync opens it, while a
master another program changed since is checked again before anything is trusted (a
damaged one is then refused: ``tests/faults/test_recovery.py``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from citymgr_desktop.core.store import Store, integrity
from citymgr_desktop.core.sync import open_for_sync, sync_package
from tests.core.sync_support import edit, row, uuids

OUTSIDE_UPDATE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("UPDATE maintenance_record SET observation = 'outside' WHERE record_uuid = ?",
             (sys.argv[2],))
conn.commit()
conn.close()
"""

@pytest.fixture
def checked(monkeypatch):
    """The files whose whole-file check ran (and found them whole) in this process."""
    ran = []
    real = integrity.remember_whole
    monkeypatch.setattr(integrity, "remember_whole",
                        lambda path: ran.append(path.resolve()) or real(path))
    return ran


def outside(script: str, *args: object) -> None:
    subprocess.run([sys.executable, "-c", script, *map(str, args)], check=True)


def test_a_master_the_app_left_is_not_checked_again_by_the_sync(pair, checked):
    master, pkg = pair
    with Store.open(master):  # the office's last session
        pass
    assert integrity.known_whole(master)
    checked.clear()
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (u,))
    with open_for_sync(master, pkg) as store:
        assert master.resolve() not in checked  # remembered: no whole-file check
        assert sync_package(store, pkg).status == "applied"
    assert integrity.known_whole(master)  # our own commit: still known whole


def test_a_master_changed_by_another_program_is_checked_again(pair, checked):
    master, pkg = pair
    with Store.open(master):
        pass
    rec = uuids(master, "maintenance_record", limit=1)[0]
    outside(OUTSIDE_UPDATE, master, rec)  # a sqlite3 UPDATE from outside the app
    assert not integrity.known_whole(master)
    checked.clear()
    with open_for_sync(master, pkg) as store:
        assert master.resolve() in checked  # checked again (and found whole)
        sync_package(store, pkg)
    assert row(master, "maintenance_record", rec)["observation"] == "outside"



def test_a_file_put_back_with_its_old_times_is_checked_again(pair, checked, tmp_path):
    """A copy that keeps the size, the modification time and (by chance) the inode, as a
    folder deleted and copied back can: the change time tells it from the version checked."""
    import os
    import shutil

    master, pkg = pair
    with Store.open(master):
        pass
    assert integrity.known_whole(master)
    st = master.stat()
    saved = tmp_path / "saved.gpkg"
    shutil.copy2(master, saved)
    rec = uuids(master, "maintenance_record", limit=1)[0]
    outside(OUTSIDE_UPDATE, master, rec)
    with open(saved, "rb") as src, open(master, "r+b") as dst:  # same inode, other bytes
        dst.write(src.read())
        dst.truncate()
    os.utime(master, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = master.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns,
                                                                 st.st_ino)
    assert not integrity.known_whole(master)
    checked.clear()
    with open_for_sync(master, pkg) as store:
        assert master.resolve() in checked
        sync_package(store, pkg)
