"""The app on a PostGIS database (issue 14): opened like a file, a condition edited in the
asset form with real input, Ctrl+S saves through the database's versioned save; another
user's commit on the same field meanwhile brings the merge dialog, answered by its button.
Runs on the throwaway cluster of ``tests/pg`` (skipped where PostgreSQL is missing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTreeWidget,
)

from tests.pg.conftest import (  # noqa: F401  (fixtures)
    database_journals,
    pg_cluster,
    pg_url,
    published,
)
from tests.ui.driver import answer, choose_file, menu_item, pick, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL, select_bin, set_condition_in_form

pytestmark = pytest.mark.slow


@pytest.fixture
def db_window(qtbot, main_window, published):  # noqa: F811
    with qtbot.waitSignal(main_window.mapLoaded, timeout=60_000):
        assert main_window.open_file(published)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window


def _condition(url: str, uuid: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT condition, version FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone()


def test_an_edit_in_the_form_is_saved_into_the_database(qtbot, db_window, shots):
    w = db_window
    url = w.store.target
    assert w.store.is_database and w.edit_session is not None
    assert w.windowTitle().startswith("postgresql://")
    assert QSettings().value("files/recent")[0] == url  # no password in it
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    before = _condition(url, uuid)
    set_condition_in_form(qtbot, w, 4)
    assert _condition(url, uuid) == before  # not saved yet
    shots("edited", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert _condition(url, uuid) == (4, before[1] + 1)


def test_another_users_commit_on_the_same_field_gives_the_merge_dialog(qtbot, db_window,
                                                                      shots):
    w = db_window
    url = w.store.target
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)
    with psycopg.connect(url) as other:  # another user's session commits meanwhile
        other.execute("UPDATE litter_bin SET condition = 3, name = '别人改', version = "
                      "version + 1 WHERE asset_uuid = %s", (uuid,))
    seen = {}

    def fill(dialog):
        shots("merge", dialog)
        seen["rows"] = dialog.table.rowCount()
        seen["theirs"] = dialog.table.item(0, 3).text()
        seen["header"] = dialog.table.horizontalHeaderItem(3).text()
        pick(qtbot, dialog.boxes[0], "theirs")

    with answer(qtbot, "Merge and save", fill=fill, title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert seen == {"rows": 1, "theirs": "3 Mediocre", "header": "In the database now"}
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT condition, name FROM litter_bin WHERE asset_uuid = %s",
                           (uuid,)).fetchone()
    assert row == (3, "别人改")  # theirs kept, nothing lost


def test_another_users_save_of_another_field_merges_through_the_version_check(
        qtbot, db_window):
    w = db_window
    url = w.store.target
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    _cond, version = _condition(url, uuid)
    set_condition_in_form(qtbot, w, 4)
    assert w.edit_session.versions == {("litter_bin", uuid): version}  # what the edit read
    with psycopg.connect(url) as other:  # another user saves the name meanwhile
        other.execute("UPDATE litter_bin SET name = '别人改', version = version + 1 "
                      "WHERE asset_uuid = %s", (uuid,))
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # no dialog: different fields both land
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT condition, name, version FROM litter_bin WHERE "
                           "asset_uuid = %s", (uuid,)).fetchone()
    assert row == (4, "别人改", version + 2)


def test_a_save_landing_between_the_merge_and_the_write_brings_the_dialog_again(
        qtbot, db_window, shots):
    from tests.ui.driver import _Answer

    w = db_window
    url = w.store.target
    session = w.edit_session
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)

    def commit(value: int) -> None:
        with psycopg.connect(url) as other:
            other.execute("UPDATE litter_bin SET condition = %s, version = version + 1 "
                          "WHERE asset_uuid = %s", (value, uuid))

    commit(3)
    resolve = session.resolve

    def resolve_then_another_save(*args, **kwargs):  # the other save lands right after
        out = resolve(*args, **kwargs)               # the merge, before the write
        commit(2)
        return out

    session.resolve = resolve_then_another_save
    seen: list[str] = []
    second: list[_Answer] = []

    def keep_mine(dialog):
        seen.append(dialog.table.item(0, 3).text())
        pick(qtbot, dialog.boxes[0], "mine")
        second.append(_Answer(qtbot, "Merge and save", keep_theirs, QDialog, "Save edits"))
        second[0].timer.start()

    def keep_theirs(dialog):
        seen.append(dialog.table.item(0, 3).text())
        shots("merge-again", dialog)
        session.resolve = resolve
        pick(qtbot, dialog.boxes[0], "theirs")

    try:
        with answer(qtbot, "Merge and save", fill=keep_mine, title="Save edits"):
            press(qtbot, w, Qt.Key.Key_S, CTRL)
        qtbot.waitUntil(lambda: second and second[0].dialog is not None, timeout=10_000)
    finally:
        for job in second:
            job.timer.stop()
    assert not second[0].error
    assert seen == ["3 Mediocre", "2 Fair"]  # the second save's conflict is shown, not lost
    qtbot.waitUntil(lambda: not session.dirty, timeout=10_000)
    assert _condition(url, uuid)[0] == 2


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
        qtbot, main_window, published, database_journals, shots):  # noqa: F811
    uuid = _first_bin(published)
    root = str(Path(__file__).resolve().parents[2])
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
    seen = {}

    def look(dialog):
        shots("restore", dialog)
        seen["rows"] = dialog.table.rowCount()
        seen["theirs"] = dialog.table.item(0, 3).text()
        seen["header"] = dialog.table.horizontalHeaderItem(3).text()
        pick(qtbot, dialog.boxes[0], "mine")

    w = main_window
    with answer(qtbot, "Restore", fill=look, title="Restore unsaved edits", timeout=60_000), \
            qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(published)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
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


def test_a_connection_lost_during_a_save_keeps_the_edits_for_a_retry(qtbot, db_window,
                                                                     database_journals):  # noqa: F811
    w = db_window
    url = w.store.target
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 5)
    with psycopg.connect(url) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (w.store.conn.info.backend_pid,))
    seen = {}
    with answer(qtbot, "OK", fill=lambda box: seen.update(text=box.text()),
                title="Save edits"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert "the connection was lost; nothing was saved" in seen["text"]
    assert "\n" not in seen["text"].strip()
    assert w.edit_session.dirty and _condition(url, uuid)[0] == 1
    assert any('"condition":5' in p.read_text() for p in
               database_journals.glob("*.citymgr-journal"))  # kept for a crash too
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # the retry connects again and saves
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert _condition(url, uuid)[0] == 5


def test_locate_by_object_code_and_sub_district_on_a_database(qtbot, db_window):
    w = db_window
    uuid = w.edit_session.select("litter_bin", "true")[7]
    values = w.store.get_row("litter_bin", uuid)
    box = w.property("locate_box")
    press(qtbot, w, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(box.hasFocus)
    type_into(qtbot, box, values["obj_code"])
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert w.selection.all() == {"litter_bin": [uuid]}
    ext = w.canvas.extent()
    geom = values["geom"]
    assert ext[0] < geom.x < ext[2] and ext[1] < geom.y < ext[3] and ext[2] - ext[0] < 500
    type_into(qtbot, box, values["district"])
    qtbot.keyClick(box, Qt.Key.Key_Return)
    (bbox, _n), = w.store.asset_extents_by("district", w.map_data.names(),
                                           district=values["district"]).values()
    ext = w.canvas.extent()
    assert ext[0] <= bbox[0] and ext[2] >= bbox[2] and ext[1] <= bbox[1] and ext[3] >= bbox[3]


def test_a_wrong_password_is_asked_again(qtbot, main_window, pg_cluster, published):  # noqa: F811
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


def test_print_map_on_a_database_previews_and_writes_a_pdf_and_an_atlas(qtbot, db_window,
                                                                        tmp_path, shots):
    from pypdf import PdfReader
    from PySide6.QtGui import QAction

    from citymgr_desktop.ui.printing.dialog import PrintDialog

    w = db_window
    action = w.findChild(QAction, "action_print_map")
    assert action.isEnabled()
    press(qtbot, w, Qt.Key.Key_P, CTRL)
    dialog = w.findChild(PrintDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.preview_report is not None or bool(dialog.last_error),
                    timeout=30_000)
    assert dialog.preview_report is not None, dialog.last_error
    shots("print-dialog", dialog)
    out = tmp_path / "map.pdf"
    QSettings().setValue("printing/folder", str(tmp_path))  # the folder chosen last time
    with qtbot.waitSignal(dialog.exported, timeout=60_000), \
            answer(qtbot, None, fill=choose_file(qtbot, out), kind=QFileDialog):
        qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    assert len(PdfReader(str(out)).pages) == 1
    dialog.options.atlas.setCurrentIndex(dialog.options.atlas.findData("district"))
    atlas = tmp_path / "atlas.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=120_000):
        dialog.export_to(str(atlas), ".pdf")
    assert len(PdfReader(str(atlas)).pages) == len(w.store.districts())
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(atlas),
                    str(shots.folder / "atlas-page")], check=True)  # to look at
    dialog.close()


def test_a_work_order_made_moved_with_a_photo_and_exported_on_a_database(qtbot, db_window,
                                                                        tmp_path, shots):
    from pypdf import PdfReader

    from tests.ui.driver import drag_map, map_point
    from tests.ui.scenarios.helpers import zoom_on_a_bin
    from tests.ui.scenarios.test_records_and_orders import ALT, PNG, order_row

    w = db_window
    url = w.store.target
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)
    c = map_point(w, x, y)
    drag_map(qtbot, w, c - QPoint(120, 100), c + QPoint(120, 100))
    n = sum(len(v) for v in w.selection.all().values())
    assert n >= 2
    with answer(qtbot, "OK", fill=lambda d: type_into(qtbot, d.title, "垃圾箱清洗"),
                title="New work order"):
        menu_item(qtbot, w, "workorder", "New work order")
    case = w.edit_session.commands.undo_label().split()[-1]
    w.dock("workorders_dock").show()
    w.dock("workorders_dock").raise_()
    table, pos = order_row(w, case)
    qtbot.waitUntil(table.isVisible)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.findChild(QDialog, "workOrderDetail") is not None)
    detail = w.findChild(QDialog, "workOrderDetail")
    for target in ("filed", "dispatched"):
        with answer(qtbot, "OK", fill=lambda d, t=target: pick(qtbot, d.target, t)):
            qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)
    photo = tmp_path / "dispatch.png"
    photo.write_bytes(PNG)
    QSettings().setValue("workorders/photo_dir", str(tmp_path))
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(detail.attach_button, Qt.MouseButton.LeftButton)
    assert detail.photos.count() == 1
    shots("order-detail", detail)
    qtbot.mouseClick(detail.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # order, events, links, photo: one transaction
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(url) as conn:
        order_uuid, state = conn.execute("SELECT work_order_uuid, state FROM work_order "
                                         "WHERE case_no = %s", (case,)).fetchone()
        links = conn.execute("SELECT count(*) FROM work_order_asset WHERE "
                             "work_order_uuid = %s", (order_uuid,)).fetchone()[0]
        events = conn.execute("SELECT count(*) FROM work_order_event WHERE "
                              "work_order_uuid = %s", (order_uuid,)).fetchone()[0]
        photos = conn.execute("SELECT count(*) FROM attachment WHERE owner_uuid = %s",
                              (order_uuid,)).fetchone()[0]
    assert (state, links, events, photos) == ("dispatched", n, 3, 1)
    table, pos = order_row(w, case)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    out = tmp_path / "orders.pdf"

    def fill(dialog):
        dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
        type_into(qtbot, dialog.path, str(out))
        dialog.with_map.setChecked(True)

    with answer(qtbot, "OK", fill=fill, title="Export work orders"):
        menu_item(qtbot, w, "workorder", "Export work orders")
    qtbot.waitUntil(lambda: "Exported" in w.status_bar.currentMessage(), timeout=60_000)
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert case in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                    str(shots.folder / "order-pdf")], check=True)  # to look at


def test_a_photo_attached_to_a_record_in_the_history_panel_on_a_database(qtbot, db_window,
                                                                         tmp_path, shots):
    from citymgr_desktop.core import history
    from tests.ui.scenarios.test_records_and_orders import PNG, add_record

    w = db_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: bool(history.records(w.store, u)))
    tree = w.findChild(QTreeWidget, "historyRecords")
    w.dock("history_dock").show()
    w.dock("history_dock").raise_()
    qtbot.waitUntil(tree.isVisible)
    before = tree.topLevelItemCount()
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    record = tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole)
    photo = tmp_path / "site-photo.png"
    photo.write_bytes(PNG)
    QSettings().setValue("history/attach_dir", str(tmp_path))
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(w.findChild(QPushButton, "historyAttach"), Qt.MouseButton.LeftButton)
    thumbs = w.findChild(QListWidget, "history_photos")
    assert "site-photo.png" in [thumbs.item(i).text() for i in range(thumbs.count())]
    add_record(qtbot, w, shots, after=2)
    assert tree.topLevelItemCount() == before + 1
    shots("history-panel", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(w.store.target) as conn:
        names = [r[0] for r in conn.execute("SELECT file_name FROM attachment WHERE "
                                            "owner_uuid = %s", (record,))]
        records = conn.execute("SELECT count(*) FROM maintenance_record WHERE asset_uuid = "
                               "%s", (uuid,)).fetchone()[0]
    assert "site-photo.png" in names and records == before + 1
    assert w.findChild(QTreeWidget, "historyRecords").topLevelItemCount() == before + 1


def _bin_xy(w, uuid: str) -> tuple[float, float]:
    bins = w.map_data.layer("litter_bin")
    i = next(i for i in range(bins.count) if bins.key(i) == uuid)
    point = bins.pieces["point"]
    x, y = point.coords[point.piece_start[point.feature_piece[i]]]
    return float(x), float(y)


def _table_condition(w, uuid: str) -> str | None:
    model = w.installed_features["editing"].table.model
    column = model.columns.index("condition")
    for row in range(model.rowCount()):
        if model.uuid_at(row) == uuid:
            return model.data(model.index(row, column))
    return None


def test_another_sessions_commit_shows_on_the_map_and_in_the_table(qtbot, db_window, shots):
    w = db_window
    w.dock("attribute_table_dock").show()
    w.selection.set_current_layer("litter_bin")
    table = w.installed_features["editing"].table
    qtbot.waitUntil(lambda: table.model is not None and table.model.rowCount() > 0,
                    timeout=20_000)
    uuid = table.model.uuid_at(0)
    x, y = _bin_xy(w, uuid)
    qtbot.wait(1500)  # the watcher listens
    with psycopg.connect(w.store.target) as other:
        other.execute("UPDATE litter_bin SET condition = 5, geom = ST_Translate(geom, 40, 0), "
                      "version = version + 1 WHERE asset_uuid = %s", (uuid,))
    qtbot.waitUntil(lambda: _bin_xy(w, uuid) == (x + 40, y), timeout=3_000)
    qtbot.waitUntil(lambda: (_table_condition(w, uuid) or "").startswith("5"), timeout=3_000)
    shots("after-others-commit", w)


def test_a_district_role_is_asked_its_password_and_sees_other_districts_read_only(
        qtbot, main_window, pg_cluster, published, shots):  # noqa: F811
    from citymgr_desktop.core.store.postgis.grant import grant

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    pg_cluster.psql(dbname, "CREATE ROLE li_si LOGIN PASSWORD 'pw-li'")
    grant(published, "li_si", "粮道街道")
    as_li = pg_cluster.url(dbname, "li_si")  # no password: libpq has none, the app asks

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


def test_a_field_package_out_of_the_database_and_back_in_the_app(qtbot, db_window, shots,
                                                                 tmp_path):
    """File > New field package… and File > Field sync… on a database, with real clicks and
    typing: the package is written, edited in the field while another user commits a change
    of the same field of another bin, and synced back: the field's edit lands, the other
    user's value is kept and the conflict is in the summary."""
    from citymgr_desktop.core import gpkg
    from citymgr_desktop.ui.sync.dialog import SyncDialog
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_DISTRICT, FieldPackageDialog
    from tests.ui.driver import menu_item, open_dialogs

    w = db_window
    url = w.store.target
    menu_item(qtbot, w, "file", "New field package…")
    qtbot.waitUntil(lambda: any(isinstance(d, FieldPackageDialog) for d in open_dialogs()),
                    timeout=5000)
    d = next(d for d in open_dialogs() if isinstance(d, FieldPackageDialog))
    out = tmp_path / "field" / "粮道.gpkg"
    out.parent.mkdir()
    type_into(qtbot, d.out, str(out))
    pick(qtbot, d.area, AREA_DISTRICT)
    pick(qtbot, d.district, text="粮道街道")
    type_into(qtbot, d.surveyor, "李四")
    with qtbot.waitSignal(d.created, timeout=120_000):
        qtbot.mouseClick(d.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    shots("checked-out", d)
    assert out.exists() and out.with_suffix(".qgz").exists()
    assert "粮道.gpkg" in d.message.text()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT name, surveyor FROM citymgr_field_package").fetchall() == \
            [("粮道.gpkg", "李四")]
    d.close()

    package = gpkg.connect(str(out))
    with package:
        mine, theirs = (r[0] for r in package.execute(
            "SELECT asset_uuid FROM litter_bin WHERE district = '粮道街道' ORDER BY fid LIMIT 2"))
        package.execute("UPDATE litter_bin SET remarks = '外业回传' WHERE asset_uuid = ?", (mine,))
        package.execute("UPDATE litter_bin SET remarks = '外业值' WHERE asset_uuid = ?",
                        (theirs,))
    package.close()
    with psycopg.connect(url) as other:  # another user meanwhile, the same field
        other.execute("UPDATE litter_bin SET remarks = '办公室值', version = version + 1 "
                      "WHERE asset_uuid = %s", (theirs,))

    menu_item(qtbot, w, "file", "Field sync…")
    qtbot.waitUntil(lambda: any(isinstance(d, SyncDialog) for d in open_dialogs()),
                    timeout=5000)
    s = next(d for d in open_dialogs() if isinstance(d, SyncDialog))
    assert not s.backup.isVisible() and not s.tabs.isTabEnabled(1)
    type_into(qtbot, s.package, str(out))
    with qtbot.waitSignal(s.synced, timeout=120_000):
        qtbot.mouseClick(s.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.busy(), timeout=60_000)
    shots("synced", s)
    assert s.report.status == "applied" and s.report.open_conflicts == 1
    notes = [s.summary.notes.item(i).text() for i in range(s.summary.notes.count())]
    assert any("办公室值" in n and "外业值" in n for n in notes), notes
    with psycopg.connect(url) as conn:
        remarks = dict(conn.execute("SELECT asset_uuid, remarks FROM litter_bin WHERE "
                                    "asset_uuid = ANY(%s)", ([mine, theirs],)).fetchall())
    assert remarks == {mine: "外业回传", theirs: "办公室值"}
    s.close()
