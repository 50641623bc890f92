"""A sync process killed in the middle (SIGKILL, no clean-up of any kind) leaves the master and
the package as they were; the next sync works normally."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.core.sync_support import assert_same_files, checkout, count, dump, edit, sync

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="SIGKILL")]

# Runs a sync whose progress callback kills the process at the chosen moment.
SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from citymgr_desktop.core.progress import Progress
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.sync import sync_package

    master, package, moment = sys.argv[1], sys.argv[2], sys.argv[3]
    seen = []

    def on_progress(done, total, message):
        message = str(message)  # a Message: its English sentence
        seen.append(message)
        writes = sum(1 for m in seen if m == "writing changes")
        if (moment == "compare" and message.startswith("compared ")) or \\
           (moment == "writing" and writes == 2) or \\
           (moment == "check" and message == "checking the file"):
            sys.stdout.write("killing at " + message + "\\n")
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    with Store.open(master) as store:
        sync_package(store, package, progress=Progress(on_progress))
    print("finished without being killed")
""")


@pytest.fixture
def busy(district, tmp_path):
    """A master and a package with 5,000 field changes (several write batches)."""
    pkg = tmp_path / "p.gpkg"
    checkout(district, pkg, history_years=None)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场 ' || fid, condition = 1 + fid % 5 "
                  "WHERE fid % 2 = 0")
        c.execute("UPDATE road_segment SET remarks = 'field' WHERE fid % 3 = 0")
        c.execute("DELETE FROM litter_bin WHERE fid % 2 = 1 AND fid < 400 AND asset_uuid NOT IN "
                  "(SELECT asset_uuid FROM maintenance_record)")
    with edit(district) as c:
        c.execute("UPDATE litter_bin SET remarks = '办公室' WHERE fid % 10 = 0")
    return district, pkg


@pytest.mark.parametrize("moment", ["compare", "writing", "check"])
def test_killed_sync_leaves_master_and_package_as_they_were(busy, tmp_path, moment):
    master, pkg = busy
    before_master, before_pkg = tmp_path / "m0.gpkg", tmp_path / "p0.gpkg"
    shutil.copyfile(master, before_master)
    shutil.copyfile(pkg, before_pkg)
    script = tmp_path / "killer.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(master), str(pkg), moment],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "killing at" in proc.stdout
    # a hot journal may be left behind; SQLite rolls it back when the file is next opened
    conn = sqlite3.connect(master)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert_same_files(before_master, master)
    assert count(master, "sync_run") == 0 and count(master, "sync_journal") == 0
    assert dump(pkg) == dump(before_pkg)
    # and the next sync goes through
    rep = sync(master, pkg)
    assert rep.status == "applied" and rep.counts["litter_bin"]["update"] > 1000
