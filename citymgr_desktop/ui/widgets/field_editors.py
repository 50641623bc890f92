"""Editors built from the model's fields and domains, shared by the asset form, the bulk-edit
dialog and the attribute table: drop-downs for coded values with Chinese or English labels,
number fields for ranges that keep what is typed (ui/widgets/number_edit.py), date fields
(ui/widgets/date_edit.py), line edits with the field's length limit. Drop-downs change by the
wheel only when focused (ui/widgets/wheel_guard.py). :func:`explain` words a refused value
the same way in every dialog (field label, the value as typed, what is allowed).

Every editor is a :class:`FieldEditor` with ``value()`` / ``set_value()`` that speak the
stored values (codes, ISO dates, numbers, ``None`` for empty).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QPalette, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QWidget,
)

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.widgets.date_edit import DateEdit
from citymgr_desktop.ui.widgets.number_edit import NumberEdit
from citymgr_desktop.ui.widgets.wheel_guard import guard_wheel


def code_label(code: dm.Code, lang: str) -> str:
    """A code as a person reads it; graded numbers with their number ("4 差"), as the
    legend and identify show them, so 较差 (3) and 差 (4) are never mistaken."""
    label = code.zh if lang.startswith("zh") else code.en
    if isinstance(code.value, int) and not isinstance(code.value, bool):
        return f"{code.value} {label}"
    return label


def add_code_items(combo: QComboBox, domain: dm.CodedDomain, lang: str) -> None:
    """The codes of ``domain`` as items of ``combo``: the label a person reads (see
    :func:`code_label`), the stored code and the other language's label as its tooltip."""
    for code in domain.codes:
        other = code.en if lang.startswith("zh") else code.zh
        combo.addItem(code_label(code, lang), code.value)
        combo.setItemData(combo.count() - 1, f"{code.value} · {other}",
                          Qt.ItemDataRole.ToolTipRole)


def show_read_only(edit: QLineEdit, read_only: bool = True) -> None:
    """A line edit that refuses typing looks it: no frame, no background of its own (the text
    can still be selected and copied), like a label; the locked drop-downs and spin boxes
    beside it are greyed out by Qt."""
    edit.setReadOnly(read_only)
    edit.setFrame(not read_only)
    palette = QPalette(edit.palette()) if read_only else QPalette()
    if read_only:
        palette.setColor(QPalette.ColorRole.Base, Qt.GlobalColor.transparent)
    edit.setPalette(palette)


def display_value(f: sc.Field, value: Any, lang: str) -> str:
    """How a stored value reads in a table cell: labels for codes, trimmed numbers, times in
    office time as Identify and the exports show them (the stored UTC text would put another
    date on the same record)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if f.type is sc.FieldType.DATETIME and isinstance(value, str):
        return format_local_or_text(value)
    domain = f.get_domain()
    if isinstance(domain, dm.CodedDomain):
        for code in domain.codes:
            if code.value == value:
                return code_label(code, lang)
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


class FieldEditor(QWidget):
    """One field's editor. ``changed`` fires on every user change."""

    changed = Signal()

    def __init__(self, field: sc.Field, lang: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.lang = lang
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.inner = self._build()
        layout.addWidget(self.inner, 1)
        domain = field.get_domain()
        if isinstance(self.inner, NumberEdit) and isinstance(domain, dm.RangeDomain) and \
                domain.unit:
            layout.addWidget(QLabel(domain.unit))
        self.setFocusProxy(self.inner)
        tip = f"{field.zh} / {field.en} ({field.name})"
        if domain is not None:
            tip += "\n" + domain.describe(lang)
        if field.max_length:
            tip += "\n" + self.tr("At most %1 characters").replace("%1", str(field.max_length))
        self.setToolTip(tip)

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> QWidget:
        f = self.field
        domain = f.get_domain()
        if isinstance(domain, dm.CodedDomain):
            return self._combo(domain)
        if isinstance(domain, dm.RangeDomain) and f.type in (sc.FieldType.INTEGER,
                                                             sc.FieldType.REAL):
            number = NumberEdit(domain, f.type is sc.FieldType.INTEGER, self.lang)
            number.textEdited.connect(lambda _t: self.changed.emit())
            return number
        if f.type is sc.FieldType.DATE:
            return self._date()
        edit = QLineEdit()
        if f.max_length:
            edit.setMaxLength(f.max_length)
        if f.name == "obj_code":
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,16}")))
            edit.setPlaceholderText(self.tr("16 digits, assigned when empty"))
        elif f.type is sc.FieldType.INTEGER:
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"-?\d*")))
        elif f.type is sc.FieldType.REAL:
            edit.setValidator(QRegularExpressionValidator(
                QRegularExpression(r"-?\d*([.]\d*)?")))
        edit.textEdited.connect(lambda _t: self.changed.emit())
        return edit

    def _combo(self, domain: dm.CodedDomain) -> QComboBox:
        combo = QComboBox()
        if not self.field.required:
            combo.addItem(self.tr("(empty)"), None)
        add_code_items(combo, domain, self.lang)
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        guard_wheel(combo)
        return combo

    def _date(self) -> DateEdit:
        self.date = DateEdit()
        self.date.changed.connect(self.changed.emit)
        return self.date

    # -- values -------------------------------------------------------------------------------
    def value(self) -> Any:
        """The stored form of what is shown (None for empty); text as typed, unchecked."""
        w = self.inner
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, NumberEdit):
            return w.number()
        if isinstance(w, QLineEdit):
            text = w.text().strip()
            return text or None
        return self.date.value()

    def set_value(self, value: Any) -> None:
        w = self.inner
        blank = value is None or (isinstance(value, float) and value != value)
        if isinstance(w, QComboBox):
            i = w.findData(value) if not blank else w.findData(None)
            if i < 0 and not blank:  # a value outside the domain: show it, let validation say
                w.addItem(str(value), value)
                i = w.count() - 1
            w.setCurrentIndex(max(i, 0))
        elif isinstance(w, NumberEdit):
            w.set_number(None if blank else float(value))
        elif isinstance(w, QLineEdit) and self.field.system and \
                self.field.type is sc.FieldType.DATETIME:  # kept by the app: read in office time
            w.setText("" if blank else format_local_or_text(value))
        elif isinstance(w, QLineEdit):
            w.setText("" if blank else (f"{value:.10g}" if isinstance(value, float)
                                        else str(value)))
        else:
            self.date.set_value(None if blank else value)

    def problem(self) -> str | None:
        """What is wrong with what is shown, worded by :func:`explain` (a number outside its
        range, or no number), or None; the dialogs show it as it is typed."""
        w = self.inner
        if isinstance(w, NumberEdit) and not w.in_range():
            return explain(self.field, w.number(), None, self.lang)
        return None

    def set_read_only(self, read_only: bool) -> None:
        w = self.inner
        if isinstance(w, QLineEdit):
            show_read_only(w, read_only)
        else:
            w.setEnabled(not read_only)


