"""Drop-downs, spin boxes and date edits that the mouse wheel does not change by passing.

Qt lets the wheel change a combo box or spin box under the pointer even when it has no
focus: scrolling a long form with the wheel silently changed 垃圾分类 and 技术状况, and the
change was saved (trial 8). A guarded widget takes focus only by a click or Tab
(``StrongFocus``, so the wheel does not focus it either), and while it has no focus its wheel
events go on to the parent: the form's scroll area scrolls. Once focused, the wheel changes
the value as before.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class _WheelGuard(QObject):
    """The one event filter shared by every guarded widget."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) \
                and not watched.hasFocus():
            event.ignore()  # ignored and filtered: Qt hands it on to the parent widgets
            return True
        return False


_guard: _WheelGuard | None = None


def _the_guard() -> _WheelGuard:
    global _guard
    if _guard is None:
        _guard = _WheelGuard(QCoreApplication.instance())
    return _guard


def guard_wheel(*widgets: QWidget) -> None:
    """The wheel changes these widgets only while they have focus (see the module doc)."""
    guard = _the_guard()
    for w in widgets:
        w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(guard)


def guard_wheel_in(parent: QWidget) -> None:
    """:func:`guard_wheel` for every drop-down, spin box and date edit inside ``parent``."""
    guard_wheel(*parent.findChildren(QComboBox), *parent.findChildren(QAbstractSpinBox))
