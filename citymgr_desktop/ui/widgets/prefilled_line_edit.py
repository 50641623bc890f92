"""A line edit holding a suggestion (the last crew, say): the first click into it selects the
suggestion, so typing replaces it — as Tab into a QLineEdit already does — instead of
appending to it. Once the text was edited, clicks place the cursor as usual."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent, QMouseEvent
from PySide6.QtWidgets import QLineEdit, QWidget


class PrefilledLineEdit(QLineEdit):
    """A QLineEdit whose untouched, pre-filled text is selected when a click gives it
    focus."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._select_on_press = False

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._select_on_press = (event.reason() == Qt.FocusReason.MouseFocusReason
                                 and bool(self.text()) and not self.isModified())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        if self._select_on_press:
            self._select_on_press = False
            self.selectAll()
