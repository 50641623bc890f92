"""Saving into a PostGIS database from the app: a condition edited in the asset form with
real input and Ctrl+S saved through the versioned save; a lost connection keeps the edits for
a retry; a killed session's edits are offered back and merged with what others saved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from tests.ui.driver import answer, press
from tests.ui.postgis.helpers import condition, edit_a_condition_1_bin, merge_dialog_reader
from tests.ui.scenarios.test_records_and_orders import CTRL

pytestmark = pytest.mark.slow


def test_an_edit_in_the_form_is_saved_into_the_database(qtbot, db_window, shots):
    w = db_window
    url = w.store.target
    assert w.store.is_database and w.edit_session is not None
    assert w.windowTitle().startswith("postgresql://")
    assert QSettings().value("files/recent")[0] == url  # no password in it
    uuid, version = edit_a_condition_1_bin(qtbot, w, 4)
    assert condition(url, uuid) == (1, version)  # not saved yet
    shots("edited", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert condition(url, uuid) == (4, version + 1)


def test_a_connection_lost_during_a_save_keeps_the_edits_for_a_retry(qtbot, db_window,
                                                                     database_journals):
    w = db_window
    url = w.store.target
    uuid, _version = edit_a_condition_1_bin(qtbot, w, 5)
    with psycopg.connect(url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (w.store.conn.info.backend_pid,))
    seen = {}
    with answer(qtbot, "OK", fill=lambda box: seen.update(text=box.text()),
                title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert "the connection was lost; nothing was saved" in seen["text"]
    assert "\n" not in seen["text"].strip()
    assert w.edit_session.dirty and condition(url, uuid)[0] == 1
    assert any('"condition":5' in p.read_text() for p in
               database_journals.glob("*.citymgr-journal"))  # kept for a crash too
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # the retry connects again and saves
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert condition(url, uuid)[0] == 5


def test_a_save_again_while_the_server_is_still_away_says_nothing_was_saved(
        qtbot, db_window, pg_cluster):
    """Trial 8: the second Ctrl+S while the server was down said only "cannot connect",
    not that nothing was saved (the edits kept for the retry), as the first did."""
    w = db_window
    url = w.store.target
    dbname = url.rsplit("/", 1)[1]
    uuid, _version = edit_a_condition_1_bin(qtbot, w, 5)
    pg_cluster.psql("postgres", f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
    try:
        pg_cluster.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    f"WHERE datname = '{dbname}'")
        said = []
        for _attempt in range(2):
            with answer(qtbot, "OK", fill=lambda box: said.append(box.text()),
                        title="Save edits"):
                press(qtbot, w, Qt.Key.Key_S, CTRL)
        assert "nothing was saved" in said[0], said
        assert "cannot connect to the database; nothing was saved" in said[1], said
        assert w.edit_session.dirty
    finally:
        pg_cluster.psql("postgres", f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # the server back: the retry saves
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert condition(url, uuid)[0] == 5


def test_the_lost_connection_dialog_in_chinese_shows_the_server_text_as_a_detail(
        qtbot, db_window):
    """In Chinese the sentence is Chinese and PostgreSQL's English comes after it, on its own
    line, as the server's message: not in parentheses inside the Chinese sentence."""
    from PySide6.QtWidgets import QDialogButtonBox

    from citymgr_desktop.ui import i18n

    w = db_window
    edit_a_condition_1_bin(qtbot, w, 5)  # the helper answers the form in English
    with psycopg.connect(w.store.target) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (w.store.conn.info.backend_pid,))
    seen = {}
    i18n.install("zh_CN")
    try:
        with answer(qtbot, QDialogButtonBox.StandardButton.Ok,
                    fill=lambda box: seen.update(text=box.text())):
            press(qtbot, w, Qt.Key.Key_S, CTRL)
    finally:
        i18n.install("en")
    sentence, server = seen["text"].strip().split("\n")
    assert sentence.endswith("：连接已断开，未保存任何内容。"), seen["text"]
    assert server == "服务器消息：terminating connection due to administrator command"
    assert w.edit_session.dirty


KILLED_EDITOR = """
import os, signal, sys
from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.store.postgis import PostgisStore
session = EditSession(PostgisStore.open(sys.argv[1]), user="killed")
session.set_values("litter_bin", sys.argv[2], {"condition": 4, "remarks": "kept"})
os.kill(os.getpid(), signal.SIGKILL)
"""


def _first_bin(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT asset_uuid FROM litter_bin WHERE retired_at IS NULL "
                            "ORDER BY fid LIMIT 1").fetchone()[0]


def test_edits_of_a_killed_session_are_offered_back_and_merged_with_others_saves(
        qtbot, main_window, published, database_journals, shots):
    uuid = _first_bin(published)
    root = str(Path(__file__).resolve().parents[3])
    killed = subprocess.run([sys.executable, "-c", KILLED_EDITOR, published, uuid],
                            env={**os.environ, "PYTHONPATH": root}, capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    journals = list(database_journals.glob("*.citymgr-journal"))
    assert len(journals) == 1 and "kept" in journals[0].read_text()
    assert "@" not in journals[0].name  # named by a digest, never the address
    with psycopg.connect(published) as other:  # others save meanwhile: another field, and
        other.execute("UPDATE litter_bin SET name = '别人改', remarks = 'theirs', "  # ours
                      "version = version + 1 WHERE asset_uuid = %s", (uuid,))
    seen: dict[str, object] = {}
    pick_mine = merge_dialog_reader(qtbot, shots, "restore", seen, "mine")

    def look(dialog) -> None:
        seen["said"] = dialog.findChildren(QLabel)[0].text()
        pick_mine(dialog)

    w = main_window
    with answer(qtbot, "Restore", fill=look, title="Restore unsaved edits", timeout=60_000), \
            qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(published)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    assert seen.pop("said").startswith("Unsaved edits of this database were found (Litter "
                                       "bins: 1 changed), last made at ")
    assert seen == {"rows": 1, "theirs": "theirs", "header": "In the database now"}
    assert w.edit_session.dirty
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(published) as conn:
        row = conn.execute("SELECT condition, name, remarks FROM litter_bin WHERE "
                           "asset_uuid = %s", (uuid,)).fetchone()
    assert row == (4, "别人改", "kept")  # theirs in the other field, ours where chosen
    assert "kept" not in "".join(p.read_text() for p in
                                 database_journals.glob("*.citymgr-journal"))
