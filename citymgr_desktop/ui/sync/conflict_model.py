"""The table model of open sync conflicts: layer, asset, field, what happened, the ancestor,
master and field values, and the person's choice per row (ancestor / master / field / edit,
with the edited value). ``ChoiceDelegate`` offers only the choices that make sense for the
row (in the model's module: it is the model's editor, not a widget of its own). An edited
value the field does not allow stays marked, with the asset form's words (``explain``) as
its tooltip, and the dialog names it before it writes anything (trial 11)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QWidget

from citymgr_desktop.core.editing.commands import to_value
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sync.names import conflict_names
from citymgr_desktop.core.sync.resolve import ConflictRecord, Resolution, current_rows
from citymgr_desktop.core.sync.values import GEOM, display
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.widgets.field_editors import explain

COLUMNS = ("layer", "asset", "field", "kind", "ancestor", "master", "field_value", "choice",
           "value")
CHOICE_COL, VALUE_COL = COLUMNS.index("choice"), COLUMNS.index("value")
_SIDE_COL = {"ancestor": 4, "master": 5, "field": 6, "edit": VALUE_COL}
_CHOSEN = QColor(214, 240, 214)
_REFUSED = QColor(250, 214, 214)


def tr(text: str) -> str:
    return QCoreApplication.translate("citymgr", text)


def kind_text(kind: str) -> str:
    return {
        "edit/edit": tr("Changed on both sides"),
        "edit/delete": tr("Edited in the field, deleted in the master"),
        "delete/edit": tr("Deleted in the field, edited in the master"),
        "insert/insert": tr("Added on both sides"),
        "invalid": tr("Value not allowed"),
        "orphan": tr("Record without its asset"),
        "rejected": tr("Refused by the master"),
    }.get(kind, kind)


def choice_text(choice: str | None) -> str:
    return {"ancestor": tr("Ancestor"), "master": tr("Master"), "field": tr("From the field"),
            "edit": tr("Edit…")}.get(choice or "", "—")


def field_label(table: str, column: str) -> str:
    if column == "*":
        return tr("(whole row)")
    if column == GEOM:
        return tr("Geometry")
    try:
        return sc.table(table).field(column).label(label_language())
    except KeyError:
        return column


def coded(table: str | None, column: str, value: Any) -> str:
    """``value`` with its label when the field has a coded domain (``4 · poor``)."""
    if table is None or column in ("*", GEOM) or value is None:
        return ""
    try:
        domain = sc.table(table).field(column).get_domain()
    except KeyError:
        return ""
    if isinstance(domain, dm.CodedDomain) and domain.contains(value):
        return f"{value} · {domain.label(value, label_language())}"
    return ""


def short(value: Any, column: str, n: int = 60, table: str | None = None) -> str:
    """A cell's text: coded values with their label, geometries as WKT, rows summarised,
    long text cut."""
    if value is None:
        return ""
    if isinstance(value, dict):
        name = value.get("name") or value.get("observation") or value.get("file_name") or ""
        return tr("(row) %1").replace("%1", str(name)) if name else tr("(row)")
    text = coded(table, column, value) or str(display(column, value))
    return text if len(text) <= n else text[: n - 1] + "…"


def tooltip(value: Any, column: str) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {display(k, v, 120)}" for k, v in value.items()
                         if v is not None and k != GEOM)
    return "" if value is None else str(display(column, value, 2000))


def _key(c: ConflictRecord) -> object:
    return c.conflict_uuid or (c.sync_uuid, c.table, c.uuid, c.field)


class SyncConflictModel(QAbstractTableModel):
    """Open conflicts with the choices made so far (nothing is written until applied)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.records: list[ConflictRecord] = []
        self.current: list[Any] = []  # the master's value now (row dict for whole rows)
        self.names: list[str] = []
        self.choices: dict[int, str] = {}
        self.values: dict[int, Any] = {}

    def load(self, store: Any, records: list[ConflictRecord]) -> None:
        """Show ``records`` (with the master's current values, read from ``store``). The
        choices made for conflicts still open stay (the list read again after another
        program wrote the file)."""
        keys = [_key(c) for c in self.records]
        chosen = {keys[i]: choice for i, choice in self.choices.items()}
        typed = {keys[i]: value for i, value in self.values.items()}
        self.beginResetModel()
        self.records = list(records)
        keys = [_key(c) for c in self.records]
        self.choices = {i: chosen[k] for i, k in enumerate(keys) if k in chosen}
        self.values = {i: typed[k] for i, k in enumerate(keys) if k in typed}
        rows = current_rows(store, self.records)
        names = conflict_names(store, self.records)
        self.current, self.names = [], []
        for c in self.records:
            row = rows.get((c.table, c.uuid))
            self.current.append(row if c.is_row else (row or {}).get(c.field))
            self.names.append(names.get((c.table, c.uuid), ""))
        self.endResetModel()

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return (tr("Layer"), tr("Asset"), tr("Field"), tr("What happened"), tr("Ancestor"),
                tr("Master now"), tr("From the field"), tr("Choice"), tr("Value"))[section]

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == CHOICE_COL:
            return base | Qt.ItemFlag.ItemIsEditable
        if index.column() == VALUE_COL and self.choices.get(index.row()) == "edit":
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i, col = index.row(), index.column()
        c = self.records[i]
        if role == Qt.ItemDataRole.BackgroundRole:
            chosen = self.choices.get(i)
            if col == VALUE_COL and self.problem(i):
                return QBrush(_REFUSED)
            return QBrush(_CHOSEN) if chosen and _SIDE_COL.get(chosen) == col else None
        if role == Qt.ItemDataRole.ToolTipRole and col == VALUE_COL and self.problem(i):
            return self.problem(i)
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.EditRole):
            return None
        tip = role == Qt.ItemDataRole.ToolTipRole
        name = COLUMNS[col]
        if name == "layer":
            return sc.table(c.table).label(label_language())
        if name == "asset":
            if tip:
                return f"{self.names[i]}\n{c.uuid}" if self.names[i] else c.uuid
            return self.names[i] or c.uuid[:8]
        if name == "field":
            return field_label(c.table, c.field)
        if name == "kind":
            return i18n.render(c.message) if tip else kind_text(c.kind)
        values = {"ancestor": c.ancestor, "master": self.current[i],
                  "field_value": c.field_value}
        if name in values:
            v = values[name]
            if v is None and c.is_row and name != "ancestor":
                return tr("(deleted)") if not tip else ""
            if v is None and not c.is_row:
                return "" if tip else tr("(empty)")
            return tooltip(v, c.field) if tip else short(v, c.field, table=c.table)
        if name == "choice":
            if role == Qt.ItemDataRole.EditRole:
                return self.choices.get(i)
            return tr("Click to choose") if tip else f"{choice_text(self.choices.get(i))} ▾"
        value = self.values.get(i)
        if role == Qt.ItemDataRole.EditRole or value is None or c.is_row:
            return value if role == Qt.ItemDataRole.EditRole else (value or "")
        return short(value, c.field, table=c.table)  # "4 差", as the other value columns

    def field_of(self, index: QModelIndex) -> sc.Field | None:
        """The field an edited value is for (the delegate gives it the attribute form's
        editor: the 技术状况 drop-down, a spin box, a date); None for other cells."""
        if index.column() != VALUE_COL or not 0 <= index.row() < len(self.records):
            return None
        c = self.records[index.row()]
        if c.is_row or c.field == GEOM:
            return None
        try:
            return sc.table(c.table).field(c.field)
        except KeyError:
            return None

    def setData(self, index: QModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        i = index.row()
        if index.column() == CHOICE_COL:
            if value in (None, ""):
                self.choices.pop(i, None)
            elif value in self.records[i].choices():
                self.choices[i] = str(value)
                if value == "edit" and i not in self.values:
                    self.values[i] = self.current[i]
            else:
                return False
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
            return True
        if index.column() == VALUE_COL and self.choices.get(i) == "edit":
            self.values[i] = value  # typed by the field's editor (text where it has none)
            self.dataChanged.emit(index, index)
            return True
        return False

    def problem(self, i: int) -> str | None:
        """What is wrong with row ``i``'s edited value, in the asset form's words (field
        label, the value as typed, what is allowed), or None."""
        c = self.records[i]
        f = self.field_of(self.index(i, VALUE_COL))
        if self.choices.get(i) != "edit" or f is None:
            return None
        try:
            to_value(sc.table(c.table), f, self.values.get(i), label_language())
        except ValidationError as exc:
            return explain(f, self.values.get(i), exc, label_language())
        return None

    def first_problem(self) -> str | None:
        """Why the first edited value that the field refuses is refused (its cell is
        marked), or None."""
        return next((p for i in sorted(self.choices) if (p := self.problem(i))), None)

    # -- for the dialog ---------------------------------------------------------------------
    def choose_all(self, choice: str) -> int:
        """Choose ``choice`` for every row that allows it; returns how many."""
        n = 0
        for i, c in enumerate(self.records):
            if choice in c.choices():
                self.choices[i] = choice
                n += 1
        if self.records:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.records) - 1, len(COLUMNS) - 1))
        return n

    def resolutions(self) -> list[Resolution]:
        """The choices made, as the core takes them."""
        return [Resolution(self.records[i].conflict_uuid, choice,
                           self.values.get(i) if choice == "edit" else None)
                for i, choice in sorted(self.choices.items())]


class ChoiceDelegate(QStyledItemDelegate):
    """A drop-down of the choices the row's conflict allows."""

    def createEditor(self, parent: QWidget, option: Any, index: QModelIndex) -> QWidget:
        box = QComboBox(parent)
        model = index.model()
        records = getattr(model, "records", [])
        box.addItem("—", "")
        if 0 <= index.row() < len(records):
            for choice in records[index.row()].choices():
                box.addItem(choice_text(choice), choice)
        box.activated.connect(lambda _i: self.commitData.emit(box))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        current = index.data(Qt.ItemDataRole.EditRole) or ""
        editor.setCurrentIndex(max(0, editor.findData(current)))

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
