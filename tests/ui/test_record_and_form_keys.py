"""Trial 10, a keyboard user in the real window:

- Add maintenance record (Ctrl+Shift+H) starts on the date, not on the read-only asset name
  (typing went nowhere); the date is one Tab stop typed as a whole date: "Tab, 12, Tab, 05"
  used to walk QDateEdit's year/month/day and send the rest into other fields;
- Esc in the asset form asks before dropping typed changes (Discard / Keep editing) and
  closes at once when nothing was typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.driver import CTRL, SHIFT, answer, press


def _bin(w):
    uuid = w.edit_session.select("litter_bin", "true")[0]
    w.selection.set_selection("litter_bin", [uuid])
    return uuid


def _within(widget, focus) -> bool:
    return focus is widget or (focus is not None and widget.isAncestorOf(focus))


def test_the_record_dialog_starts_on_the_date_and_tab_leaves_it(qtbot, small_window):
    w = small_window
    uuid = _bin(w)
    seen: dict[str, object] = {}

    def fill(dialog):
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
        focus = QApplication.focusWidget()
        seen["start"] = _within(dialog.date, focus)
        qtbot.keyClick(focus, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(focus, "2026-12-05")
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
        seen["after date"] = QApplication.focusWidget() is dialog.type
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen["then"] = QApplication.focusWidget() is dialog.crew
        qtbot.keyClick(dialog.crew, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(dialog.crew, "Crew 3")
        qtbot.keyClick(dialog.crew, Qt.Key.Key_Return)

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_H, CTRL | SHIFT)
    assert seen == {"start": True, "after date": True, "then": True}
    added = [d.new for d in w.edit_session.pending_for("maintenance_record") if d.new]
    assert [(r["asset_uuid"], r["record_date"], r["crew"]) for r in added] == \
        [(uuid, "2026-12-05", "Crew 3")]


def test_a_date_that_is_not_one_is_kept_and_refused(qtbot, small_window):
    w = small_window
    _bin(w)
    seen: dict[str, object] = {}

    def fill(dialog):
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
        line = QApplication.focusWidget()  # the date, where the dialog starts
        qtbot.keyClick(line, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(line, "12")  # half a date, then Tab as in QDateEdit
        qtbot.keyClick(line, Qt.Key.Key_Tab)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        seen["refused"] = (dialog.isVisible(), line.text(), dialog.error.text())
        dialog.reject()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_H, CTRL | SHIFT)
    open_, text, error = seen["refused"]
    assert open_ and text == "12" and "12" in error and "YYYY-MM-DD" in error
    assert not w.edit_session.dirty


def test_esc_in_the_asset_form_asks_before_dropping_typed_changes(qtbot, small_window):
    w = small_window
    uuid = _bin(w)
    name = w.edit_session.row("litter_bin", uuid)["name"]
    seen: dict[str, object] = {}

    def fill(form):
        edit = form.editors["name"].inner
        qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(edit, " typed")
        with answer(qtbot, "Keep editing", kind=QMessageBox) as asked:
            qtbot.keyClick(edit, Qt.Key.Key_Escape)
        seen["asked"] = asked.text
        seen["kept"] = (form.isVisible(), edit.text())
        with answer(qtbot, "Discard", kind=QMessageBox):
            qtbot.keyClick(edit, Qt.Key.Key_Escape)
        seen["closed"] = not form.isVisible()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["asked"] == "Discard your changes to this asset?"
    assert seen["kept"] == (True, f"{name} typed")
    assert seen["closed"] and w.edit_session.row("litter_bin", uuid)["name"] == name
    assert not w.edit_session.dirty

    def untouched(form):
        qtbot.keyClick(form.editors["name"].inner, Qt.Key.Key_Escape)  # nothing typed
        seen["at once"] = not form.isVisible()

    with answer(qtbot, fill=untouched):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["at once"]
