"""The work-order list dock: orders filtered by state, assignee, overdue and text, with the
overdue ones marked; the chosen orders can be moved, exported, shown on the map or opened
in the detail view. Unsaved orders and moves (the edit session's) are listed as if saved."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.query import assignees, list_orders
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window

SETTINGS = "workorders/list_filter"
COLUMNS = ("case_no", "state", "priority", "title", "assignee", "deadline", "asset_count")


class WorkOrderListWidget(QWidget):
    """A filterable table of orders; emits the chosen case numbers."""

    chosen = Signal(list)  # case numbers of the selected rows
    activated = Signal(str)  # case number double-clicked

    def __init__(self, window: Window) -> None:
        super().__init__()
        self.window = window
        self.rows: list[dict[str, Any]] = []
        self.state = QComboBox()
        self.state.addItem(self.tr("All states"), None)
        self.state.addItem(self.tr("Open (not closed or cancelled)"), "open")
        for s in wf.WorkOrderState:
            self.state.addItem(wf.label(s, label_language()), s.value)
        self.assignee = QComboBox()
        self.overdue = QCheckBox(self.tr("Overdue only"))
        self.search = QLineEdit(placeholderText=self.tr("Case number or title…"))
        self.search.setClearButtonEnabled(True)
        filters = QHBoxLayout()
        for w in (self.state, self.assignee, self.overdue, self.search):
            filters.addWidget(w)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("workOrderTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("Case No."), self.tr("State"), self.tr("Priority"), self.tr("Title"),
            self.tr("Disposal unit"), self.tr("Deadline"), self.tr("Assets")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemSelectionChanged.connect(lambda: self.chosen.emit(self.selected_cases()))
        self.table.itemDoubleClicked.connect(
            lambda item: self.activated.emit(self.table.item(item.row(), 0).text()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self._restore()
        self.state.currentIndexChanged.connect(self._filters_changed)
        self.assignee.currentIndexChanged.connect(self._filters_changed)
        self.overdue.toggled.connect(self._filters_changed)
        self.search.textChanged.connect(self._filters_changed)
        window.storeChanged.connect(lambda _s: self.reload_assignees())
        window.dataChanged.connect(self._data_changed)
        self.reload_assignees()

    def _restore(self) -> None:
        saved = QSettings().value(SETTINGS, {}) or {}
        if isinstance(saved, dict):
            idx = self.state.findData(saved.get("state"))
            self.state.setCurrentIndex(max(idx, 0))
            self.overdue.setChecked(str(saved.get("overdue", "false")).lower() == "true")

    def _filters_changed(self) -> None:
        QSettings().setValue(SETTINGS, {"state": self.state.currentData(),
                                        "overdue": self.overdue.isChecked()})
        self.refresh()

    def _data_changed(self, tables: set[str]) -> None:
        if {"work_order", "work_order_event", "work_order_asset"} & set(tables):
            self.reload_assignees()

    @property
    def pending(self) -> Any:
        session = self.window.edit_session
        return session.pending if session is not None else None

    def reload_assignees(self) -> None:
        current = self.assignee.currentData()
        self.assignee.blockSignals(True)
        self.assignee.clear()
        self.assignee.addItem(self.tr("All disposal units"), None)
        if self.window.store is not None and self.window.is_project:
            for a in assignees(self.window.store, self.pending):
                self.assignee.addItem(a, a)
        self.assignee.setCurrentIndex(max(self.assignee.findData(current), 0))
        self.assignee.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        store = self.window.store
        selected = set(self.selected_cases())
        self.rows = []
        if store is not None and self.window.is_project:
            st = self.state.currentData()
            states = sorted(wf.OPEN_STATES) if st == "open" else ([st] if st else None)
            self.rows = list_orders(store, states=states, assignee=self.assignee.currentData(),
                                    overdue=True if self.overdue.isChecked() else None,
                                    text=self.search.text().strip() or None,
                                    pending=self.pending)
        lang = label_language()
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        self.table.setRowCount(len(self.rows))
        red = QBrush(QColor("#c0392b"))
        for r, row in enumerate(self.rows):
            values = [row["case_no"], dm.WORK_ORDER_STATE.label(row["state"], lang),
                      dm.WORK_ORDER_PRIORITY.label(row["priority"], lang), row["title"],
                      row.get("assignee") or "", format_local(row.get("deadline")),
                      row["asset_count"]]
            for c, v in enumerate(values):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, v)
                if row["overdue"] and c in (0, 5):
                    item.setForeground(red)
                    item.setToolTip(self.tr("Overdue"))
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self._select_rows([r for r in range(self.table.rowCount())
                           if self.table.item(r, 0).text() in selected])

    def _select_rows(self, rows: list[int]) -> None:
        """Exactly ``rows`` selected, the first current (``QTableView.selectRow`` adds to
        the selection or toggles it when Ctrl or Shift is held, and keeps only the last
        row of several otherwise)."""
        model, chosen = self.table.model(), QItemSelection()
        last = self.table.columnCount() - 1
        for r in rows:
            chosen.select(model.index(r, 0), model.index(r, last))
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().select(chosen, flags.ClearAndSelect | flags.Rows)
        if rows:
            self.table.selectionModel().setCurrentIndex(model.index(rows[0], 0), flags.NoUpdate)

    def selected_cases(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedItems()})
        return [self.table.item(r, 0).text() for r in rows]

    def select_case(self, case_no: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == case_no:
                self._select_rows([r])
                self.table.scrollToItem(self.table.item(r, 0))
                return
