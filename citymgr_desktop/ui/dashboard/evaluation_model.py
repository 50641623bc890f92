"""The evaluation of the assignees (数字城管 figures per 处置单位) as a Qt table model: due,
closed on time, overdue, closed, rework and the three rates, with a total row."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

from citymgr_desktop.core.stats import EvaluationRow, evaluation_total
from citymgr_desktop.export.report.text import assignee_name, percent

FIGURE_COLUMNS = ("due", "on_time", "overdue", "closed", "rework")
RATE_COLUMNS = ("on_time_rate", "closure_rate", "rework_rate")


class EvaluationModel(QAbstractTableModel):
    """One row per assignee, then the total."""

    def __init__(self, lang: str = "en", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lang = lang
        self.rows: list[EvaluationRow] = []
        self.headings = [self.tr("Disposal unit"), self.tr("Due"), self.tr("Closed on time"),
                         self.tr("Overdue"), self.tr("Closed"), self.tr("Rework"),
                         self.tr("On-time rate"), self.tr("Closure rate"),
                         self.tr("Rework rate")]

    def set_rows(self, rows: list[EvaluationRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows) + ([evaluation_total(rows)] if rows else [])
        self.endResetModel()

    def is_total(self, row: int) -> bool:
        return row == len(self.rows) - 1

    def figure_at(self, index: QModelIndex) -> str:
        """The figure a cell shows (the rates stand for the orders due)."""
        col = index.column()
        return FIGURE_COLUMNS[col - 1] if 1 <= col <= len(FIGURE_COLUMNS) else "due"

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.headings)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headings[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return self.tr("Total") if self.is_total(index.row()) else \
                    assignee_name(r.assignee, self.lang)
            if col <= len(FIGURE_COLUMNS):
                return str(getattr(r, FIGURE_COLUMNS[col - 1]))
            return percent(getattr(r, RATE_COLUMNS[col - 1 - len(FIGURE_COLUMNS)]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and self.is_total(index.row()):
            from PySide6.QtGui import QFont

            f = QFont()
            f.setBold(True)
            return f
        return None
