"""Crash safety with a real ``kill -9``: a child process edits (or saves) and is killed at a
random moment; the file stays valid with all or none of a save, and reopening offers every
acknowledged edit back."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from citymgr_desktop.core.editing import EditSession, held_elsewhere
from citymgr_desktop.core.editing.journal import Journal, journal_path, read_journal
from citymgr_desktop.core.errors import BadFileError, InUseError
from citymgr_desktop.core.store import Store
from tests.gpkg_checks import assert_valid_gpkg

pytestmark = pytest.mark.e2e

CHILD = textwrap.dedent("""
    import sys, time
    from shapely.geometry import Point
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.core.editing import journal as editing_journal

    path, mode = sys.argv[1], sys.argv[2]
    store = Store.open(path)
    session = EditSession(store, user="child")
    uuids = [r[0] for r in store.conn.execute(
        "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 400")]
    new = session.add_point("litter_bin", Point(528800, 3381500), {"name": "child-new"})
    session.bulk_set("litter_bin", uuids[300:400], {"remarks": "child-bulk"})
    print("NEW", new, flush=True)
    if mode == "edit":
        for i, u in enumerate(uuids[:300]):
            session.set_value("litter_bin", u, "name", f"edit-{i}")
            print("DONE", i, flush=True)
        time.sleep(60)
    for i, u in enumerate(uuids[:300]):
        session.set_value("litter_bin", u, "name", f"edit-{i}")
    if mode == "after_commit":
        def stall(self):
            print("COMMITTED", flush=True)
            time.sleep(60)
        editing_journal.Journal.clear = stall
        session.save()
    else:
        def slow(done, total, message):
            print("IN_SAVE", flush=True)
            time.sleep(60)
        from citymgr_desktop.core.progress import Progress
        session.save(Progress(slow))
""")


def _start(tmp_path, path, mode):
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, str(script), str(path), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _read_until(proc, predicate, timeout=60.0):
    """Lines of the child's output until ``predicate(line)`` (fails on exit or timeout)."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"child ended early: {proc.stderr.read()[-2000:]}")
        lines.append(line.strip())
        if predicate(line.strip()):
            return lines
    pytest.fail("child too slow")


def _kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    return [line.strip() for line in proc.stdout.read().splitlines()]


def _names(path, n=300):
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM litter_bin ORDER BY fid LIMIT ?",
                                           (n,))]
    finally:
        conn.close()


def _integrity(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_kill_9_while_editing_loses_no_acknowledged_edit(district, tmp_path):
    original = _names(district)
    stop_after = random.Random().randint(20, 250)
    proc = _start(tmp_path, district, "edit")
    lines = _read_until(proc, lambda s: s == f"DONE {stop_after}")
    new_uuid = next(s.split()[1] for s in lines if s.startswith("NEW"))
    lines += _kill(proc)  # the child is mid-way through a later edit, or between two
    acked = max(int(s.split()[1]) for s in lines if s.startswith("DONE"))
    assert _names(district) == original  # nothing was saved
    assert _integrity(district) == "ok"

    with Store.open(district) as store:
        session = EditSession(store, user="me")
        rec = session.recovery
        assert rec is not None
        edited_names = acked + 1
        # every acknowledged edit (+1 possibly in flight), the new bin, 100 remarks
        assert edited_names + 101 <= rec.count <= edited_names + 102
        assert str(rec.labels()[0]).startswith("Add litter bin")
        assert rec.labels()[0].render("zh_CN").startswith("新增垃圾箱")  # shown in Chinese too
        assert session.restore() == rec.count
        assert session.commands.undo_label() == "Restore unsaved edits"
        got = session.rows("litter_bin", [new_uuid])[new_uuid]
        assert got["name"] == "child-new"
        session.save()
        session.close()
    names = _names(district)
    assert names[:acked + 1] == [f"edit-{i}" for i in range(acked + 1)]
    assert names[acked + 2:] == original[acked + 2:]
    assert not journal_path(district).exists()
    assert_valid_gpkg(district)


def test_kill_9_during_save_leaves_the_file_as_before_and_the_edits_restorable(district,
                                                                               tmp_path):
    original = _names(district)
    count = Store.open(district, read_only=True).layer("litter_bin").count
    proc = _start(tmp_path, district, "save")
    _read_until(proc, lambda s: s == "IN_SAVE")  # inside the save transaction
    _kill(proc)
    assert _integrity(district) == "ok"  # SQLite rolls the hot journal back on open
    with Store.open(district) as store:
        assert store.layer("litter_bin").count == count
        assert _names(district) == original  # none of the save
        session = EditSession(store, user="me")
        assert session.recovery is not None and session.recovery.count == 401
        session.restore()
        session.save()
        session.close()
    assert _names(district) == [f"edit-{i}" for i in range(300)]  # all of it, once
    assert_valid_gpkg(district)


def test_kill_9_after_commit_before_the_journal_is_cleared(district, tmp_path):
    proc = _start(tmp_path, district, "after_commit")
    _read_until(proc, lambda s: s == "COMMITTED")
    _kill(proc)
    assert _names(district) == [f"edit-{i}" for i in range(300)]  # the save committed
    assert read_journal(journal_path(district)).entries  # the journal still holds the edits
    with Store.open(district) as store:
        session = EditSession(store)
        assert session.recovery is None  # they are in the file: nothing to offer
        session.close()
    assert not journal_path(district).exists()
    assert_valid_gpkg(district)


def test_a_second_window_cannot_edit_the_same_file(district):
    with Store.open(district) as a, Store.open(district) as b:
        first = EditSession(a)
        uid = first.select("litter_bin", "true")[0]
        first.set_value("litter_bin", uid, "condition", 5)
        assert Journal.probe(district)[0] == "live"
        with pytest.raises(BadFileError, match="is open in another citymgr window"):
            EditSession(b)
        first.close()
        assert Journal.probe(district)[0] == "orphan"  # closed with unsaved edits: kept
        second = EditSession(b)
        assert second.recovery is not None and second.recovery.count == 1
        second.drop_recovery()
        assert list(district.parent.glob("*.citymgr-journal.*.discarded"))
        second.close()


def test_journal_ignores_a_torn_last_line_and_discard_clears_it(district):
    with Store.open(district) as store:
        s = EditSession(store)
        u = s.add_point("litter_bin", Point(528_800, 3_381_500), {"name": "a"})
        path = journal_path(district)
        with path.open("ab") as fh:  # the process died half-way through a line
            fh.write(b'{"seq": 9, "at": "2026-11-26T00:00:00Z", "label": "x", "del')
        contents = read_journal(path)
        assert contents.torn_tail and len(contents.entries) == 1
        assert contents.net_deltas().get("litter_bin", u) is not None
        s.discard()
        assert read_journal(path).entries == []
        s.close()
        assert not path.exists()


def test_restored_edits_start_from_todays_file(district):
    with Store.open(district) as store:
        s = EditSession(store)
        a, b = s.select("litter_bin", "condition = 1")[:2]
        s.set_value("litter_bin", a, "condition", 4)
        s.set_value("litter_bin", b, "condition", 4)
        s.journal.close(remove=False)  # as if the process died
    with Store.open(district) as store:
        with store.session() as conn:  # meanwhile the CLI saved b's change, and more
            conn.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (b,))
            conn.execute("UPDATE litter_bin SET condition = 2 WHERE asset_uuid = ?", (a,))
        s = EditSession(store)
        assert s.recovery.count == 1  # b is already done; a starts from today's value 2
        s.restore()
        d = s.pending.get("litter_bin", a)
        assert (d.old, d.new) == ({"condition": 2}, {"condition": 4})
        s.save()
        s.close()


