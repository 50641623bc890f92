"""What a first-time user tripped on in the app, driven through the real main window: the
notes the app writes are shown in the interface language, ..."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget

from citymgr_desktop.ui import i18n
from tests.ui.driver import answer, type_into


@pytest.fixture
def chinese(qapp):
    i18n.install("zh_CN")
    yield
    i18n.install("en")


def _open_detail(qtbot, w, case: str) -> QDialog:
    """Double-click the order's row in the work-order dock: its detail view."""
    w.dock("workorders_dock").show()
    w.dock("workorders_dock").raise_()
    table = w.findChild(QTableWidget, "workOrderTable")
    qtbot.waitUntil(table.isVisible)
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == case)
    table.scrollToItem(table.item(row, 0))
    pos = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.findChild(QDialog, "workOrderDetail") is not None)
    return w.findChild(QDialog, "workOrderDetail")


def test_the_created_note_is_chinese_in_the_detail_view(chinese, qtbot, small_window):
    w = small_window
    feat = w.installed_features["workorders"]
    uid = w.edit_session.select("litter_bin", "condition >= 1")[0]
    w.selection.set_selection("litter_bin", [uid])

    def fill(dialog) -> None:
        assert dialog.from_selection.isChecked()
        type_into(qtbot, dialog.title, "垃圾箱清洗")

    with answer(qtbot, QDialogButtonBox.StandardButton.Ok, fill=fill):
        qtbot.mouseClick(w.toolbar().widgetForAction(feat.new_action),
                         Qt.MouseButton.LeftButton)
    case = feat.list.selected_cases()[0]
    detail = _open_detail(qtbot, w, case)
    note = detail.timeline.topLevelItem(0).text(4)
    assert note and "asset(s)" not in note and "选" in note, note
    qtbot.mouseClick(detail.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)
