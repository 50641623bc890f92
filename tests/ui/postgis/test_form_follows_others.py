"""An open asset form follows another user's save of its asset (trial 8 fault 6: it kept
showing the old values): the fields not changed in the form show the saved values, a note
names who changed which, and the person's own change in the form is kept and saved."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.ui.driver import answer, pick, press
from tests.ui.postgis.helpers import condition
from tests.ui.scenarios.test_records_and_orders import CTRL, select_bin

pytestmark = pytest.mark.slow


def test_an_open_form_shows_another_users_save(qtbot, db_window, shots):
    w = db_window
    url = w.store.target
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    seen = {}

    def meanwhile(form):
        pick(qtbot, form.editors["condition"].inner, 2)  # the person's own change
        with psycopg.connect(url) as other:  # another user saves two other fields
            other.execute("UPDATE litter_bin SET name = '别人改', bin_type = 'hazardous', "
                          "updated_by = '李四', version = version + 1 WHERE asset_uuid = %s",
                          (uuid,))
        note = form.findChild(QLabel, "form_others_saved")
        qtbot.waitUntil(note.isVisible, timeout=15_000)
        seen.update(note=note.text(), name=form.editors["name"].value(),
                    bin_type=form.editors["bin_type"].value(),
                    condition=form.editors["condition"].value())
        shots("form-follows", form)

    with answer(qtbot, "OK", fill=meanwhile):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["name"] == "别人改" and seen["bin_type"] == "hazardous"
    assert seen["condition"] == 2  # changed in the form: kept
    assert seen["note"].startswith("Changed by 李四 since you opened this form:")
    assert "Name" in seen["note"] and "Condition" not in seen["note"]
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # no dialog: only the condition is the person's
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    assert condition(url, uuid)[0] == 2
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT name, bin_type FROM litter_bin WHERE asset_uuid = %s",
                            (uuid,)).fetchone() == ("别人改", "hazardous")