def _as_data(deltas):
    return {d.key: (d.kind, d.to_json()["old"], d.to_json()["new"]) for d in deltas}


OPS = st.lists(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 4), st.integers(1, 5)),
    st.tuples(st.just("add"), st.integers(0, 4), st.integers(0, 0)),
    st.tuples(st.just("delete"), st.integers(0, 4), st.integers(0, 0)),
    st.tuples(st.just("undo"), st.integers(0, 0), st.integers(0, 0)),
    st.tuples(st.just("redo"), st.integers(0, 0), st.integers(0, 0)),
    st.tuples(st.just("save"), st.integers(0, 0), st.integers(0, 0)),
), max_size=25)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
def test_the_journal_always_replays_to_the_pending_edits(small_master, tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("replay") / "d.gpkg"
    shutil.copyfile(small_master, path)
    with Store.open(path) as store:
        s = EditSession(store)
        bins = s.select("litter_bin", "true")[:5]
        for op, i, v in ops:
            live = [u for u in bins if s.rows("litter_bin", [u])]
            if op == "set" and live:
                s.set_value("litter_bin", live[i % len(live)], "condition", v)
            elif op == "add":
                bins.append(s.add_point("litter_bin", Point(528_800 + i, 3_381_500)))
            elif op == "delete" and live:
                s.delete("litter_bin", [live[i % len(live)]])
            elif op == "undo":
                s.commands.undo()
            elif op == "redo":
                s.commands.redo()
            elif op == "save":
                s.save()
            contents = read_journal(journal_path(path))
            replayed = contents.net_deltas() if contents else []
            assert _as_data(replayed) == _as_data(s.pending)
        s.discard()
        s.close()


def test_a_viewing_window_knows_the_file_is_held_elsewhere_until_it_is_closed(district):
    with Store.open(district) as a, Store.open(district) as b:
        assert not held_elsewhere(b)
        first = EditSession(a)  # the first window: its slot taken at open, nothing edited
        assert held_elsewhere(b)
        with pytest.raises(InUseError, match="is open in another citymgr window"):
            EditSession(b)
        first.close()
        assert not held_elsewhere(b)
        EditSession(b).close()


def test_asking_whether_the_file_is_held_elsewhere_reads_no_journal(district, monkeypatch):
    """The file watch asks each second: the other window's journal (megabytes after a long
    session) is not read, its lock alone answers."""
    from citymgr_desktop.core.editing import journal as editing_journal

    with Store.open(district) as a, Store.open(district) as b:
        first = EditSession(a)
        uuid = a.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        first.set_value("litter_bin", uuid, "name", "held")  # the journal written

        def unread(*_args, **_kwargs):
            raise AssertionError("the journal was read")

        monkeypatch.setattr(editing_journal, "read_journal", unread)
        assert held_elsewhere(b)
        first.close()
        assert not held_elsewhere(b)
