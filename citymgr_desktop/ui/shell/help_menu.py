"""The Help menu's entries besides About: the keyboard shortcuts (read from the window's real
actions), the user guide (the README the package carries: ``guide_dialog.py``) and the
folder of the log file the app writes (to send with a problem report).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence

from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from collections.abc import Sequence

    from citymgr_desktop.ui.shell.window import Window


def log_file() -> Path | None:
    """The rotating file the app logs to (``ui/app.py: setup_logging``; None when it logs to
    no file: a library use, a test)."""
    for handler in reversed(logging.getLogger().handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def show_shortcuts(w: Window, menu_keys: Sequence[str]) -> None:
    from citymgr_desktop.ui.shell.shortcuts_dialog import ShortcutsDialog, shortcut_groups

    # the menus the bar shows (``w.menu(key)`` would show an empty one, e.g. Tools)
    shown = [a.menu() for a in w.menuBar().actions()  # type: ignore[attr-defined]
             if a.isVisible() and a.menu() is not None]
    groups = shortcut_groups(shown, w, i18n.tr("Other"))  # type: ignore[arg-type]
    dialog = ShortcutsDialog(groups, w)  # type: ignore[arg-type]
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.open()


def show_guide(w: Window, menu_keys: Sequence[str]) -> None:
    from citymgr_desktop.ui.shell.guide_dialog import GuideDialog

    dialog = GuideDialog(w)  # type: ignore[arg-type]
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.open()


def open_log_folder(w: Window, menu_keys: Sequence[str]) -> None:
    path = log_file()
    if path is None or not path.parent.is_dir():
        w.status(i18n.tr("The app writes no log file in this session"))
        return
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
        w.status(i18n.tr("Could not open %1").replace("%1", str(path.parent)), 8000)


def actions(w: Window, menu_keys: Sequence[str]) -> list[QAction]:
    """User Guide (F1), Keyboard Shortcuts (of the menus ``menu_keys`` and the window) and
    Open Log Folder, for the Help menu."""
    tr = i18n.tr
    out = []
    for name, text, slot, key in (
            ("action_user_guide", tr("&User Guide"), show_guide,
             QKeySequence(QKeySequence.StandardKey.HelpContents)),
            ("action_shortcuts", tr("&Keyboard Shortcuts…"), show_shortcuts, None),
            ("action_log_folder", tr("Open &Log Folder"), open_log_folder, None)):
        action = QAction(text, w)  # type: ignore[call-overload]
        action.setObjectName(name)
        if key is not None:
            action.setShortcut(key)
        action.triggered.connect(lambda _=False, slot=slot: slot(w, menu_keys))
        out.append(action)
    return out
