"""Tab moves on from a multi-line text field of a form (trial 6: Tab inside 检查情况 typed
tab characters, and a keyboard user could not leave the field): the maintenance record
opened by its shortcut on a located bin."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.ui.driver import answer, press, type_into


def test_tab_leaves_the_observation_for_the_work_done(qtbot, small_window):
    w = small_window
    code = w.store.conn.execute("SELECT obj_code FROM litter_bin ORDER BY fid LIMIT 1"
                                ).fetchone()[0]
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, code)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # the bin selected (its history shown)
    seen: dict[str, object] = {}

    def fill(dialog) -> None:
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
        qtbot.mouseClick(dialog.observation.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.observation, "lid broken")
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen["after_tab"] = QApplication.focusWidget()
        qtbot.keyClicks(QApplication.focusWidget(), "lid replaced")
        seen["texts"] = (dialog.observation.toPlainText(), dialog.work_done.toPlainText())
        dialog.reject()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier
              | Qt.KeyboardModifier.ShiftModifier)
    assert seen["texts"] == ("lid broken", "lid replaced")
