"""Dialog to extend an open work order's deadline (延期): the new deadline in office time
(starting at the current one, or at now when it has passed, as a hint line says) or, beside
it, the working days more (工作日, by the file's working calendar; the two stay in step),
and the reason, required (OK stays disabled and the hint stays until it is given); a
deadline that is not later is refused inline and the dialog stays open; one in a year the
calendar does not cover is warned about (its holidays count as working days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import format_local, parse_iso, to_local, to_utc
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import joined
from citymgr_desktop.core.workorders.deadlines import WorkCalendar
from citymgr_desktop.core.workorders.extend import (
    due_after,
    extension_start,
    working_days_granted,
    years_outside,
)
from citymgr_desktop.ui import i18n


class WorkOrderExtendDialog(QDialog):
    """Asks for the new deadline (or the working days more), who and why;
    :meth:`result_values` returns them. ``check(due, by, reason)`` plans the extension and
    raises the core's error, shown here; ``calendar`` is the file's working calendar and
    ``years`` the years it covers (``deadlines.calendar_years``)."""

    def __init__(self, parent: QWidget | None, order: dict[str, Any], user: str,
                 check: Callable[[dt.datetime, str, str], object],
                 calendar: WorkCalendar, years: Collection[int]) -> None:
        super().__init__(parent)
        self.order, self._check, self._calendar, self._years = order, check, calendar, years
        self.setWindowTitle(self.tr("Extend the deadline of %1").replace("%1", order["case_no"]))
        form = QFormLayout()
        form.addRow(self.tr("Order"), QLabel(f"{order['case_no']} · {order['title']}"))
        form.addRow(self.tr("Current deadline"), QLabel(format_local(order.get("deadline"))))
        start, deadline = extension_start(order), parse_iso(order.get("deadline"))
        self._start = start.replace(second=0, microsecond=0)
        self.due = QDateTimeEdit(QDateTime(to_local(self._start)))
        self.due.setObjectName("extendDue")
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.due.setCalendarPopup(True)
        self.days = QSpinBox()
        self.days.setObjectName("extendDays")
        self.days.setRange(0, 999)
        self.days.setPrefix("+ ")
        when = QHBoxLayout()
        when.addWidget(self.due, 1)
        when.addWidget(self.days)
        when.addWidget(QLabel(self.tr("working days")))
        form.addRow(self.tr("New deadline"), when)
        self.from_now = QLabel(self.tr("Overdue: the working days count from now."))
        self.from_now.setObjectName("extendFromNow")
        self.from_now.setVisible(deadline is not None and start != deadline)
        form.addRow("", self.from_now)
        self.by = QLineEdit(user)
        form.addRow(self.tr("By"), self.by)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("extendReason")
        self.reason.setFixedHeight(60)
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText(self.tr("Why it needs more time (shown in the order's "
                                               "history)"))
        form.addRow(self.tr("Reason (required)"), self.reason)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.warning = QLabel()
        self.warning.setObjectName("extendCalendarWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b9770e")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.reason.textChanged.connect(self._update_ok)
        self.due.dateTimeChanged.connect(self._due_changed)
        self.days.valueChanged.connect(self._days_changed)
        self._update_ok()

    def due_utc(self) -> dt.datetime:
        return to_utc(self.due.dateTime().toPython().replace(second=0, microsecond=0))

    def _due_changed(self, _when: QDateTime) -> None:
        """A date picked: show the working days it grants."""
        self.days.blockSignals(True)
        self.days.setValue(working_days_granted(self._calendar, self._start, self.due_utc()))
        self.days.blockSignals(False)
        self._update_ok()

    def _days_changed(self, days: int) -> None:
        """Working days typed: move the date by the calendar (same time of day)."""
        due = due_after(self._calendar, self._start, days)
        self.due.blockSignals(True)
        self.due.setDateTime(QDateTime(to_local(due)))
        self.due.blockSignals(False)
        self._update_ok()

    def _update_ok(self) -> None:
        """OK and the hint follow the reason; an earlier refusal is cleared by any change;
        the calendar warning follows the new deadline."""
        missing = not self.reason.toPlainText().strip()
        self.ok.setEnabled(not missing)
        self.error.setText(self.tr("Say why: the reason is required.") if missing else "")
        outside = years_outside(self._years, self._start, self.due_utc())
        self.warning.setText(self.tr(
            "The working calendar does not cover %1: its holidays count as working days. "
            "Add it in Work Orders › Working calendar…").replace(
                "%1", i18n.render(joined(outside))) if outside else "")

    def accept(self) -> None:
        by, reason = self.by.text().strip(), self.reason.toPlainText().strip()
        if not by:
            self.error.setText(self.tr("Say who extends the deadline."))
            return
        if not reason:
            return
        try:
            self._check(self.due_utc(), by, reason)
        except CitymgrError as exc:
            self.error.setText(i18n.render(exc))
            return
        super().accept()

    def result_values(self) -> tuple[dt.datetime, str, str]:
        """(new deadline as naive UTC, by, reason)."""
        return self.due_utc(), self.by.text().strip(), self.reason.toPlainText().strip()
