"""The attribute table dock: a layer chooser, a filter box for the expression language, "selected
only" and "show retired", the lazy table (sort by clicking a header, edit cells in place) and
its selection shared both ways with the map's selection. Double-clicking a row number zooms to
the feature. A dashboard drill-down (``SelectionModel.drillDown``) lists a figure's assets
under the figure's name in the filter box, in place of the user's filters, which are kept
and come back when the box is cleared (its clear button, or Esc in it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QObject,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.attribute_table_model import AttributeTableModel
from citymgr_desktop.ui.widgets.field_editors import FieldEditorDelegate

HISTORY = 20
DRILL_DOWN_STYLE = "QLineEdit { background: #fff3c4; }"  # the box names a figure, not a filter


class AttributeTableWidget(QWidget):
    zoomRequested = Signal(str, list)  # layer, asset uuids
    formRequested = Signal(str, str)  # layer, asset uuid
    layerChosen = Signal(str)  # the user chose another layer in the chooser

    def __init__(self, selection: Any, lang: str = "en", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attribute_table")
        self.selection = selection
        self.lang = lang
        self.store: Store | None = None
        self.session: EditSession | None = None
        self.model: AttributeTableModel | None = None
        self._syncing = False
        self._stale = False
        self.key_map: Any = None  # fids <-> uuids in memory, given by the feature
        self._drill: tuple[str, dict[str, set[str]]] | None = None  # figure name, its keys

        self.layer_box = QComboBox()
        self.layer_box.setObjectName("attribute_layer")
        for t in sc.ASSET_TABLES:
            self.layer_box.addItem(t.label(lang), t.name)
        self.layer_box.currentIndexChanged.connect(lambda _i: self._layer_chosen())
        self.layer_box.activated.connect(lambda _i: self.layerChosen.emit(self.layer))
        self.filter = QLineEdit()
        self.filter.setObjectName("attribute_filter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText(self.tr("Filter, e.g. condition >= 4 and district = "
                                               "'粮道街道' (Enter to apply)"))
        self.filter.setToolTip(self.tr("Expression: = != < <= > >=, and, or, not, in (…), like "
                                       "'%…%', is null, between … and …, dates as 'YYYY-MM-DD'"))
        self._filter_tip = self.filter.toolTip()
        self.filter.returnPressed.connect(self.apply_filter)
        self.filter.textChanged.connect(self._filter_text_changed)
        self.filter.installEventFilter(self)  # Esc ends a drill-down
        self.selected_only = QCheckBox(self.tr("Selected only"))
        self.selected_only.toggled.connect(lambda _c: self._selected_only_changed())
        self.show_retired = QCheckBox(self.tr("Show retired"))
        self.show_retired.toggled.connect(
            lambda on: self.model.set_show_retired(on) if self.model else None)
        self.count = QLabel()
        self.count.setObjectName("attribute_count")
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        self.view = QTableView()
        self.view.setObjectName("attribute_view")
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        rows = self.view.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring at 1M
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        rows.sectionDoubleClicked.connect(lambda r: self.zoom_to_rows([r]))
        self.view.horizontalHeader().setSectionsMovable(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.delegate = FieldEditorDelegate(lang, self.view)
        self.view.setItemDelegate(self.delegate)

        self.error = QLabel()
        self.error.setObjectName("attribute_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()

        top = QHBoxLayout()
        top.addWidget(self.layer_box)
        top.addWidget(self.filter, 1)
        top.addWidget(self.selected_only)
        top.addWidget(self.show_retired)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error)
        selection.changed.connect(self._map_selection_changed)
        selection.drillDown.connect(self.show_drill_down)

    # -- store and layer ---------------------------------------------------------------------------
    def set_store(self, store: Store | None, session: EditSession | None,
                  layer: str | None = None) -> None:
        """Show ``store``'s layer; rows are only queried while the table is visible."""
        self.store, self.session = store, session
        self._drill = None  # a figure of another file
        if layer and self.layer_box.findData(layer) >= 0:
            self.layer_box.blockSignals(True)
            self.layer_box.setCurrentIndex(self.layer_box.findData(layer))
            self.layer_box.blockSignals(False)
        self._layer_chosen()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self._layer_chosen()

    @property
    def layer(self) -> str:
        return str(self.layer_box.currentData())

    def set_layer(self, layer: str) -> None:
        i = self.layer_box.findData(layer)
        if i >= 0 and i != self.layer_box.currentIndex():
            self.layer_box.setCurrentIndex(i)

    def _layer_chosen(self) -> None:
        if self.model is not None:
            self.model.close()
            self.model.deleteLater()
            self.model = None
        self.error.hide()
        self._stale = self.store is not None and not self.isVisible()
        if self.store is None or self._stale:  # loaded when shown (a hidden dock costs nothing)
            self.view.setModel(None)
            self.count.setText("")
            return
        model = AttributeTableModel(self.store, self.layer, self.session, self.lang, self)
        model.key_map = self.key_map
        model.show_retired = self.show_retired.isChecked()
        model.loading.connect(lambda: self.count.setText(self.tr("Loading…")))
        model.loaded.connect(self._loaded)
        model.failed.connect(self.show_error)
        self.model = model
        self.view.setModel(model)
        # The column header asks "is this whole column selected?" for every visible column
        # on every repaint, walking every row through the Python model (Ctrl+A on 15,000
        # rows froze the window for seconds); columns are never selected here, so the
        # header gets a selection model of its own that stays empty.
        self._header_selection = QItemSelectionModel(model, self)
        self.view.horizontalHeader().setSelectionModel(self._header_selection)
        self.view.selectionModel().selectionChanged.connect(self._table_selection_changed)
        self.filter.setCompleter(QCompleter(self._history(), self.filter))
        self._show_filter_box()
        self.apply_filter()

    # -- filter --------------------------------------------------------------------------------------
    def apply_filter(self) -> bool:
        """Apply the filter box's expression; a bad one is shown in red, rows stay as they were."""
        if self.model is None:
            return False
        text = self.filter.text().strip()
        self.model.selected_only = self._among()
        if self._drill_name():  # the figure's rows, whatever the layer's own filter
            self.error.hide()
            self.model.set_filter("")
            return True
        try:
            self.model.set_filter(text)
        except ExpressionError as exc:
            self.show_error(i18n.render(exc))
            return False
        self.error.hide()
        settings = QSettings()
        settings.setValue(self._filter_key(), text)
        if text:
            history = [h for h in self._history() if h != text]
            settings.setValue("editing/filter_history", [text, *history][:HISTORY])
        return True

    def _filter_text_changed(self, text: str) -> None:
        name = self._drill_name()
        if name and text != name:
            # the figure's name cleared (the box's clear button) or typed over: the drill-down
            # ends; cleared, the layer's own filter comes back
            self._end_drill_down(restore=not text.strip())
        elif not text:
            self.apply_filter()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc in the filter box ends a drill-down, as the box's clear button does (before
        any Esc shortcut of the window takes the key)."""
        if watched is self.filter and event.type() in (QEvent.Type.ShortcutOverride,
                                                       QEvent.Type.KeyPress) \
                and event.key() == Qt.Key.Key_Escape and self._drill_name():  # type: ignore[attr-defined]
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.filter.clear()
            return True
        return super().eventFilter(watched, event)

    def _show_filter_box(self) -> None:
        """The box shows the drill-down's name (tinted) on a layer it has assets of, else
        the layer's own filter as saved."""
        name = self._drill_name()
        self.filter.setStyleSheet(DRILL_DOWN_STYLE if name else "")
        self.filter.setToolTip(self.tr("The assets behind a figure of the dashboard; clear "
                                       "the box to go back to your filter") if name
                               else self._filter_tip)
        self.filter.blockSignals(True)
        self.filter.setText(name or str(QSettings().value(self._filter_key(), "") or ""))
        self.filter.blockSignals(False)

    # -- a dashboard drill-down ------------------------------------------------------------------
    def show_drill_down(self, name: str, assets: dict[str, list[str]]) -> None:
        """List the assets behind a figure under its ``name`` in the filter box, in place of
        the filter of each layer it has assets of; the user's filters stay saved and come
        back when the box is cleared (or on the layers the figure has nothing of)."""
        self._drill = (name, {layer: set(keys) for layer, keys in assets.items() if keys})
        self._show_filter_box()
        self.apply_filter()

    def _drill_name(self) -> str | None:
        """The drill-down's name on a layer it lists assets of, else None."""
        if self._drill is None or self.layer not in self._drill[1]:
            return None
        return self._drill[0]

    def drill_down(self) -> str | None:
        """The name of the figure whose assets the table lists, None without a drill-down."""
        return self._drill[0] if self._drill is not None else None

    def _end_drill_down(self, restore: bool) -> None:
        self._drill = None
        if restore:
            self._show_filter_box()
            self.apply_filter()
        else:  # typing a filter of their own: it applies with Enter
            self.filter.setStyleSheet("")
            self.filter.setToolTip(self._filter_tip)
            if self.model is not None:
                self.model.set_selected_only(self._among())

    def _among(self) -> set[str] | None:
        """The keys the rows are limited to: the drill-down's of this layer, and the
        selection's with "Selected only"; None for no limit."""
        rows = self._drill[1][self.layer] if self._drill_name() else None
        if self.selected_only.isChecked():
            chosen = set(self.selection.selected(self.layer))
            rows = chosen if rows is None else rows & chosen
        return rows

    def _filter_key(self) -> str:
        """Where the layer's filter is kept: per file, as QGIS keeps a layer's filter in its
        project (a filter typed for one file never applies to another)."""
        where = quote(str(self.store.path) if self.store is not None else "", safe="")
        return f"editing/filter/{where}/{self.layer}"

    def _history(self) -> list[str]:
        value = QSettings().value("editing/filter_history", [])
        return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value
                                                                         else [])

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _loaded(self, rows: int) -> None:
        assert self.model is not None
        self.count.setText(self.tr("%1 of %2").replace("%1", f"{rows:,}").replace(
            "%2", f"{self.model.total:,}"))
        self._map_selection_changed(self.layer)

    def _selected_only_changed(self) -> None:
        if self.model is None:
            return
        self.model.set_selected_only(self._among())

    # -- selection, both ways ------------------------------------------------------------------------
    def _selected_ranges(self) -> list[tuple[int, int]]:
        """The selected rows as (top, bottom) ranges: cheap for 15,000 rows, where asking
        Qt for ``selectedRows()`` walks every cell."""
        return [(r.top(), r.bottom()) for r in self.view.selectionModel().selection()]

    def _table_selection_changed(self, *_args: Any) -> None:
        if self._syncing or self.model is None:
            return
        uuids = self.model.uuids_of_ranges(self._selected_ranges())
        self._syncing = True
        try:
            self.selection.set_selection(self.layer, uuids)
        finally:
            self._syncing = False

    def _map_selection_changed(self, layer: str) -> None:
        if self._syncing or self.model is None or (layer and layer != self.layer):
            return
        uuids = self.selection.selected(self.layer)
        if self.selected_only.isChecked() and self._among() != self.model.selected_only:
            self.model.set_selected_only(self._among())
            return
        rows = self.model.rows_of(uuids) if uuids else []
        chosen = QItemSelection()
        start = prev = None
        for r in [*sorted(int(x) for x in rows), None]:
            if r is not None and prev is not None and r == prev + 1:
                prev = r
                continue
            if start is not None:
                chosen.select(self.model.index(start, 0),
                              self.model.index(prev, self.model.columnCount() - 1))
            start = prev = r
        self._syncing = True
        try:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
            self.view.selectionModel().select(chosen, flags)
            if len(rows):
                self.view.scrollTo(self.model.index(int(min(rows)), 0))
        finally:
            self._syncing = False

    def selected_uuids(self) -> list[str]:
        if self.model is None:
            return []
        return self.model.uuids_of_ranges(self._selected_ranges())

    def current_uuid(self) -> str | None:
        index = self.view.currentIndex()
        if self.model is None or not index.isValid():
            return None
        return self.model.uuid_at(index.row())

    def zoom_to_rows(self, rows: list[int]) -> None:
        if self.model is not None and rows:
            self.zoomRequested.emit(self.layer, self.model.uuids_of(rows))

    def closeEvent(self, event: Any) -> None:
        if self.model is not None:
            self.model.close()
        super().closeEvent(event)