def explain(f: sc.Field, raw: Any, exc: ValidationError | None, lang: str) -> str:
    """A refused value in the UI's language: the field's label (its name after it), the
    value as typed (-5, not -5.0), what is allowed; else the core's message ``exc``."""
    label = f"{f.label(lang)} ({f.name})"
    domain = f.get_domain()
    shown = f"{raw:.10g}" if isinstance(raw, float) else str(raw)
    if f.max_length and isinstance(raw, str) and len(raw) > f.max_length:
        return i18n.tr("%1: at most %2 characters are allowed, this has %3").replace(
            "%1", label).replace("%2", str(f.max_length)).replace("%3", str(len(raw)))
    if isinstance(domain, dm.CodedDomain) and raw is not None and not domain.contains(raw):
        return i18n.tr("%1: “%2” is not allowed. Allowed values: %3").replace(
            "%1", label).replace("%2", shown).replace("%3", domain.describe(lang))
    if isinstance(domain, dm.RangeDomain) and raw is not None:
        if not _is_number(raw):
            return i18n.tr("%1: “%2” is not a number. Allowed: %3").replace(
                "%1", label).replace("%2", shown).replace("%3", domain.describe(lang))
        if f.type is sc.FieldType.INTEGER and not float(raw).is_integer():
            return i18n.tr("%1: %2 must be a whole number. Allowed: %3").replace(
                "%1", label).replace("%2", shown).replace("%3", domain.describe(lang))
        if not domain.contains(float(raw)):
            return i18n.tr("%1: %2 is outside the allowed range %3").replace(
                "%1", label).replace("%2", shown).replace("%3", domain.describe(lang))
    return i18n.render(exc) if exc is not None else ""


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def create_editor(field: sc.Field, lang: str = "en", parent: QWidget | None = None) -> FieldEditor:
    """The editor for ``field`` (see the module docstring for which kind)."""
    return FieldEditor(field, lang, parent)


class FieldEditorDelegate(QStyledItemDelegate):
    """Cells of the attribute table edited with the field's own editor (drop-down, spin box,
    date picker, length-limited text). The model decides what is editable."""

    def __init__(self, lang: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lang = lang

    def _field(self, index: Any) -> sc.Field | None:
        """The cell's field: the model's ``field_of(index)`` where a row has its own field
        (a conflict list), else its ``field(column)``."""
        model = index.model()
        per_cell = getattr(model, "field_of", None)
        if per_cell is not None:
            return per_cell(index)
        getter = getattr(model, "field", None)
        return getter(index.column()) if getter else None

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        f = self._field(index)
        if f is None:
            return super().createEditor(parent, option, index)
        editor = FieldEditor(f, self.lang, parent)
        editor.setAutoFillBackground(True)
        return editor

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        if isinstance(editor, FieldEditor):
            editor.set_value(index.data(2))  # EditRole: the stored value
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:
        if isinstance(editor, FieldEditor):
            value = editor.value()
            if value != index.data(2):
                model.setData(index, value, 2)
        else:
            super().setModelData(editor, model, index)
