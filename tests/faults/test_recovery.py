"""After a crash: a hot journal is rolled back by the next program that may write the file
(and explained when none may); opening a file never writes to it; a damaged file is checked
once per version and never written; temporary files of killed writers are cleaned up."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from citymgr_desktop.core.atomic import atomic_path, part_path, remove_stale_parts
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.store import Store, integrity
from tests.faults.corpus import bit_flipped
from tests.faults.support import assert_one_line_error, cli, digest, environment

KILLED_WRITER = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = 10")  # pages spill into the file before the commit
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE maintenance_record SET observation = coalesce(observation, '') || ?",
             ("x" * 200,))
os.kill(os.getpid(), signal.SIGKILL)
"""

READS = [["info", "{f}"], ["validate", "{f}"], ["workorders", "list", "{f}"],
         ["sync-list", "{f}"], ["history", "list", "{f}", "--asset", "{asset}"],
         ["edit", "{f}", "--layer", "litter_bin", "--where", "condition = 5", "--set",
          "condition=4", "--dry-run"]]


@pytest.fixture
def hot(project):
    """The project with the hot journal of a writer killed inside its transaction."""
    before = project.master.read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(project.master)],
                          env=environment())
    assert proc.returncode == -signal.SIGKILL
    assert project.master.with_name(project.master.name + "-journal").exists()
    assert project.master.read_bytes() != before  # the file holds half a transaction
    return project, before


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("argv", READS, ids=lambda a: " ".join(a[:2]))
def test_a_read_after_a_crash_rolls_the_journal_back(hot, argv):
    project, before = hot
    result = cli([a.format(f=project.master, asset=project.asset) for a in argv])
    assert result.rc == 0, result.err
    assert not project.master.with_name(project.master.name + "-journal").exists()
    assert project.master.read_bytes() == before  # rolled back to the last commit, exactly
    conn = sqlite3.connect(project.master)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM maintenance_record WHERE observation LIKE "
                        "'%xxxxxxxxxx'").fetchone()[0] == 0  # the half transaction is gone
    conn.close()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_crash_journal_on_a_file_nobody_may_write_is_explained(hot):
    project, _ = hot
    project.master.chmod(0o444)  # read-only even for root: the store reads the mode bits
    try:
        message = assert_one_line_error(cli(["info", project.master]), {3})
    finally:
        project.master.chmod(0o644)
    assert "a write was interrupted" in message and "-journal" in message
    assert "citymgr info" in message  # and what to run once it may be written


def test_opening_never_writes(project, tmp_path):
    """Reads of a renamed copy (its embedded project names the old file) and a failed
    write leave every byte as it was; styles keep their row ids."""
    renamed = project.master.with_name("renamed-copy.gpkg")
    project.master.rename(renamed)
    before = digest(renamed)
    for argv in (["info", renamed], ["validate", renamed], ["workorders", "list", renamed],
                 ["edit", renamed, "--layer", "litter_bin", "--where", "condition >",
                  "--set", "condition=1"],
                 ["workorders", "create", renamed, "--layer", "litter_bin", "--where",
                  "name = '没有这个名字'", "--priority", "2", "--title", "无"]):
        cli(argv)
        assert digest(renamed) == before, argv


def test_a_damaged_file_is_refused_for_writing_and_checked_once_per_version(project,
                                                                          monkeypatch):
    checks = []
    real = integrity.quick_check
    monkeypatch.setattr(integrity, "quick_check",
                        lambda conn, path, **kw: checks.append(path) or real(conn, path, **kw))
    with Store.open(project.master):
        pass
    with Store.open(project.master):
        pass  # the same version: cached
    assert integrity.known_whole(project.master)
    with Store.open(project.master) as store:
        store.set_meta("note", "a new version")
    assert integrity.known_whole(project.master)  # our own commit keeps it known whole
    bit_flipped(project.master)
    assert not integrity.known_whole(project.master)
    with pytest.raises(BadFileError, match="damaged"):
        Store.open(project.master)


def test_a_check_in_a_thread_only_remembers_a_whole_file(project):
    """The package's check that a sync starts beside the master's (open_for_sync) fills the
    cache for a whole file only: a damaged package is still found, and named, by the sync."""
    from citymgr_desktop.core.sync import open_for_sync, sync_package

    integrity.check_in_background(project.package)
    conn = sqlite3.connect(project.package)
    try:
        assert integrity.quick_check(conn, project.package) == []  # waits for the thread
    finally:
        conn.close()
    assert integrity.known_whole(project.package)
    bit_flipped(project.package)
    before = digest(project.master)
    with open_for_sync(project.master, project.package) as store:
        assert not integrity.known_whole(project.package)
        with pytest.raises(BadFileError) as err:
            sync_package(store, project.package)
    assert str(project.package) in str(err.value)
    assert digest(project.master) == before


def test_the_next_write_removes_temporary_files_of_killed_writers(tmp_path):
    target = tmp_path / "orders.pdf"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = target.with_name(f".orders.part-{dead.pid}.pdf")
    stale.write_bytes(b"half")
    (tmp_path / f".orders.part-{dead.pid}.pdf-journal").write_bytes(b"j")
    alive = target.with_name(f".orders.part-{os.getppid()}.pdf")  # a writer still running
    alive.write_bytes(b"busy")
    with atomic_path(target) as tmp:
        assert tmp == part_path(target)
        tmp.write_bytes(b"%PDF-1.4 whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "orders.pdf"]
    assert remove_stale_parts(tmp_path) == 0


def test_a_write_that_is_incomplete_keeps_the_old_file(tmp_path):
    from citymgr_desktop.core.atomic import Incomplete

    target = tmp_path / "orders.csv"
    target.write_text("old")

    def verify(path):
        raise Incomplete("2 rows of 3")

    with pytest.raises(BadFileError, match=r"orders.csv: the file written is incomplete; the "
                                           r"disk may be full. The file already there was not "
                                           r"replaced"), \
            atomic_path(target, verify=verify) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["orders.csv"]

