"""The mouse wheel scrolls the asset form and does not change a drop-down or spin box it
passes over (trial 8: scrolling changed 垃圾分类 and 技术状况, and it was saved); a focused one
still changes by the wheel. Real wheel events, delivered as Qt delivers them (the window
system's, given to the widget under the pointer, then on to its parents)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog
from citymgr_desktop.ui.editing.bulk_edit_dialog import BulkEditDialog
from citymgr_desktop.ui.history.record_dialog import HistoryRecordDialog


@pytest.fixture
def store(small_district):
    s = Store.open(small_district)
    yield s
    s.close()


def _wheel(widget, notches: int = -1) -> None:
    """``notches`` turns of the wheel (negative: towards the user, "scroll down") with the
    pointer at the middle of ``widget``, through the window system as a mouse's are."""
    window = widget.window()
    pos = widget.mapTo(window, QPoint(widget.width() // 2, widget.height() // 2))
    QTest.wheelEvent(window.windowHandle(), QPointF(pos), QPoint(0, 120 * notches))
    QApplication.processEvents()


def _form(qtbot, store):
    uuid = store.conn.execute("SELECT asset_uuid FROM litter_bin WHERE condition = 3 "
                              "AND bin_type = 'recyclable' LIMIT 1").fetchone()[0]
    dlg = AssetFormDialog(None, sc.LITTER_BIN, store.get_row("litter_bin", uuid), lang="zh")
    qtbot.addWidget(dlg)
    dlg.resize(460, 360)  # shorter than the form: it scrolls
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_wheel_over_unfocused_dropdowns_scrolls_the_form_and_keeps_the_values(qtbot, store):
    dlg = _form(qtbot, store)
    scroll = dlg.findChild(QScrollArea).verticalScrollBar()
    dlg.editors["name"].setFocus()
    for name in ("bin_type", "condition", "capacity_l"):
        editor = dlg.editors[name]
        dlg.findChild(QScrollArea).ensureWidgetVisible(editor)
        before, at = editor.value(), scroll.value()
        _wheel(editor.inner, 1 if at == scroll.maximum() else -1)
        assert scroll.value() != at, name  # the wheel went on to the form's scroll area
        for notches in (-1, 1, -2, 2):
            _wheel(editor.inner, notches)
        assert editor.value() == before, name
        assert not editor.inner.hasFocus()
    dlg.accept()
    assert dlg.changed_values() == {}


def test_wheel_changes_a_focused_dropdown(qtbot, store):
    dlg = _form(qtbot, store)
    combo = dlg.editors["condition"].inner
    dlg.findChild(QScrollArea).ensureWidgetVisible(combo)
    dlg.activateWindow()
    combo.setFocus(Qt.FocusReason.TabFocusReason)  # as Tab gives it
    qtbot.waitUntil(combo.hasFocus)
    _wheel(combo, -1)
    assert dlg.editors["condition"].value() == 4


def test_record_and_bulk_dialogs_ignore_the_passing_wheel(qtbot, store):
    rec = HistoryRecordDialog(None, condition_now=3)
    qtbot.addWidget(rec)
    rec.show()
    qtbot.waitExposed(rec)
    rec.crew.setFocus()
    values = rec.values()
    for widget in (rec.date, rec.type, rec.before, rec.after, *rec.costs.values()):
        _wheel(widget, -1)
    assert rec.values() == values
    bulk = BulkEditDialog(None, sc.LITTER_BIN, 3)
    qtbot.addWidget(bulk)
    bulk.show()
    qtbot.waitExposed(bulk)
    field = bulk.field_box.currentData()
    _wheel(bulk.field_box, -1)
    assert bulk.field_box.currentData() == field
