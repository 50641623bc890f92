"""The start-up splash: the app's name and what it is doing, on screen as soon as the
``QApplication`` and the translator exist, before the fonts, the map stack and the features
are imported (seconds on a busy office PC; nothing at all was shown before the main window).

It is drawn with the application's font at every repaint, so once the CJK font is set up
its Chinese is drawn with it; :meth:`StartupSplash.say` repaints at once (the event loop is
not running yet), and :meth:`QSplashScreen.finish` closes it when the main window is shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from citymgr_desktop import __version__
from citymgr_desktop.ui import i18n

SIZE = (520, 220)
BACKGROUND = QColor("#1f4e79")  # the blue of the app's icon and title bar, light text on it
TEXT = QColor("#ffffff")
DETAIL = QColor("#c9d9ea")


class StartupSplash(QSplashScreen):
    """A frameless box with the app's name (in the interface language), its version, a
    status line ("Opening district.gpkg…") and a line for the current step."""

    def __init__(self, status: str) -> None:
        pixmap = QPixmap(*SIZE)
        pixmap.fill(BACKGROUND)
        super().__init__(pixmap, Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("startupSplash")
        self.title = i18n.tr("City asset inventory")
        self.status = status
        self.detail = ""

    def say(self, detail: str) -> None:
        """Show the current step under the status line, painted now."""
        self.detail = detail
        self.repaint()
        QApplication.processEvents()

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
    if QGuiApplication.primaryScreen() is None:
        return None
    splash = StartupSplash(opening_text(target))
    splash.detail = i18n.tr("Starting…")
    splash.show()
    splash.repaint()
    QApplication.processEvents()
    return splash
