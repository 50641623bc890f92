"""The map read again after a save or another program's commit (``notify_data_changed``,
``ui/shell/map_loading.py``) shows every change, however the reads overlap: a read still
under way when the next change comes (a slow disk holds it: ``slow_reload``) does not, on
ending late, put back what the next one showed.
The real window, another process changing the file, F5 to ask the file at once."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from tests.core.sync_support import uuids
from tests.ui.driver import press
from tests.ui.scenarios.test_outside_writes import citymgr

pytestmark = pytest.mark.slow
WAIT = 30_000


@pytest.fixture
def slow_reload(monkeypatch):
    """The map's first read again waits, its layers read, until ``gate.set()`` (set at the
    end of the test too), checking for Cancel every 10 ms; ``held`` is set once it waits."""
    from citymgr_desktop.ui.shell import map_loading

    gate, held, real = threading.Event(), threading.Event(), map_loading._reload

    def slow(open_reader, data, tables, progress):
        result = real(open_reader, data, tables, progress)
        if not held.is_set():
            held.set()
            while not gate.wait(0.01):
                progress.check()
        return result

    monkeypatch.setattr(map_loading, "_reload", slow)
    yield gate, held
    gate.set()


def condition_drawn(w, layer: str, uuid: str) -> int:
    """The condition class the window's map draws the asset ``uuid`` of ``layer`` in."""
    data = w.map_data.layer(layer)
    return int(data.category[data.indices_of([uuid])[0]])


def set_outside(path, layer: str, uuid: str, condition: int) -> None:
    citymgr("edit", path, "--layer", layer, "--where", f"asset_uuid = '{uuid}'",
            "--set", f"condition={condition}", "--user", "terminal")


def test_a_read_ending_after_the_next_one_does_not_undo_its_layers(
        qtbot, window_in, district, slow_reload):
    gate, held = slow_reload
    w = window_in(None, district)
    bin_ = uuids(district, "litter_bin", "condition = 1", limit=1)[0]
    bridge = uuids(district, "bridge", "condition = 1", limit=1)[0]
    reloads: list[set[str]] = []
    w.dataChanged.connect(reloads.append)

    set_outside(district, "litter_bin", bin_, 5)
    press(qtbot, w, Qt.Key.Key_F5)  # the file asked at once: read again (held)
    qtbot.waitUntil(held.is_set, timeout=WAIT)
    set_outside(district, "bridge", bridge, 4)
    qtbot.waitUntil(lambda: len(reloads) >= 1, timeout=WAIT)
    press(qtbot, w, Qt.Key.Key_F5)  # the bridge's change: a second read
    qtbot.waitUntil(lambda: len(reloads) == 2, timeout=WAIT)
    # the second read ended, or waits for the first (two at once: the old way)
    qtbot.waitUntil(lambda: sum(t.is_running() for t in w._reloads) == 1, timeout=WAIT)
    gate.set()
    qtbot.waitUntil(lambda: not any(t.is_running() for t in w._reloads), timeout=WAIT)
    qtbot.wait(200)
    assert not any(t.is_running() for t in w._reloads)
    assert condition_drawn(w, "litter_bin", bin_) == 5
    assert condition_drawn(w, "bridge", bridge) == 4, "the late read undid the bridge's change"
