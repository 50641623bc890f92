"""Two windows of one user on the same database (trial 5): each holds its own journal slot
from the moment it opens the database, so the second window's edit is kept and saved, never
refused after its user typed it ("… is open in another citymgr window")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.driver import press
from tests.ui.postgis.helpers import condition, edit_a_condition_1_bin
from tests.ui.scenarios.test_records_and_orders import CTRL

pytestmark = pytest.mark.slow


def test_a_second_window_on_the_database_edits_and_saves_beside_the_first(
        qtbot, window_in, published, database_journals):
    first = window_in(None, published)
    second = window_in(None, published)
    first_journal = first.edit_session.journal
    second_journal = second.edit_session.journal
    assert first_journal.path != second_journal.path  # a slot each, taken at open
    uuid_1, _ = edit_a_condition_1_bin(qtbot, first, 4)  # the first window edits first
    uuid_2, version_2 = edit_a_condition_1_bin(qtbot, second, 5)  # then the second
    assert second.edit_session.dirty  # its edit is kept, not refused
    assert second.edit_session.pending.get("litter_bin", uuid_2) is not None
    press(qtbot, second, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not second.edit_session.dirty, timeout=10_000)
    assert condition(second.store.target, uuid_2) == (5, version_2 + 1)
    assert first.edit_session.pending.get("litter_bin", uuid_1) is not None  # still its own
