"""Other users' commits while the app edits a database: the same field brings the merge
dialog (again if another save lands between the merge and the write), another field merges
through the version check, and a commit shows on the map and in the attribute table."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.ui.driver import answer, pick, press
from tests.ui.postgis.helpers import condition, edit_a_condition_1_bin, merge_dialog_reader
from tests.ui.scenarios.test_records_and_orders import CTRL

pytestmark = pytest.mark.slow


def test_another_users_commit_on_the_same_field_gives_the_merge_dialog(qtbot, db_window,
                                                                      shots):
    w = db_window
    url = w.store.target
    uuid, _version = edit_a_condition_1_bin(qtbot, w, 4)
    with psycopg.connect(url) as other:  # another user's session commits meanwhile
        other.execute("UPDATE litter_bin SET condition = 3, name = '别人改', version = "
                      "version + 1 WHERE asset_uuid = %s", (uuid,))
    seen: dict[str, object] = {}
    fill = merge_dialog_reader(qtbot, shots, "merge", seen, "theirs")
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
    uuid, version = edit_a_condition_1_bin(qtbot, w, 4)
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
    uuid, _version = edit_a_condition_1_bin(qtbot, w, 4)

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
    assert condition(url, uuid)[0] == 2


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
