"""Identify results (a dock): the attributes of the features under a click, with field
labels and coded values in the user's language and times in office time, like QGIS's
Identify Results panel. Asset values are read through the edit session, so an unsaved edit
shows as it will be saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import layer_title
from citymgr_desktop.ui.i18n import label_language

RowReader = Callable[[str, list[str], list[str]], dict[str, dict[str, Any]]]

KEY_ROLE = Qt.ItemDataRole.UserRole


def format_value(field: sc.Field | None, value: Any, lang: str) -> str:
    """A value as a person reads it: coded values with their label, no 'None'."""
    if value is None or value == "":
        return ""
    domain = field.get_domain() if field is not None else None
    if domain is not None and domain.kind == "enum":
        label = domain.label(value, lang)
        if not label or label == str(value):
            return str(value)
        # graded numbers read with their grade ("4 差"); text codes by their label only
        return f"{value} {label}" if isinstance(value, int | float) else label
    if field is not None and field.type is sc.FieldType.DATETIME and isinstance(value, str):
        return format_local_or_text(value)  # stored in UTC, read in office time (UTC+8)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, bytes):
        return f"<{len(value):,} bytes>"
    return str(value)


def read_feature(store: Store, layer: str, key: str, rows: RowReader | None = None
                 ) -> list[tuple[str, str, sc.Field | None, Any]]:
    """(column, label, field, value) of one feature: asset layers by uuid (through ``rows``,
    the edit session's reader, when given), others by fid."""
    lang = label_language()
    if layer in sc.ASSET_TABLES_BY_NAME:
        table = sc.ASSET_TABLES_BY_NAME[layer]
        reader = rows or (lambda name, keys, fields: store.get_rows(name, keys, fields=fields))
        row = reader(layer, [key], table.field_names()).get(key, {})
        return [(f.name, f.label(lang), f, row.get(f.name)) for f in table.fields]
    names = store.attribute_columns(layer)
    row = store.row_by_key(layer, key) or {}
    return [(n, n, None, row.get(n)) for n in names]


class IdentifyWidget(QTreeWidget):
    """One top-level row per identified feature, its attributes below."""

    featureActivated = Signal(str, str)  # layer, key (double-click: select it)
    currentFeatureChanged = Signal(str, str)  # layer, key ("" , "" = none): highlight it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identifyResults")
        self.setWindowTitle(self.tr("Identify Results"))
        self.setColumnCount(2)
        self.setHeaderLabels([self.tr("Field"), self.tr("Value")])
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemDoubleClicked.connect(self._activated)
        self.currentItemChanged.connect(lambda item, _prev: self._current(item))
        self.hits: list[tuple[str, str]] = []
        self.measures: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def show_features(self, store: Store, hits: list[tuple[str, str]],
                      measures: dict[tuple[str, str], list[tuple[str, str]]] | None = None,
                      rows: RowReader | None = None,
                      current: tuple[str, str] | None = None) -> None:
        """Show ``hits`` = [(layer, key)], ``current`` (else the first) expanded and current
        (highlighted on the map); ``measures`` adds derived rows (length, area) per hit;
        ``rows`` reads assets through the edit session."""
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        self.hits = list(hits)
        self.measures = dict(measures or {})
        lang = label_language()
        first = None
        for n, (layer, key) in enumerate(hits):
            rows_ = read_feature(store, layer, key, rows)
            if not any(v is not None for _c, _l, _f, v in rows_):
                continue  # deleted meanwhile (an unsaved delete)
            values = {col: v for col, _l, _f, v in rows_}
            name = values.get("name") or values.get("obj_code") or key
            top = QTreeWidgetItem([layer_title(layer, lang), str(name)])
            top.setData(0, KEY_ROLE, (layer, key))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            for col, label, field, value in rows_:
                child = QTreeWidgetItem([label, format_value(field, value, lang)])
                child.setToolTip(0, col)
                child.setToolTip(1, child.text(1) if value is None or str(value) in child.text(1)
                                 else f"{child.text(1)} ({value})")
                top.addChild(child)
            for label, value in (measures or {}).get((layer, key), []):
                top.addChild(QTreeWidgetItem([label, value]))
            self.addTopLevelItem(top)
            top.setExpanded(n == 0 if current is None else (layer, key) == current)
            first = top if (layer, key) == current else first or top
        self.resizeColumnToContents(0)
        if first is None:
            self._show_nothing()
        else:
            self.setCurrentItem(first)

    def _show_nothing(self) -> None:
        """One line across both columns, "No feature here", as QGIS says an empty result
        (in the "Field" column alone it was cut to a lone "…"); nothing to select or
        highlight."""
        empty = QTreeWidgetItem([self.tr("No feature here")])
        empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
        empty.setForeground(0, self.palette().placeholderText())
        self.addTopLevelItem(empty)
        empty.setFirstColumnSpanned(True)
        self.currentFeatureChanged.emit("", "")

    def current_hit(self) -> tuple[str, str] | None:
        """(layer, key) of the feature current in the panel (outlined on the map)."""
        return _feature_of(self.currentItem())

    def _current(self, item: QTreeWidgetItem | None) -> None:
        self.currentFeatureChanged.emit(*(_feature_of(item) or ("", "")))

    def _activated(self, item: QTreeWidgetItem, _col: int) -> None:
        feature = _feature_of(item)
        if feature:
            self.featureActivated.emit(*feature)

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Copy Value"), lambda: QGuiApplication.clipboard().setText(
            item.text(1)))
        top = item
        while top.parent() is not None:
            top = top.parent()

        def copy_all() -> None:
            lines = [f"{top.child(i).text(0)}\t{top.child(i).text(1)}"
                     for i in range(top.childCount())]
            QGuiApplication.clipboard().setText("\n".join(lines))

        menu.addAction(self.tr("Copy Feature"), copy_all)
        menu.exec(self.viewport().mapToGlobal(pos))


def _feature_of(item: QTreeWidgetItem | None) -> tuple[str, str] | None:
    """(layer, key) of the feature an item of the panel belongs to (None: no feature)."""
    while item is not None and item.parent() is not None:
        item = item.parent()
    data = item.data(0, KEY_ROLE) if item is not None else None
    return (str(data[0]), str(data[1])) if data else None
