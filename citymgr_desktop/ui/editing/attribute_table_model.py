"""A lazy Qt table model over one layer, fit for a million rows.

The model holds only the ordered fids of the rows it shows (one int64 array); cell values are
asked of the store in pages of 256 rows by fid when the view paints them, and a few pages are
cached. Sorting and filtering (the expression language, unsaved edits included) are the
store's ``select_assets``, run on a read-only store of their own in a worker thread (a new
request interrupts the old one). Pending edits of the session show on top (edited cells
tinted, new rows green, retired rows grey) and cells are edited through the session, so every
edit is an undoable command.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from citymgr_desktop.core.clock import office_zone
from citymgr_desktop.core.editing import EditEvent, EditSession
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.expression import Expression
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import AssetSelection, Store, asset_table
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.attribute_table_query import FidQuery, cancel_and_wait, is_live
from citymgr_desktop.ui.widgets.field_editors import display_value

PAGE = 256
MAX_PAGES = 64
_EDITED = QColor("#fff1c1")
_NEW = QColor("#dcf3dc")
_RETIRED = QColor("#8a8a8a")
Index = QModelIndex | QPersistentModelIndex


class AttributeTableModel(QAbstractTableModel):
    loaded = Signal(int)  # number of rows after a filter/sort/reload finished
    loading = Signal()
    failed = Signal(str)  # a filter or an edit was refused (one line)

    def __init__(self, store: Store, layer: str, session: EditSession | None = None,
                 lang: str = "en", parent: Any = None) -> None:
        super().__init__(parent)
        self.store, self.layer, self.session, self.lang = store, layer, session, lang
        self.table = asset_table(layer)
        self.fields = store.fields(layer)
        self.columns = self.fields.names()
        if "fid" not in self.columns:
            self.columns.insert(0, "fid")
        self._key_col = self.columns.index(self.table.key)
        self._column_flags: list[Qt.ItemFlag] = []
        self.key_map: Any = None  # fids <-> uuids in memory (KeyMap of the attribute table)
        self._right_aligned = [
            c == "fid" or (c in self.fields and self.fields[c].type == "number"
                           and self.fields[c].domain is None) for c in self.columns]
        self._column_flags = self._compute_column_flags()
        self._fids = np.empty(0, dtype=np.int64)
        self._pages: OrderedDict[int, list[tuple | None]] = OrderedDict()
        self._pending: dict[str, dict[str, Any]] = {}  # uuid -> new values of pending updates
        self._deltas: dict[str, Any] = {}
        self.expression: Expression | None = None
        self.order_column, self.descending = "fid", False
        self.show_retired = False
        self.selected_only: set[str] | None = None  # uuids, when "selected only" is on
        self.total = 0
        self._query: FidQuery | None = None
        self._started: list[FidQuery] = []  # this model's queries, cancelled and awaited on close
        if session is not None:
            session.subscribe(self._on_edit)
            self._refresh_pending()

    def close(self) -> None:
        if self.session is not None:
            self.session.unsubscribe(self._on_edit)
        if self._query is not None:  # a result still on its way is ignored (see _loaded)
            self._query.cancel()
            self._query = None
        cancel_and_wait(self._started)
        self._started.clear()

    # -- loading -------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Filter with the expression language; ExpressionError for bad text (model unchanged)."""
        self.expression = Expression.compile(text, self.fields) if text.strip() else None
        self.reload()

    def set_show_retired(self, show: bool) -> None:
        self.show_retired = show
        self.reload()

    def set_selected_only(self, uuids: set[str] | None) -> None:
        self.selected_only = None if uuids is None else set(uuids)
        self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.order_column = self.columns[column] if 0 <= column < len(self.columns) else "fid"
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def reload(self) -> None:
        """Recompute the rows in a worker thread; ``loaded`` fires when they are in."""
        if self._query is not None:
            self._query.cancel()
        pending = self.session.pending_for(self.layer) if self.session is not None else []
        among = None if self.selected_only is None else frozenset(self.selected_only)
        query = FidQuery(self.store, self.layer, self.expression, pending=pending,
                         include_retired=self.show_retired, among=among,
                         order_by=self.order_column, descending=self.descending)
        self._started = [q for q in self._started if is_live(q)] + [query]
        # queued: the slots run on the model's (UI) thread, never on the worker's
        query.done.connect(self._loaded, Qt.ConnectionType.QueuedConnection)
        query.error.connect(self._failed, Qt.ConnectionType.QueuedConnection)
        self._query = query
        self.loading.emit()
        query.start()

    def _failed(self, query: FidQuery, message: str) -> None:
        if query is self._query:
            self._query = None
            self.failed.emit(message)

    def _loaded(self, query: FidQuery, selection: AssetSelection, total: int) -> None:
        if query is not self._query:
            return  # a newer request replaced this one
        self._query = None
        fids = selection.fids
        if selection.new and self.session is not None:  # new assets by their temporary fid
            temp = [self.session.temp_fid(self.layer, u) for u in selection.new]
            new = sorted((f for f in temp if f is not None), reverse=True)
            fids = np.concatenate([fids, np.array(new, dtype=np.int64)])
        self.beginResetModel()
        self._fids = fids
        self._pages.clear()
        self.total = total
        self.endResetModel()
        self.loaded.emit(len(fids))

    def _fids_of(self, uuids: set[str] | list[str]) -> dict[str, int]:
        """fid of each uuid: from the window's map in memory first (``key_map``), the rest
        (retired, new, not drawn) from the session or the store."""
        ulist = list(uuids)
        out = self.key_map.fids_of_keys(self.layer, ulist) if self.key_map is not None else {}
        out = {u: f for u, f in out.items() if f > 0}
        rest = [u for u in ulist if u not in out]
        if rest:
            out.update(self.session.fids(self.layer, rest) if self.session is not None
                       else self.store.fids_of(self.layer, rest))
        return out

    # -- pending edits ---------------------------------------------------------------------------
    def _refresh_pending(self) -> dict[str, Any]:
        """Re-read the layer's pending edits; returns the previous ones by uuid."""
        before = self._deltas
        self._deltas = {d.uuid: d for d in self.session.pending_for(self.layer)} \
            if self.session is not None else {}
        self._pending = {u: dict(d.new) for u, d in self._deltas.items()
                         if d.kind == "update" and d.new is not None}
        return before

    def _on_edit(self, event: EditEvent) -> None:
        if self.layer not in event.tables:
            return
        before = self._refresh_pending()
        uuids = event.uuids.get(self.layer, frozenset())

        def shape_changes(d: Any) -> bool:  # rows appear or vanish
            return d is not None and (d.kind != "update" or "retired_at" in (d.new or {}))

        if event.saved or event.reset or any(
                shape_changes(before.get(u)) or shape_changes(self._deltas.get(u))
                for u in uuids):
            self.reload()
            return
        self._pages.clear()
        if len(uuids) > 500 or not len(self._fids):  # repaint what is shown: cheaper than
            rows = np.array([0, max(len(self._fids) - 1, 0)])  # finding 15,000 rows
        else:
            rows = self.rows_of(list(uuids))
        if len(rows) and len(self._fids):
            self.dataChanged.emit(self.index(int(rows.min()), 0),
                                  self.index(int(rows.max()), len(self.columns) - 1))

    # -- Qt model API ------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._fids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def field(self, column: int) -> sc.Field | None:
        name = self.columns[column]
        if name == "fid":
            return None
        return self.table.field(name)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._fids):
                fid = int(self._fids[section])
                return str(fid) if fid > 0 else self.tr("new")
            return None
        if not 0 <= section < len(self.columns):
            return None
        f = self.field(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return f.label(self.lang) if f else self.columns[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            if f is None:
                return self.columns[section]
            tip = f"{f.zh} / {f.en} ({f.name})"
            # times are shown in office time, as in Identify and the exports (display_value)
            return f"{tip}\n{office_zone(self.lang)}" if f.type is sc.FieldType.DATETIME \
                else tip
        return None

    def row_values(self, row: int) -> tuple | None:
        """The file's values of a row (columns order), fetched by page when first needed."""
        if not 0 <= row < len(self._fids):
            return None
        page = row // PAGE
        if page not in self._pages:
            self._pages[page] = self._fetch(self._fids[page * PAGE:(page + 1) * PAGE])
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return self._pages[page][row - page * PAGE]

    def _fetch(self, fids: np.ndarray) -> list[tuple | None]:
        wanted = [int(f) for f in fids]
        file_fids = [f for f in wanted if f > 0]
        got: dict[int, tuple] = self.store.rows_by_fid(self.layer, file_fids, self.columns) \
            if file_fids else {}
        if self.session is not None and any(f < 0 for f in wanted):
            for temp, values in self.session.inserted(self.layer):
                got[temp] = tuple(temp if c == "fid" else values.get(c) for c in self.columns)
        return [got.get(f) for f in wanted]

    def value(self, row: int, column: int) -> Any:
        values = self.row_values(row)
        if values is None:
            return None
        if self._pending:
            new = self._pending.get(values[self._key_col])
            if new is not None and self.columns[column] in new:
                return new[self.columns[column]]
        return values[column]

    def uuid_at(self, row: int) -> str | None:
        values = self.row_values(row)
        return None if values is None else values[self._key_col]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            value = self.value(row, column)
            if role == Qt.ItemDataRole.EditRole:
                return value
            f = self.field(column)
            return display_value(f, value, self.lang) if f else ("" if value is None
                                                                 else str(value))
        if role == Qt.ItemDataRole.BackgroundRole:
            fid = int(self._fids[row])
            if fid < 0:
                return _NEW
            uuid = self.uuid_at(row)
            if uuid in self._pending and self.columns[column] in self._pending[uuid]:
                return _EDITED
            return None
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            retired = self.value(row, self.columns.index("retired_at")) is not None
            if not retired:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return _RETIRED
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and self._right_aligned[column]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Qt asks this for every cell of a selection (15,000 rows x 24 columns on Ctrl+A):
        # one list lookup, the flags of each column computed once
        try:
            return self._column_flags[index.column()]
        except IndexError:
            return self._column_flags[0] if self._column_flags else Qt.ItemFlag.NoItemFlags

    def _compute_column_flags(self) -> list[Qt.ItemFlag]:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        out = []
        for column in range(len(self.columns)):
            f = self.field(column)
            editable = self.session is not None and f is not None and not f.system
            out.append(base | Qt.ItemFlag.ItemIsEditable if editable else base)
        return out

    def setData(self, index: Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        f = self.field(index.column())
        uuid = self.uuid_at(index.row())
        if role != Qt.ItemDataRole.EditRole or f is None or uuid is None or self.session is None:
            return False
        try:
            self.session.set_value(self.layer, uuid, f.name, value)
        except CitymgrError as exc:
            self.failed.emit(i18n.render(exc))
            return False
        return True

    # -- helpers for the widget ------------------------------------------------------------------
    def rows_of(self, uuids: list[str] | set[str]) -> np.ndarray:
        """Row numbers of the given assets (those shown)."""
        fids = np.fromiter(self._fids_of(list(uuids)).values(), dtype=np.int64)
        return np.nonzero(np.isin(self._fids, fids))[0]

    def uuids_of_ranges(self, ranges: list[tuple[int, int]]) -> list[str]:
        """asset_uuid of the rows of these (top, bottom) ranges, in row order."""
        if not ranges:
            return []
        rows = np.unique(np.concatenate([np.arange(t, b + 1) for t, b in ranges]))
        return self.uuids_of(rows.tolist())

    def uuids_of(self, rows: list[int]) -> list[str]:
        """asset_uuid of the given rows, in row order: from the window's map in memory
        (``key_map``), then the session (new assets) and one query per 900 for the rest."""
        index = np.asarray(rows, dtype=np.int64)
        fids = self._fids[index[(index >= 0) & (index < len(self._fids))]]
        known: dict[int, str] = {}
        if self.key_map is not None:
            known = self.key_map.keys_of_fids(self.layer, fids[fids > 0])
        rest = [int(f) for f in fids if int(f) not in known]
        if rest:
            if self.session is not None:
                known.update(self.session.uuids_for_fids(self.layer, rest))
            else:
                known.update(self.store.uuids_of_fids(self.layer, rest))
        return [known[f] for f in fids.tolist() if f in known]

    def fid_at(self, row: int) -> int:
        return int(self._fids[row])
