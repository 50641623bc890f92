"""A date field that can be empty and is typed as people type dates.

Qt's ``QDateEdit`` edits a date section by section: with an "empty" special value, typed
dashes are refused, a selected whole date typed over keeps the old year (2019-03-05 over
2020-01-17 became 2020-03-05), and leaving the field can silently drop what was typed. This
editor is a line edit instead, like QGIS's attribute form for a text-stored date:

- what is typed stays as typed until the field is left, then reads as ISO ``YYYY-MM-DD``
  when it is a date in any common spelling (``2026-12-01``, ``2026/12/1``, ``2026.12.1``,
  ``20261201``, ``2026年12月1日``);
- text that is not a date stays visible, marked, and is what ``value()`` gives, so the
  form's validation names the field and nothing is dropped without a word;
- the calendar button opens at the shown date (or today), never at an empty 1900;
- the clear button empties it;
- the field is one stop of the Tab order (the buttons are the mouse's; from the keyboard
  Alt+Down or F4 opens the calendar, as in a drop-down), so Tab goes on to the next field.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

_SPELLINGS = (
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def parse_date(text: str) -> QDate | None:
    """The date ``text`` spells, or None when it is not a real date."""
    text = text.strip()
    for spelling in _SPELLINGS:
        m = spelling.fullmatch(text)
        if m:
            d = QDate(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d if d.isValid() else None
    return None


class DateEdit(QWidget):
    """An optional date: a line edit, a calendar button and a clear button.
    ``changed`` fires on every user change (typing, picking, clearing)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.line = QLineEdit()
        self.line.setPlaceholderText("YYYY-MM-DD")
        self.line.setMaxLength(20)
        self.line.textEdited.connect(self._typed)
        self.line.editingFinished.connect(self._tidy)
        self.line.installEventFilter(self)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        menu = QMenu(self)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(self.calendar)
        menu.addAction(holder)
        menu.aboutToShow.connect(self._open_calendar_at_shown_date)
        self.pick = QToolButton()
        self.pick.setText("▾")
        self.pick.setToolTip(self.tr("Pick a date"))
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.pick.setMenu(menu)
        self.clear = QToolButton()
        self.clear.setText("×")
        self.clear.setToolTip(self.tr("Clear the date"))
        self.clear.clicked.connect(self._cleared)
        for button in (self.pick, self.clear):  # not Tab stops (Tab from one came back)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(self.line, 1)
        row.addWidget(self.pick)
        row.addWidget(self.clear)
        # focus given to the field goes to its line; no focus proxy: with one, Tab from the
        # line came back to it (the container, next in the chain, handed focus to its proxy)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.line.setFocus(event.reason())

    # -- what it holds --------------------------------------------------------------------------
    def value(self) -> str | None:
        """ISO ``YYYY-MM-DD`` for a date, None when empty, the text as typed otherwise."""
        text = self.line.text().strip()
        if not text:
            return None
        d = parse_date(text)
        return d.toString("yyyy-MM-dd") if d is not None else text

    def set_value(self, value: object) -> None:
        """Show a stored value (an ISO date or timestamp, a date, or None)."""
        if value is None or (isinstance(value, float) and value != value):
            text = ""
        elif hasattr(value, "isoformat"):
            text = value.isoformat()[:10]
        else:
            text = str(value)
            d = parse_date(text[:10])
            text = d.toString("yyyy-MM-dd") if d is not None else text
        self.line.setText(text)
        self._mark()

    # -- reacting -------------------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        self._mark()
        self.changed.emit()

    def _tidy(self) -> None:
        d = parse_date(self.line.text())
        if d is not None and self.line.text() != d.toString("yyyy-MM-dd"):
            self.line.setText(d.toString("yyyy-MM-dd"))
            self.changed.emit()
        self._mark()

    def _mark(self) -> None:
        text = self.line.text().strip()
        bad = bool(text) and parse_date(text) is None
        self.line.setStyleSheet("QLineEdit { border: 1px solid #c0392b; }" if bad else "")
        self.line.setToolTip(self.tr("Not a date: write it as YYYY-MM-DD") if bad else "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Alt+Down or F4 in the field opens the calendar."""
        if watched is self.line and isinstance(event, QKeyEvent) and \
                event.type() == QEvent.Type.KeyPress:
            key = event
            if key.key() == Qt.Key.Key_F4 or (
                    key.key() == Qt.Key.Key_Down
                    and key.modifiers() & Qt.KeyboardModifier.AltModifier):
                self.pick.showMenu()
                return True
        return super().eventFilter(watched, event)

    def _open_calendar_at_shown_date(self) -> None:
        d = parse_date(self.line.text()) or QDate.currentDate()
        self.calendar.setSelectedDate(d)
        self.calendar.setCurrentPage(d.year(), d.month())

    def _picked(self, d: QDate) -> None:
        self.line.setText(d.toString("yyyy-MM-dd"))
        self._mark()
        menu = self.pick.menu()
        if menu is not None:
            menu.hide()
        self.changed.emit()

    def _cleared(self) -> None:
        if self.line.text():
            self.line.clear()
            self._mark()
            self.changed.emit()
