"""Logins and connections of the app on a database: a wrong password is asked again, a
district role is asked its password and sees other districts read-only, a connection lost
during a read is one line and the next read connects again."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
)

from tests.ui.driver import answer, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL, select_bin, set_condition_in_form

pytestmark = pytest.mark.slow


def test_a_wrong_password_is_asked_again(qtbot, main_window, pg_cluster, published):
    from tests.ui.driver import _Answer

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE wang_wu LOGIN PASSWORD 'pw-wang'")
    pg_cluster.psql(dbname, "GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO wang_wu")
    prompts = []
    later: list[_Answer] = []

    def type_password(text):
        def fill(dialog):
            prompts.append(dialog.labelText())
            if text == "wrong":  # the right one goes into the prompt that follows
                later.append(_Answer(qtbot, "OK", type_password("pw-wang"), QDialog,
                                     "Database password"))
                later[0].timer.start()
            type_into(qtbot, dialog.findChild(QLineEdit), text)
        return fill

    try:
        with answer(qtbot, "OK", fill=type_password("wrong"), title="Database password"), \
                qtbot.waitSignal(w.mapLoaded, timeout=60_000):
            assert w.open_file(pg_cluster.url(dbname, "wang_wu"))
    finally:
        for job in later:
            job.timer.stop()
    assert len(prompts) == 2 and "refused" in prompts[1] and "refused" not in prompts[0]
    assert w.store.is_database and w.store.conn.info.user == "wang_wu"


def test_a_district_role_is_asked_its_password_and_sees_other_districts_read_only(
        qtbot, main_window, pg_cluster, published, shots):
    from citymgr_desktop.core.store.postgis.grant import grant

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE li_si LOGIN PASSWORD 'pw-li'")
    grant(published, "li_si", "粮道街道")
    as_li = pg_cluster.url(dbname, "li_si")  # no password: libpq has none, the app asks
    QSettings().setValue("user/name_of_login/li_si", "李四")  # her 修改人: not asked at the edit

    def type_password(dialog):
        type_into(qtbot, dialog.findChild(QLineEdit), "pw-li")

    with answer(qtbot, "OK", fill=type_password, title="Database password"), \
            qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(as_li)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    assert "pw-li" not in str(QSettings().value("files/recent"))
    district = lambda u: w.edit_session.row("litter_bin", u)["district"]  # noqa: E731
    select_bin(qtbot, w, where=lambda u: district(u) != "粮道街道")
    seen = {}

    def look(form):
        seen["read_only"] = form.read_only
        shots("read-only-form", form)
        seen["note"] = form.findChild(QLabel, "form_read_only").text()

    with answer(qtbot, "Close", fill=look):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["read_only"] and "granted to you" in seen["note"]
    bins = w.map_data.layer("litter_bin")
    own = next(bins.key(i) for i in range(bins.count) if district(bins.key(i)) == "粮道街道")
    w.selection.set_selection("litter_bin", [own])
    set_condition_in_form(qtbot, w, 2 if w.edit_session.row("litter_bin", own)["condition"]
                          != 2 else 3)  # its own 街道: the form edits
    assert w.edit_session.dirty


def test_a_connection_lost_during_a_read_is_one_line_and_the_next_read_connects_again(
        qtbot, db_window):
    w = db_window
    _uuid, _x, _y = select_bin(qtbot, w)
    with psycopg.connect(w.store.target) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (w.store.conn.info.backend_pid,))
    seen = {}
    with answer(qtbot, None, fill=lambda box: (seen.update(text=box.text()), box.accept()),
                kind=QMessageBox):
        press(qtbot, w, Qt.Key.Key_E, CTRL)  # the form reads the asset
    assert "the connection to the database was lost" in seen["text"]
    assert "Traceback" not in seen["text"] and "\n" not in seen["text"].strip()
    with answer(qtbot, "Cancel", fill=lambda form: seen.update(form=form.read_only)):
        press(qtbot, w, Qt.Key.Key_E, CTRL)  # connected again: the form opens
    assert seen["form"] is False
