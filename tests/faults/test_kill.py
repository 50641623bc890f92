"""``kill -9`` at a random point of every writing command (one kill each here; many in
``benchmarks/bench_faults.py``): the project passes SQLite's check and holds all of the
command's change or none of it, an output file is absent, the old one or complete, and the
temporary file a killed export left is removed by the next run."""

from __future__ import annotations

import os
import random

import pytest

from tests.faults.kill import (
    WRITERS,
    WRITERS_BY_NAME,
    kill_once,
    output_state,
    reference,
    run_child,
)
from tests.faults.support import leftovers

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name != "posix", reason="SIGKILL")]
SEED = int(os.environ.get("CITYMGR_KILL_SEED", "19"))


@pytest.mark.parametrize("name", [w.name for w in WRITERS])
def test_a_command_killed_at_a_random_point_leaves_all_or_nothing(name, fault_project,
                                                                  tmp_path):
    writer = WRITERS_BY_NAME[name]
    if writer.by_time or name in ("export pdf", "print-map", "report"):
        pytest.importorskip("PySide6.QtGui")
    ref, after = reference(fault_project, writer, tmp_path / "reference")
    rng = random.Random(f"{SEED}-{name}")
    outcome = kill_once(fault_project, writer, tmp_path / "killed", ref, after, rng,
                        output_state)
    assert not outcome.problems, f"{name} killed at {outcome.at}: {outcome.problems}"


def test_the_next_run_removes_what_a_killed_export_left(fault_project, tmp_path):
    pytest.importorskip("PySide6.QtGui")
    writer = WRITERS_BY_NAME["export pdf"]
    folder = tmp_path / "p"
    copy = fault_project.copy_to(folder)
    argv = [part.format(f=copy.master, d=folder) for part in writer.argv]
    killed = run_child(argv, "time", "0")  # killed while drawing: its .part file stays
    stale = folder / ".out.part-999999.pdf"  # and one of a process long gone
    stale.write_bytes(b"%PDF-1.4 half")
    assert killed.rc != 0
    done = run_child(argv)
    assert done.rc == 0, done.stderr
    assert output_state(folder / "out.pdf") == "complete"
    assert not leftovers(folder), leftovers(folder)
