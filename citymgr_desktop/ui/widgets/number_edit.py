"""A number field with an allowed range that keeps what is typed.

Qt's spin boxes refuse a keystroke that leaves their range: ``2000`` typed into a capacity
of at most 1,100 became ``200`` and ``-5`` became ``5``, and the wrong value was saved
without a word (trial 10). This editor is a line edit instead: digits (a minus, a decimal
point for a real number) are typed as they are, a value outside the range stays shown,
marked, with the allowed range as its tooltip, and is what ``value()`` gives, so the
dialog's check refuses it by name. A whole-number field takes a decimal point too, so that
``12.5`` stays ``12.5``, marked as no whole number (trial 11: the "." was dropped and 125,
inside the range, was saved). Up and Down step by one inside the range, as a spin box
does; empty means empty. A comma is a thousands separator, as Chinese and English write
numbers: ``1,250`` is 1,250 (grouped by threes); a comma anywhere else leaves the text no
number, marked and refused — never read as a decimal point (``1,250`` became 1.25, inside a
bridge length's range, and was saved: a review found it).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QLineEdit, QWidget

from citymgr_desktop.core.model import domains as dm

_INVALID = "QLineEdit { border: 1px solid #c0392b; }"
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d*)?")  # 1,250 and 12,345.5: thousands


class NumberEdit(QLineEdit):
    """A whole or real number in ``domain``'s range; :meth:`number` is what is typed."""

    def __init__(self, domain: dm.RangeDomain, whole: bool, lang: str = "en",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.domain, self.whole, self.lang = domain, whole, lang
        pattern = r"-?[\d,]*(\.\d*)?"  # a "." in a whole number is kept and marked
        self.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self))
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.textChanged.connect(lambda _t: self._mark())

    def number(self) -> int | float | str | None:
        """The number typed (None when empty; the text itself when it is no number yet,
        e.g. a lone minus, or no whole number where one is wanted, e.g. ``12.5``), whether
        or not it is in the range."""
        text = self.text().strip()
        if not text:
            return None
        if "," in text:
            if not _GROUPED.fullmatch(text):
                return text  # no number: marked, refused by name
            text = text.replace(",", "")
        try:
            value = float(text)
        except ValueError:
            return self.text().strip()
        if not self.whole:
            return value
        return int(value) if value.is_integer() else self.text().strip()

    def set_number(self, value: float | None) -> None:
        if value is None:
            self.setText("")
        elif self.whole and float(value).is_integer():
            self.setText(str(int(value)))
        else:
            self.setText(f"{float(value):.10g}")

    def in_range(self) -> bool:
        """True when empty or a number the range allows."""
        value = self.number()
        return value is None or (not isinstance(value, str) and self.domain.contains(value))

    def _mark(self) -> None:
        bad = not self.in_range()
        self.setStyleSheet(_INVALID if bad else "")
        allowed = self.tr("Allowed: %1").replace("%1", self.domain.describe(self.lang))
        self.setToolTip(allowed)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Up/Down step by one inside the range (from the minimum when empty)."""
        step = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1}.get(Qt.Key(event.key()))
        if step is None or self.isReadOnly():
            super().keyPressEvent(event)
            return
        value = self.number()
        lo, hi = self.domain.minimum, min(self.domain.maximum, 1e9)
        start = lo if value is None or isinstance(value, str) else value
        new = min(max(start + (step if value is not None and not isinstance(value, str)
                               else 0), lo), hi)
        self.set_number(new)
        self.textEdited.emit(self.text())
