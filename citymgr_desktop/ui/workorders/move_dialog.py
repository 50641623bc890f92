"""Dialog to move a work order: only the states the state machine allows from its current
state are offered; who and why are asked for; the move that reports the work done (resolved)
asks for its result (OK stays disabled until it is given); dispatching names the disposal
unit (处置单位: the current one, a known one, a new one typed, or none when emptied); closing
also asks how to record the work."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.ui.i18n import label_language


class WorkOrderMoveDialog(QDialog):
    """Asks for the target state, who and why; :meth:`result_values` returns them."""

    def __init__(self, parent: QWidget | None, order: dict[str, Any], user: str,
                 units: list[str] | None = None) -> None:
        """``units``: the disposal units known in the file, offered at dispatching."""
        super().__init__(parent)
        lang = label_language()
        self.order = order
        self.setWindowTitle(self.tr("Move work order %1").replace("%1", order["case_no"]))
        form = QFormLayout()
        form.addRow(self.tr("Order"), QLabel(f"{order['case_no']} · {order['title']}"))
        form.addRow(self.tr("Current state"), QLabel(wf.label(order["state"], lang)))
        self.target = QComboBox()
        for s in wf.allowed_targets(order["state"]):
            self.target.addItem(wf.label(s, lang), s.value)
        form.addRow(self.tr("Move to"), self.target)
        self.unit = QComboBox()
        self.unit.setObjectName("orderUnit")
        self.unit.setEditable(True)
        self.unit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.unit.addItems(sorted({*(units or ()), *([order["assignee"]]
                                                     if order.get("assignee") else [])}))
        self.unit.setCurrentText(order.get("assignee") or "")
        self.unit.lineEdit().setPlaceholderText(self.tr("Department or crew (empty: none)"))
        self.unit.lineEdit().setClearButtonEnabled(True)
        form.addRow(self.tr("Disposal unit"), self.unit)
        self.by = QLineEdit(user)
        form.addRow(self.tr("By"), self.by)
        self.note = QPlainTextEdit()
        self.note.setFixedHeight(60)
        self.note.setTabChangesFocus(True)  # Tab goes on to the next field
        self.note_label = QLabel(self.tr("Note"))
        form.addRow(self.note_label, self.note)
        self.record_type = QComboBox()
        for c in dm.RECORD_TYPE.codes:
            self.record_type.addItem(c.label(lang), c.value)
        self.record_type.setCurrentIndex(self.record_type.findData("repair"))
        self.condition_after = QComboBox()
        self.condition_after.addItem(self.tr("(unchanged)"), None)
        for c in dm.CONDITION.codes:
            self.condition_after.addItem(f"{c.value} {c.label(lang)}", c.value)
        self.close_label = QLabel(self.tr("Closing writes a maintenance record for each asset "
                                          "of the order:"))
        self.close_label.setWordWrap(True)
        form.addRow(self.close_label)
        form.addRow(self.tr("Record type"), self.record_type)
        form.addRow(self.tr("Condition after"), self.condition_after)
        self.form = form
        self._close_rows = (self.close_label, self.record_type, self.condition_after)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        if not self.target.count():
            layout.addWidget(QLabel(self.tr("This order is %1: it cannot be moved any more.")
                                    .replace("%1", wf.label(order["state"], lang))))
            self.ok.setEnabled(False)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.note.textChanged.connect(self._update_ok)
        self._target_changed()

    def needs_result(self) -> bool:
        """True when the chosen move must report the result of the work (处置结果)."""
        return self.target.currentData() in {s.value for s in wo.NEEDS_RESULT}

    def _target_changed(self) -> None:
        closing = self.target.currentData() == wf.S.CLOSED.value
        self.form.setRowVisible(self.unit, self.target.currentData() == wf.S.DISPATCHED.value)
        for w in self._close_rows:
            self.form.setRowVisible(w, closing)
        if self.needs_result():
            self.note_label.setText(self.tr("Result (required)"))
            self.note.setPlaceholderText(self.tr("What was done (the result of the work); "
                                                 "closing records it for each asset"))
        else:
            self.note_label.setText(self.tr("Note"))
            self.note.setPlaceholderText(self.tr("Why (shown in the order's history)"))
        self._update_ok()

    def _update_ok(self) -> None:
        if not self.target.count():
            return
        missing = self.needs_result() and not self.note.toPlainText().strip()
        self.ok.setEnabled(not missing)
        self.error.setText(self.tr("Say what was done: the result is required for this move.")
                           if missing else "")

    def accept(self) -> None:
        if not self.by.text().strip():
            self.error.setText(self.tr("Say who makes the move."))
            return
        if self.needs_result() and not self.note.toPlainText().strip():
            return
        super().accept()

    def result_values(self) -> tuple[str, str, str | None, wo.CloseOptions, str | None]:
        """(target state, by, note, closing options, disposal unit when dispatching: ""
        when emptied, i.e. cleared)."""
        dispatching = self.target.currentData() == wf.S.DISPATCHED.value
        return (self.target.currentData(), self.by.text().strip(),
                self.note.toPlainText().strip() or None,
                wo.CloseOptions(record_type=self.record_type.currentData(),
                                condition_after=self.condition_after.currentData()),
                self.unit.currentText().strip() if dispatching else None)
