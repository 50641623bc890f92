"""Unsaved edits against the file as it is now, field by field: the dialog that shows the
conflicts of a save (another program changed what you edited) or of a restore after a crash
(the file changed since the journal was written), with one choice per field: keep mine or
take the file's. Everything that does not conflict merges without a question."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.editing import Conflict
from citymgr_desktop.core.editing.conflicts import MINE, THEIRS
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.widgets.field_editors import display_value


def show_value(table: str, field: str, value: Any) -> str:
    if value is None:
        return "∅"
    if hasattr(value, "geom_type"):
        return i18n.tr("(a %1)").replace("%1", value.geom_type)
    if isinstance(value, dict):
        return i18n.tr("(the whole row)")
    try:
        f = sc.table(table).field(field)
    except KeyError:
        return str(value)
    return display_value(f, value, label_language()) or str(value)


COL_THEIRS, COL_BY, COL_KEEP = 3, 4, 5


class MergeDialog(QDialog):
    """The conflicts with a choice each; :meth:`choices` after OK."""

    def __init__(self, parent: QWidget | None, title: str, text: str,
                 conflicts: list[Conflict], names: dict[tuple[str, str], str] | None = None,
                 ok_text: str = "", cancel_text: str = "", on_database: bool = False,
                 changed_by: dict[tuple[str, str], str] | None = None) -> None:
        """``on_database``: "theirs" is what another user saved to the database;
        ``changed_by``: who changed each row there and when, as the row records it."""
        super().__init__(parent)
        self.setObjectName("mergeDialog")
        self.setWindowTitle(title)
        self.conflicts = conflicts
        lang = label_language()
        intro = QLabel(text)
        intro.setWordWrap(True)
        self.table = QTableWidget(len(conflicts), 6)
        self.table.setObjectName("mergeTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("Asset or row"), self.tr("Field"), self.tr("Yours"),
            self.tr("In the database now") if on_database else self.tr("In the file now"),
            self.tr("Changed there by"), self.tr("Keep")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.boxes: list[QComboBox] = []
        for r, c in enumerate(conflicts):
            t = sc.TABLES_BY_NAME.get(c.table)
            what = (names or {}).get((c.table, c.uuid)) or c.uuid[:8]
            label = f"{t.label(lang) if t else c.table} {what}"
            if c.kind == "deleted":
                field, mine, theirs = self.tr("(whole row)"), self.tr("edited"), \
                    self.tr("deleted")
            elif c.kind == "changed":
                field, mine, theirs = self.tr("(whole row)"), self.tr("deleted"), \
                    self.tr("changed")
            else:
                f = t.field(c.field) if t and c.field in t.field_names() else None
                field = f.label(lang) if f else c.field
                mine = show_value(c.table, c.field, c.mine)
                theirs = show_value(c.table, c.field, c.theirs)
            by = (changed_by or {}).get((c.table, c.uuid), "")
            for col, text_ in enumerate((label, field, mine, theirs, by)):
                item = QTableWidgetItem(text_)
                item.setToolTip(text_)
                self.table.setItem(r, col, item)
            box = QComboBox()
            box.setObjectName(f"choice_{r}")
            box.addItem(self.tr("Mine"), MINE)
            box.addItem(self.tr("The database's") if on_database else self.tr("The file's"),
                        THEIRS)
            if c.kind == "deleted":  # an edit of a row that is gone cannot be kept
                box.setCurrentIndex(1)
                box.setEnabled(False)
            self.table.setCellWidget(r, COL_KEEP, box)
            self.boxes.append(box)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        all_mine = QPushButton(self.tr("All mine"))
        all_mine.clicked.connect(lambda: self._all(MINE))
        all_theirs = QPushButton(self.tr("All the database's") if on_database
                                 else self.tr("All the file's"))
        all_theirs.clicked.connect(lambda: self._all(THEIRS))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(all_mine, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(all_theirs, QDialogButtonBox.ButtonRole.ActionRole)
        if ok_text:
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        if cancel_text:
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
        # nothing to choose: no "all mine / all theirs"; Enter takes the offer (restore,
        # merge), the safe answer that loses nothing
        all_mine.setVisible(bool(conflicts))
        all_theirs.setVisible(bool(conflicts))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(900, 160 + 30 * min(len(conflicts), 12))
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _all(self, choice: str) -> None:
        for box in self.boxes:
            if box.isEnabled():
                box.setCurrentIndex(box.findData(choice))

    def choices(self) -> dict[tuple[str, str, str], str]:
        return {c.key: box.currentData() for c, box in zip(self.conflicts, self.boxes,
                                                          strict=True)}
