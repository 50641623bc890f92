"""Make PySide6 safe to use from a second thread: create its Python types up front.

PySide6 creates a Qt class's Python type (and that class's enums) the first time Python
needs it, also in the middle of a call: ``QPainter.fillRect(rect, color)`` creates
``QGradient`` and its five enums while it resolves the overloads. That creation runs
Python code (``enum``), so the GIL can pass to another thread half-way, and it is not
guarded against a second thread: when the render thread calls into QtGui while the UI
thread is creating a type, the render thread reads a converter that is not there yet and
the process dies (SIGSEGV in ``Shiboken::Conversions::pythonToCppConversion``).

:func:`create_qt_types` creates every type of the modules that code off the UI thread
uses (``render/``, ``export/``: QtCore, QtGui, QtSvg), from the UI thread, before such a
thread starts; afterwards no thread creates a type of those modules. It costs ~0.2 s of
CPU once per process.
"""

from __future__ import annotations

import threading

_created = False
_lock = threading.Lock()


def create_qt_types() -> None:
    """Create all QtCore, QtGui and QtSvg types now (once; call before starting a thread
    that uses them)."""
    global _created
    if _created:
        return
    with _lock:
        if _created:
            return
        from PySide6 import QtCore, QtGui, QtSvg

        for module in (QtCore, QtGui, QtSvg):
            for name in dir(module):
                getattr(module, name)  # the first access creates a lazily loaded type
        _created = True


__all__ = ["create_qt_types"]
