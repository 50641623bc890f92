"""The asset form's date field typed as people type dates, through real key presses: a new
date over an old one, a date typed without dashes, a date that does not exist (refused by
the form, naming the field, and not dropped), the calendar opening at the shown date, and
clearing. QDateEdit lost or changed typed dates here (2019-03-05 typed over 2020-01-17
became 2020-03-05; dashes were refused in an empty field)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMenu, QTableView

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog
from citymgr_desktop.ui.widgets.date_edit import parse_date


@pytest.fixture
def bin_row(small_district):
    s = Store.open(small_district)
    uuid = s.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
    row = s.get_row("litter_bin", uuid)
    s.close()
    row["install_date"] = "2020-01-17"
    return row


def _form(qtbot, row, new=False):
    dlg = AssetFormDialog(None, sc.LITTER_BIN, row, new=new, lang="en")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.activateWindow()
    qtbot.waitUntil(dlg.isActiveWindow, timeout=5000)
    return dlg, dlg.editors["install_date"].date


def _type_over(qtbot, date_field, text):
    qtbot.mouseClick(date_field.line, Qt.MouseButton.LeftButton)
    qtbot.keyClick(date_field.line, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    if text.isascii():
        qtbot.keyClicks(date_field.line, text)
    else:  # Chinese comes from an input method: its commit string, as a pinyin IME sends it
        event = QInputMethodEvent()
        event.setCommitString(text)
        QApplication.sendEvent(date_field.line, event)
    qtbot.keyClick(date_field.line, Qt.Key.Key_Tab)
    assert not date_field.line.hasFocus()  # Tab left the field, as a person leaves it


def test_a_date_typed_over_the_old_one_is_the_new_date(qtbot, bin_row):
    dlg, field = _form(qtbot, bin_row)
    assert field.line.text() == "2020-01-17"
    _type_over(qtbot, field, "2019-03-05")
    assert field.line.text() == "2019-03-05"
    dlg.accept()
    assert dlg.result() == AssetFormDialog.DialogCode.Accepted
    assert dlg.values() == {"install_date": "2019-03-05"}


@pytest.mark.parametrize("typed", ["20261201", "2026/12/1", "2026.12.01", "2026年12月1日"])
def test_common_spellings_in_an_empty_field_read_as_the_iso_date(qtbot, typed):
    dlg, field = _form(qtbot, {"district": "粮道街道"}, new=True)
    assert field.line.text() == ""
    _type_over(qtbot, field, typed)
    assert field.line.text() == "2026-12-01"
    dlg.editors["bin_type"].set_value("other")
    dlg.accept()
    assert dlg.values()["install_date"] == "2026-12-01"


def test_a_date_that_does_not_exist_is_kept_and_refused_by_name(qtbot, bin_row):
    dlg, field = _form(qtbot, bin_row)
    _type_over(qtbot, field, "2026-02-30")
    assert field.line.text() == "2026-02-30"  # kept as typed, not dropped
    assert "border" in field.line.styleSheet()  # and marked
    dlg.accept()
    assert dlg.result() != AssetFormDialog.DialogCode.Accepted and dlg.isVisible()
    assert "install_date" in dlg.error.text() and "2026-02-30" in dlg.error.text()
    _type_over(qtbot, field, "2026-02-28")
    assert field.line.styleSheet() == ""
    dlg.accept()
    assert dlg.values() == {"install_date": "2026-02-28"}


def test_the_calendar_opens_at_the_shown_date_and_picks(qtbot, bin_row):
    dlg, field = _form(qtbot, bin_row)
    seen = {}

    def in_the_popup():
        menu = QApplication.activePopupWidget()
        seen["menu"] = isinstance(menu, QMenu)
        cal = field.calendar
        seen["page"] = (cal.yearShown(), cal.monthShown())
        seen["selected"] = cal.selectedDate()
        view = cal.findChild(QTableView)
        model = view.model()
        cell = next(model.index(r, c) for r in range(1, model.rowCount())
                    for c in range(model.columnCount())
                    if model.index(r, c).data() == 20)  # the 20th of the month shown
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.visualRect(cell).center())
        if QApplication.activePopupWidget() is not None:  # never leave the test hanging
            QApplication.activePopupWidget().close()

    QTimer.singleShot(200, in_the_popup)
    qtbot.mouseClick(field.pick, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "page" in seen)
    assert seen == {"menu": True, "page": (2020, 1), "selected": QDate(2020, 1, 17)}
    qtbot.waitUntil(lambda: field.line.text() == "2020-01-20")
    assert QApplication.activePopupWidget() is None
    qtbot.mouseClick(field.clear, Qt.MouseButton.LeftButton)
    assert field.line.text() == ""
    dlg.accept()
    assert dlg.values() == {"install_date": None}


def test_parse_date_refuses_what_is_not_a_date():
    assert parse_date("2026-13-01") is None and parse_date("yesterday") is None
    assert parse_date(" 2026-1-2 ") == QDate(2026, 1, 2)


def test_tab_goes_from_the_date_to_the_next_field_and_alt_down_opens_the_calendar(
        qtbot, bin_row):
    """The date is one Tab stop (trial 6: Tab from its calendar button came back to the
    date's text, so the keyboard never reached 技术状况); Alt+Down opens the calendar."""
    dlg, field = _form(qtbot, bin_row)
    qtbot.mouseClick(field.line, Qt.MouseButton.LeftButton)
    stops = []
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    assert not any(w is field or field.isAncestorOf(w) for w in stops), stops
    assert len(set(map(id, stops))) == 3  # three other fields, none twice
    qtbot.mouseClick(field.line, Qt.MouseButton.LeftButton)
    menu = field.pick.menu()
    seen: list[QDate] = []
    poll = QTimer()  # the calendar runs its own loop while it is open: read it, close it

    def look() -> None:
        if menu.isVisible():
            poll.stop()
            seen.append(field.calendar.selectedDate())
            menu.hide()

    poll.timeout.connect(look)
    poll.start(20)
    qtbot.keyClick(field.line, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(seen), timeout=3000)
    poll.stop()
    assert seen == [QDate(2020, 1, 17)]
    dlg.reject()
