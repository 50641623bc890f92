"""The start-up splash: the app's name and what it is doing, on screen as soon as the
``QApplication`` and the translator exist, before the fonts, the map stack and the features
are imported (seconds on a busy office PC; nothing at all was shown before the main window).

It is drawn with the application's font at every repaint, so once the CJK font is set up
its Chinese is drawn with it; :meth:`StartupSplash.say` repaints at once (the event loop is
not running yet), and :meth:`StartupSplash.finish` closes it when the main window is shown.

A plain frameless window, not a ``QSplashScreen``: Qt 6's splash screen waits in its show
event for a window that is only mapped after that event, so every start lost its full
one-second timeout (offscreen, Xvfb); here the wait ends as soon as the window is exposed.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from citymgr_desktop import __version__
from citymgr_desktop.ui import i18n

SIZE = (520, 220)
BACKGROUND = QColor("#1f4e79")  # the blue of the app's icon and title bar, light text on it
TEXT = QColor("#ffffff")
DETAIL = QColor("#c9d9ea")
EXPOSE_TIMEOUT_S = 1.0  # at most this long for the window system to show a window


def wait_until_exposed(window: QWidget, timeout: float = EXPOSE_TIMEOUT_S) -> bool:
    """Process events until ``window`` is on screen (exposed), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        handle = window.windowHandle()
        if handle is not None and handle.isExposed():
            return True
        if time.monotonic() >= deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        time.sleep(0.002)


class StartupSplash(QWidget):
    """A frameless box with the app's name (in the interface language), its version, a
    status line ("Opening district.gpkg…") and a line for the current step. A click hides
    it (as a ``QSplashScreen`` does)."""

    def __init__(self, status: str) -> None:
        super().__init__(None, Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("startupSplash")
        self.setFixedSize(*SIZE)
        self.title = i18n.tr("City asset inventory")
        self.status = status
        self.detail = ""

    def say(self, detail: str) -> None:
        """Show the current step under the status line, painted now."""
        self.detail = detail
        self.repaint()
        QApplication.processEvents()

    def finish(self, window: QWidget) -> None:
        """Close once ``window`` (the main window) is on screen."""
        wait_until_exposed(window)
        self.close()

    def mousePressEvent(self, _event) -> None:
        self.hide()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        self.drawContents(painter)
        painter.end()

    def drawContents(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        width, height = SIZE
        base = QApplication.font()
        title = QFont(base)
        title.setPointSizeF(base.pointSizeF() * 2.0)
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(TEXT)
        painter.drawText(QRect(28, 28, width - 56, 56),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title)
        small = QFont(base)
        painter.setFont(small)
        painter.setPen(DETAIL)
        painter.drawText(QRect(28, 84, width - 56, 24), Qt.AlignmentFlag.AlignLeft,
                         f"citymgr-desktop {__version__}")
        status = QFont(base)
        status.setPointSizeF(base.pointSizeF() * 1.2)
        painter.setFont(status)
        painter.setPen(TEXT)
        metrics = painter.fontMetrics()
        painter.drawText(QRect(28, height - 84, width - 56, 30),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(self.status, Qt.TextElideMode.ElideMiddle,
                                            width - 56))
        painter.setFont(small)
        painter.setPen(DETAIL)
        painter.drawText(QRect(28, height - 50, width - 56, 24),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.detail)


def opening_text(target: str | None) -> str:
    """The status line: "Opening district.gpkg…" (a file's name; a database is not named,
    its URL may hold a password), else "Opening…"."""
    if not target:
        return i18n.tr("Opening…")
    if "://" in target or target.lower().startswith("service="):
        return i18n.tr("Opening the database…")
    return i18n.tr("Opening %1…").replace("%1", Path(target).name)


def show_splash(target: str | None) -> StartupSplash | None:
    """Show the splash (centred on the primary screen) and paint it before returning; None
    where there is no screen to show it on."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return None
    splash = StartupSplash(opening_text(target))
    splash.detail = i18n.tr("Starting…")
    splash.move(screen.geometry().center() - splash.rect().center())
    splash.show()
    wait_until_exposed(splash)
    splash.repaint()
    QApplication.processEvents()
    return splash
