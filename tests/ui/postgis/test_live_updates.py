"""Live updates across a dropped connection (trial 5): the server ends every session
(``pg_terminate_backend``, as an administrator or a restart does); the window says in the
status bar that others' changes are not shown, reconnects by itself, and then shows what
another session committed while it was deaf (map, legend counts, identify panel) and what
is committed after."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import Qt

from tests.ui.driver import click_map, press
from tests.ui.scenarios.helpers import zoom_on_a_bin

pytestmark = pytest.mark.slow
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _identified_condition(w) -> str:
    top = w.identify_panel.topLevelItem(0)
    if top is None:
        return ""
    return {top.child(k).text(0): top.child(k).text(1)
            for k in range(top.childCount())}.get("Condition", "")


def _legend(w) -> list[str]:
    bins = w.layer_panel.topLevelItem(0)
    return [bins.child(i).text(0) for i in range(bins.childCount())]


def _good_count(w) -> int:
    good = next(t for t in _legend(w) if t.startswith("1 Good"))
    return int(good.rsplit("(", 1)[1].rstrip(")").replace(",", ""))


def test_live_updates_come_back_after_the_server_ends_the_connections(qtbot, db_window,
                                                                       shots):
    w = db_window
    url = w.store.target
    uuid, x, y = zoom_on_a_bin(
        qtbot, w, where=lambda u: w.edit_session.row("litter_bin", u)["condition"] == 1)
    press(qtbot, w, Qt.Key.Key_I, CTRL | ALT)  # identify
    click_map(qtbot, w, x, y)
    assert _identified_condition(w) == "1 Good"
    good = _good_count(w)
    notice = w.status_bar.notice
    assert not notice.isVisible()
    qtbot.wait(1500)  # the watcher listens
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
        assert ended >= 1
        # another session commits while the window cannot hear it
        admin.execute("UPDATE litter_bin SET condition = 5, version = version + 1 "
                      "WHERE asset_uuid = %s", (uuid,))
    qtbot.waitUntil(lambda: notice.isVisible(), timeout=5_000)
    assert notice.text() == "Live updates interrupted, reconnecting…"
    shots("interrupted", w)
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=20_000)  # reconnected by itself
    qtbot.waitUntil(lambda: _identified_condition(w) == "5 Critical", timeout=10_000)
    qtbot.waitUntil(lambda: _good_count(w) == good - 1, timeout=5_000)
    assert w.edit_session.row("litter_bin", uuid)["condition"] == 5
    shots("reconnected", w)
    qtbot.wait(500)
    with psycopg.connect(url) as other:  # and it hears commits again
        other.execute("UPDATE litter_bin SET condition = 1, version = version + 1 "
                      "WHERE asset_uuid = %s", (uuid,))
    qtbot.waitUntil(lambda: _identified_condition(w) == "1 Good", timeout=5_000)
    qtbot.waitUntil(lambda: _good_count(w) == good, timeout=5_000)
