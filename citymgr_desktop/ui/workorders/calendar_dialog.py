"""Dialog for the working calendar deadlines are counted on: one year's public holidays and
调休 working weekends, filled from the official calendar or edited day by day. OK stores
the whole calendar as one undoable command."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import office_today
from citymgr_desktop.core.model.workcalendar import official_days
from citymgr_desktop.core.workorders.deadlines import WorkCalendar


class WorkCalendarDialog(QDialog):
    """Edits a copy of the calendar; :attr:`holidays` and :attr:`workdays` hold the result."""

    def __init__(self, parent: QWidget | None, calendar: WorkCalendar, source: str = "",
                 year: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Working calendar"))
        self.holidays = set(calendar.holidays)
        self.workdays = set(calendar.workdays)
        self.year = QSpinBox()
        self.year.setRange(1990, 2100)
        self.year.setValue(year or office_today().year)
        self.year.valueChanged.connect(lambda _y: self._refresh())
        self.fill = QPushButton(self.tr("Fill the year from the official calendar"))
        self.fill.clicked.connect(self.fill_official)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Year")))
        top.addWidget(self.year)
        top.addStretch(1)
        top.addWidget(self.fill)
        self.holiday_list, self.workday_list = QListWidget(), QListWidget()
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.add_holiday = QPushButton(self.tr("Add holiday"))
        self.add_holiday.clicked.connect(lambda: self._add(self.holidays, self.workdays))
        self.add_workday = QPushButton(self.tr("Add working day"))
        self.add_workday.clicked.connect(lambda: self._add(self.workdays, self.holidays))
        self.remove = QPushButton(self.tr("Remove selected"))
        self.remove.clicked.connect(self._remove)
        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("Holidays")), 0, 0)
        grid.addWidget(QLabel(self.tr("Working weekend days (调休)")), 0, 1)
        grid.addWidget(self.holiday_list, 1, 0)
        grid.addWidget(self.workday_list, 1, 1)
        edit = QHBoxLayout()
        for w in (self.date, self.add_holiday, self.add_workday, self.remove):
            edit.addWidget(w)
        note = QLabel(self.tr("Deadlines count Monday to Friday, 08:30-12:00 and 14:00-17:30, "
                              "except holidays; working weekend days count too.")
                      + (f"\n{self.tr('Source:')} {source}" if source else ""))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addLayout(edit)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self._refresh()

    def _refresh(self) -> None:
        y = self.year.value()
        for widget, days in ((self.holiday_list, self.holidays),
                             (self.workday_list, self.workdays)):
            widget.clear()
            widget.addItems([d.isoformat() for d in sorted(days) if d.year == y])
        if self.date.date().year() != y:
            self.date.setDate(QDate(y, 1, 1))

    def fill_official(self) -> None:
        """Replace this year's days with the official calendar (holidays library)."""
        y = self.year.value()
        official = official_days([y])
        self.holidays = {d for d in self.holidays if d.year != y} | official.holidays
        self.workdays = {d for d in self.workdays if d.year != y} | official.workdays
        self._refresh()

    def _add(self, into: set[dt.date], other: set[dt.date]) -> None:
        q = self.date.date()
        day = dt.date(q.year(), q.month(), q.day())
        other.discard(day)  # one kind per day
        into.add(day)
        self.year.setValue(day.year)
        self._refresh()

    def _remove(self) -> None:
        for widget, days in ((self.holiday_list, self.holidays),
                             (self.workday_list, self.workdays)):
            for item in widget.selectedItems():
                days.discard(dt.date.fromisoformat(item.text()))
        self._refresh()
