"""Item delegate for a tree view column whose text wraps: the row grows to hold the whole
text at the column's width (the detail window's timeline notes, e.g. an extension's long
reason), instead of being cut to one line."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTreeView


class WrapDelegate(QStyledItemDelegate):
    """Sizes a cell for its text wrapped at the column's width, and lays the view out again
    when a column is resized (QTreeView asks for a row's height without the width)."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self._view = view
        view.setWordWrap(True)
        view.header().sectionResized.connect(lambda *_a: view.doItemsLayout())

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        opt.rect = QRect(0, 0, max(1, self._view.columnWidth(index.column())), 1)
        opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        return super().sizeHint(opt, index)
