"""Field calculator: set a field to an expression for each selected asset (or each asset the
table shows), e.g. ``round(pci * 0.97, 1)`` or ``if(condition >= 4, '待修', null)``. Shows a
live preview on the first assets (named by object code and name) and refuses an expression
whose results break the field's domain before anything changes, naming the field by its
label and the value as written. The last field and expression of a layer come back together
(never the expression alone: trial 10 found one OK from renaming assets); Enter or
Ctrl+Enter in the expression is OK, Shift+Enter a new line.

The dialog says which assets it changes ("Applies to all 2,388 litter bins (nothing
selected)", or the selected ones) and its OK button the count ("Update 2,388"). With
nothing selected and the expression brought back from last time, Enter asks first (trial
11: Ctrl+I, Enter re-ran the last formula on a whole layer); a click on OK does not."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.editing.commands import calculate, editable_field
from citymgr_desktop.core.errors import CitymgrError, ValidationError
from citymgr_desktop.core.expression import FUNCTIONS, Expression, Fields
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.widgets.field_editors import display_value, explain

PREVIEW = 5
SCOPES = ("selected", "shown", "all")  # the selection / what the table shows / the layer


def example(f: sc.Field) -> str:
    """An expression for the placeholder, on ``f`` itself (the layer has it)."""
    if f.type is sc.FieldType.REAL:
        return f"round({f.name} * 0.97, 1)"
    if f.type is sc.FieldType.INTEGER:
        return f"{f.name} + 1"
    if f.type in (sc.FieldType.DATE, sc.FieldType.DATETIME):
        return "now()"
    return "'repair ' || obj_code"


class FieldCalculatorDialog(QDialog):
    def __init__(self, parent: QWidget | None, session: EditSession, layer: str,
                 uuids: list[str], lang: str = "en", scope: str = "selected") -> None:
        super().__init__(parent)
        self.setObjectName("field_calculator")
        self.session, self.layer, self.uuids, self.lang = session, layer, uuids, lang
        self.scope, self.typed = scope, False  # typed: the expression edited in this opening
        self.table = sc.table(layer)
        self.fields = Fields.for_table(self.table)
        self.setWindowTitle(self.tr("Field calculator: %1 %2").replace(
            "%1", f"{len(uuids):,}").replace("%2", self.table.label(lang)))
        self.target = QComboBox()
        self.target.setObjectName("calc_target")
        for f in self.table.fields:
            if not f.system and f.name != "obj_code":
                self.target.addItem(f"{f.label(lang)} ({f.name})", f.name)
        self.expression = QPlainTextEdit()
        self.expression.setObjectName("calc_expression")
        self.expression.setTabChangesFocus(True)  # Tab goes on to the next field
        self.expression.setMaximumHeight(90)
        self.expression.installEventFilter(self)
        last_field = QSettings().value(f"editing/calc_field/{layer}")
        if last_field is not None and self.target.findData(last_field) >= 0:
            self.target.setCurrentIndex(self.target.findData(last_field))
            self.expression.setPlainText(str(QSettings().value(
                f"editing/calc/{layer}", "") or ""))
        self.field_list = QListWidget()
        for f in self.table.fields:
            self.field_list.addItem(f.name)
            self.field_list.item(self.field_list.count() - 1).setToolTip(f.label(lang))
        self.field_list.itemDoubleClicked.connect(lambda item: self._insert(item.text()))
        self.function_list = QListWidget()
        for name in sorted(FUNCTIONS):
            self.function_list.addItem(f"{name}()")
        self.function_list.itemDoubleClicked.connect(
            lambda item: self._insert(item.text()[:-1] + "("))
        self.preview = QLabel()
        self.preview.setObjectName("calc_preview")
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel()
        self.error.setObjectName("calc_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.scope_label = QLabel(self._scope_text())
        self.scope_label.setObjectName("calc_scope")
        self.scope_label.setWordWrap(True)
        if scope != "selected":
            self.scope_label.setStyleSheet("font-weight: bold;")
        lists = QHBoxLayout()
        lists.addWidget(self.field_list)
        lists.addWidget(self.function_list)
        form = QFormLayout()
        form.addRow(self.tr("Field to set"), self.target)
        form.addRow(self.tr("Expression"), self.expression)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Update %1").replace("%1", f"{len(uuids):,}"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope_label)
        layout.addLayout(form)
        layout.addLayout(lists, 1)
        layout.addWidget(QLabel(self.tr("Preview (first assets):")))
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.expression.textChanged.connect(self._typed)
        self.target.currentIndexChanged.connect(lambda _i: self.update_preview())
        self.update_preview()
        self.resize(560, 520)

    def _scope_text(self) -> str:
        n, what = f"{len(self.uuids):,}", self.table.label(self.lang)
        if not self.lang.startswith("zh"):
            what = what[:1].lower() + what[1:]
        text = {"selected": self.tr("Applies to the %1 selected %2"),
                "shown": self.tr("Applies to the %1 %2 the attribute table shows (nothing "
                                 "selected)"),
                "all": self.tr("Applies to all %1 %2 (nothing selected)")}[self.scope]
        return text.replace("%1", n).replace("%2", what)

    def _typed(self) -> None:
        self.typed = True
        self.update_preview()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter / Ctrl+Enter in the expression press OK; Shift+Enter is a new line."""
        if watched is self.expression and event.type() == QEvent.Type.KeyPress and \
                isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.enter()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter outside the expression (the field list, a drop-down) as in it; on a
        focused button it presses that button, as ever."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not isinstance(self.focusWidget(), QPushButton):
            self.enter()
            return
        super().keyPressEvent(event)

    def enter(self) -> None:
        """Enter is OK, except on assets nobody selected with an expression brought back
        from last time: then it asks first (the OK button says the count; a click is
        meant)."""
        if self.scope == "selected" or self.typed or not self.update_preview():
            self.accept()
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.windowTitle(),
                          self._scope_text(), parent=self)
        box.setInformativeText(self.tr("Set %1 to “%2” (the expression of last time)?")
                               .replace("%1", self.target.currentText())
                               .replace("%2", self.text()))
        go = box.addButton(self.ok_button.text(), QMessageBox.ButtonRole.AcceptRole)
        back = box.addButton(self.tr("Back"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        if box.clickedButton() is go:
            self.accept()

    def _insert(self, text: str) -> None:
        self.expression.insertPlainText(text)
        self.expression.setFocus()

    def field_name(self) -> str:
        return str(self.target.currentData())

    def text(self) -> str:
        return self.expression.toPlainText().strip()

    def update_preview(self) -> bool:
        """Evaluate on the first assets; shows the values or the one-line problem."""
        text = self.text()
        self.error.setText("")
        self.expression.setPlaceholderText(self._example())
        if not text:
            self.preview.setText("")
            return False
        f: sc.Field | None = None
        try:
            f = editable_field(self.table, self.field_name())
            expr = Expression.compile(text, self.fields, want=None)
            sample = self.uuids[:PREVIEW]
            frame = self.session.frame(self.layer, sample, sorted(
                expr.used_fields | {f.name} | (NAMES & {x.name for x in self.table.fields})))
            results = expr.evaluate(frame).tolist()
            # the same checks as the real run (type, domain), on the preview's assets
            calculate(self.session, self.layer, sample, f.name, text)
        except CitymgrError as exc:
            self.preview.setText("")
            self.error.setText(self._refusal(f, exc))
            return False
        assert f is not None
        lines = []
        for (uuid, row), new in zip(frame.iterrows(), results, strict=True):
            new = None if pd.isna(new) else new  # NA -> empty
            lines.append(f"{_asset(row, str(uuid))}  {display_value(f, row[f.name], self.lang) or '∅'}"
                         f"  →  {display_value(f, new, self.lang) or '∅'}")
        self.preview.setText("\n".join(lines))
        return True

    def _example(self) -> str:
        try:
            return example(self.table.field(self.field_name()))
        except KeyError:
            return ""

    def _refusal(self, f: sc.Field | None, exc: CitymgrError) -> str:
        """The problem in one line; a value the field refuses with its label and as written
        (``-5``), the way the forms say it, not the core's ``litter_bin.capacity_l`` /
        ``-5.0``."""
        args = exc.args_
        first = args.get("first")
        refused = first.args_ if isinstance(first, ValidationError) else args
        if f is None or refused.get("field") != f.name or "allowed" not in refused:
            return i18n.render(exc)
        text = explain(f, refused.get("value"), exc, self.lang)
        if isinstance(first, ValidationError) and args.get("total", 1) > 1:
            text = self.tr("%1 of %2 results are not allowed; first: %3").replace(
                "%1", f"{args.get('bad_count', 1):,}").replace(
                "%2", f"{args.get('total', 1):,}").replace("%3", text)
        return text

    def accept(self) -> None:
        if not self.update_preview():
            if not self.error.text():
                self.error.setText(self.tr("Write an expression, e.g. %1").replace(
                    "%1", self._example()))
            return
        QSettings().setValue(f"editing/calc/{self.layer}", self.text())
        QSettings().setValue(f"editing/calc_field/{self.layer}", self.field_name())
        super().accept()

    def result_values(self) -> tuple[str, str]:
        """(field, expression) chosen."""
        return self.field_name(), self.text()



NAMES = {"obj_code", "name"}


def _asset(row: pd.Series, uuid: str) -> str:
    """A preview row's asset: its object code and name (the uuid's start without them)."""
    parts = [str(row[k]) for k in ("obj_code", "name")
             if k in row.index and not pd.isna(row[k]) and str(row[k]).strip()]
    return " ".join(parts) if parts else f"{uuid[:8]}…"
