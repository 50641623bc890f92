"""Dialog to add or edit one maintenance record: date, type, crew, observation, work done,
condition before/after, costs, and whether the asset's condition follows the record.

From the keyboard (trial 10): the dialog starts on the date (the asset's name is shown, not a
Tab stop), and the date is the app's one date field (ui/widgets/date_edit.py): one Tab stop,
typed as a whole date (``2026-12-05``, ``2026/12/5``); Qt's QDateEdit moved by Tab through
year, month and day and jumped on by itself, so "Tab, 12, Tab, 05" landed in other fields.
A date that is not one is refused at OK by name. Esc after typing asks before it drops the
record, as the asset form does (trial 11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import office_today
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.widgets.date_edit import DateEdit
from citymgr_desktop.ui.widgets.discard_question import discard_asked
from citymgr_desktop.ui.widgets.field_editors import show_read_only
from citymgr_desktop.ui.widgets.prefilled_line_edit import PrefilledLineEdit
from citymgr_desktop.ui.widgets.wheel_guard import guard_wheel_in

SETTINGS_CREW = "history/last_crew"


class HistoryRecordDialog(QDialog):
    """Edits the values of a record; :meth:`values` returns them for ``core.history``."""

    def __init__(self, parent: QWidget | None = None, record: dict[str, Any] | None = None,
                 asset_label: str = "", condition_now: int | None = None) -> None:
        """``condition_now``: the asset's condition, what a new record's "before" starts at."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Edit maintenance record") if record else
                            self.tr("Add maintenance record"))
        lang = label_language()
        rec = record or {}
        form = QFormLayout()
        if asset_label:
            asset = QLineEdit(asset_label)
            show_read_only(asset)
            asset.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # selectable, not where typing goes
            form.addRow(self.tr("Asset"), asset)
        self.date = DateEdit()
        self.date.set_value(rec.get("record_date") or office_today())
        form.addRow(self.tr("Date"), self.date)
        self.type = QComboBox()
        for c in dm.RECORD_TYPE.codes:
            self.type.addItem(c.label(lang), c.value)
        self.type.setCurrentIndex(max(self.type.findData(rec.get("record_type", "inspection")),
                                      0))
        form.addRow(self.tr("Type"), self.type)
        self.crew = PrefilledLineEdit(rec.get("crew") or str(QSettings().value(SETTINGS_CREW,
                                                                                 "")))
        self.crew.setMaxLength(sc.MAINTENANCE_RECORD.field("crew").max_length or 100)
        form.addRow(self.tr("Crew"), self.crew)
        self.observation = QPlainTextEdit(rec.get("observation") or "")
        self.observation.setFixedHeight(60)
        self.observation.setTabChangesFocus(True)  # Tab goes on to the next field
        form.addRow(self.tr("Observation"), self.observation)
        self.work_done = QPlainTextEdit(rec.get("work_done") or "")
        self.work_done.setFixedHeight(60)
        self.work_done.setTabChangesFocus(True)
        form.addRow(self.tr("Work done"), self.work_done)
        self.before = self._condition_combo(rec.get("condition_before") if record else
                                            condition_now, lang)
        self.after = self._condition_combo(rec.get("condition_after"), lang)
        self.before_label, self.after_label = QLabel(), QLabel()
        form.addRow(self.before_label, self.before)
        form.addRow(self.after_label, self.after)
        self.type.currentIndexChanged.connect(self._name_conditions)
        self._name_conditions()
        self.costs = {}
        for name, label in (("labour_cost", self.tr("Labour cost (CNY)")),
                            ("material_cost", self.tr("Material cost (CNY)")),
                            ("equipment_cost", self.tr("Equipment cost (CNY)"))):
            spin = QDoubleSpinBox(decimals=2, maximum=1e9, singleStep=100)
            spin.setSpecialValueText(" ")  # 0 shows as empty: "not recorded"
            spin.setValue(float(rec.get(name) or 0))
            self.costs[name] = spin
            form.addRow(label, spin)
        self.update_condition = QCheckBox(self.tr("Set the asset's condition from this record "
                                                  "(when it is the newest)"))
        self.update_condition.setChecked(True)
        form.addRow("", self.update_condition)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.error = QLabel()
        self.error.setObjectName("record_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.date.line.setFocus()  # the first field that takes typing
        guard_wheel_in(self)  # the wheel changes the date, type, conditions, costs if focused
        self._original = rec
        self._shown = self.values()  # what Esc compares with before it asks

    def _name_conditions(self) -> None:
        """An inspection records the condition it found (``condition_after``) against the one
        the asset had (``condition_before``): its rows say so; other types keep before/after."""
        if self.type.currentData() == "inspection":
            self.before_label.setText(self.tr("Previous condition"))
            self.after_label.setText(self.tr("Condition found"))
        else:
            self.before_label.setText(self.tr("Condition before"))
            self.after_label.setText(self.tr("Condition after"))

    def _condition_combo(self, value: Any, lang: str) -> QComboBox:
        box = QComboBox()
        box.addItem(self.tr("(not assessed)"), None)
        for c in dm.CONDITION.codes:
            box.addItem(f"{c.value} {c.label(lang)}", c.value)
        idx = box.findData(value) if value is not None else 0
        box.setCurrentIndex(max(idx, 0))
        return box

    def values(self) -> dict[str, Any]:
        """The record's values as entered (only editable fields)."""
        out: dict[str, Any] = {
            "record_date": self.date.value(),
            "record_type": self.type.currentData(),
            "crew": self.crew.text().strip() or None,
            "observation": self.observation.toPlainText().strip() or None,
            "work_done": self.work_done.toPlainText().strip() or None,
            "condition_before": self.before.currentData(),
            "condition_after": self.after.currentData(),
        }
        for name, spin in self.costs.items():
            out[name] = spin.value() or None
        return out

    def accept(self) -> None:
        day = self.date.value()
        if day is None or len(day) != 10 or not _is_iso_date(day):
            self.error.setText(self.tr("Date: “%1” is not a date; write it as YYYY-MM-DD "
                                       "(e.g. 2026-12-05)").replace("%1", day or ""))
            self.error.show()
            self.date.line.setFocus()
            return
        if self.crew.text().strip():
            QSettings().setValue(SETTINGS_CREW, self.crew.text().strip())
        super().accept()


    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc after typing asks first (the asset form's question); with nothing typed it
        closes at once."""
        if event.key() == Qt.Key.Key_Escape and self.values() != self._shown and \
                not discard_asked(self, self.tr("Discard your changes to this maintenance "
                                                "record?")):
            return
        super().keyPressEvent(event)


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
