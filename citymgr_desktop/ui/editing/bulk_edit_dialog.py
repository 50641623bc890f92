"""Bulk edit: set one field to one value on every selected asset (e.g. the condition of 1,200
selected bins) as a single undoable step. The value editor follows the chosen field's domain;
"empty" clears the field. A number outside the field's range stays as typed, is named with
the allowed range, and OK refuses it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.editing.commands import to_value
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.widgets.field_editors import FieldEditor, create_editor, explain
from citymgr_desktop.ui.widgets.wheel_guard import guard_wheel


class BulkEditDialog(QDialog):
    def __init__(self, parent: QWidget | None, table: sc.Table, count: int,
                 lang: str = "en") -> None:
        super().__init__(parent)
        self.setObjectName("bulk_edit")
        self.table, self.count, self.lang = table, count, lang
        self.setWindowTitle(self.tr("Set a field on %1 assets").replace("%1", f"{count:,}"))
        self.field_box = QComboBox()
        self.field_box.setObjectName("bulk_field")
        guard_wheel(self.field_box)  # the value editor guards itself (field_editors)
        for f in table.fields:
            if not f.system and f.name != "obj_code":
                self.field_box.addItem(f"{f.label(lang)} ({f.name})", f.name)
        last = QSettings().value(f"editing/bulk_field/{table.name}")
        if last is not None and self.field_box.findData(last) >= 0:
            self.field_box.setCurrentIndex(self.field_box.findData(last))
        self.empty = QCheckBox(self.tr("Empty the field"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("bulk_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.form = QFormLayout()
        self.form.addRow(self.tr("Field"), self.field_box)
        self.editor: FieldEditor = create_editor(self.field(), lang, self)
        self.editor.changed.connect(self._edited)
        self.form.addRow(self.tr("New value"), self.editor)
        self.form.addRow("", self.empty)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.field_box.currentIndexChanged.connect(lambda _i: self._field_changed())
        self.empty.toggled.connect(lambda on: (self.editor.setEnabled(not on),
                                               self._update_summary()))
        self._update_summary()
        self.setMinimumWidth(420)  # the field's label and a message of the range in full
        self._value: Any = None

    def field(self) -> sc.Field:
        return self.table.field(str(self.field_box.currentData()))

    def _field_changed(self) -> None:
        old = self.editor
        self.editor = create_editor(self.field(), self.lang, self)
        self.form.replaceWidget(old, self.editor)
        old.deleteLater()
        self.editor.setEnabled(not self.empty.isChecked())
        self.editor.changed.connect(self._edited)
        self.error.hide()
        self._update_summary()

    def _edited(self) -> None:
        """A number outside the range is named as it is typed; fixed, the message goes."""
        problem = self.editor.problem()
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))
        self._update_summary()

    def _update_summary(self) -> None:
        f = self.field()
        text = self.tr("Sets %1 on %2 selected %3 as one undoable step.")
        self.summary.setText(text.replace("%1", f.label(self.lang)).replace(
            "%2", f"{self.count:,}").replace("%3", self.table.label(self.lang)))

    def value(self) -> Any:
        """The checked value after OK (None = empty the field)."""
        return self._value

    def values(self) -> dict[str, Any]:
        return {self.field().name: self._value}

    def accept(self) -> None:
        f = self.field()
        raw = None if self.empty.isChecked() else self.editor.value()
        if raw is None and not self.empty.isChecked():
            self.error.setText(self.tr("Choose a value, or tick “Empty the field”."))
            self.error.show()
            return
        try:
            self._value = to_value(self.table, f, raw, self.lang)
        except ValidationError as exc:
            self.error.setText(explain(f, raw, exc, self.lang))
            self.error.show()
            return
        QSettings().setValue(f"editing/bulk_field/{self.table.name}", f.name)
        super().accept()
