"""What the main window remembers and asks about: recent files, the last folder, window
geometry and dock layout, the user's name and the interface language (QSettings). Functions
of the :class:`~citymgr_desktop.ui.shell.window.Window` contract; the geometry and dock
layout need only Qt's ``QMainWindow``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
)

from citymgr_desktop import __version__
from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.store.targets import is_database_target
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.ui.shell.window import Window

MAX_RECENT = 10
RECENT_KEY = "files/recent"
OPENED_KEY = "files/recent_opened"  # JSON {path: when it was last opened, stored UTC text}


def start_folder() -> str:
    """Where File > Open starts: the folder used last, else the folder of the most recent
    file, else the home's Documents (the trial's first Open dialog showed /root)."""
    last = str(QSettings().value("files/lastDir", "") or "")
    if last and Path(last).is_dir():
        return last
    for path in recent_files():
        if not is_database_target(path) and Path(path).parent.is_dir():
            return str(Path(path).parent)
    documents = Path.home() / "Documents"
    return str(documents if documents.is_dir() else Path.home())


def remember_folder(path: str) -> None:
    """The folder of a file the user chose: where the next file dialog starts."""
    QSettings().setValue("files/lastDir", str(Path(path).parent))


def open_dialog(w: Window) -> None:
    start = start_folder()
    path, _ = QFileDialog.getOpenFileName(w, i18n.tr("Open GeoPackage"), start,
                                          i18n.tr("GeoPackage (*.gpkg);;All files (*)"))
    if path:
        remember_folder(path)
        w.open_file(path)


def recent_files() -> list[str]:
    value = QSettings().value(RECENT_KEY, []) or []
    return [str(v) for v in ([value] if isinstance(value, str) else value)]


def recent_opened() -> dict[str, str]:
    """When each recent file was last opened (stored UTC text; files opened before this was
    kept have none)."""
    try:
        value = json.loads(str(QSettings().value(OPENED_KEY, "") or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def add_recent(w: Window, menu: QMenu, path: str) -> None:
    """Put ``path`` first in the recent files and in File > Open Recent (``menu``), and
    remember when it was opened (the start page shows it)."""
    files = [path, *(p for p in recent_files() if p != path)][:MAX_RECENT]
    QSettings().setValue(RECENT_KEY, files)
    opened = {p: t for p, t in recent_opened().items() if p in files} | {path: now_iso()}
    QSettings().setValue(OPENED_KEY, json.dumps(opened, ensure_ascii=False))
    fill_recent(w, menu)


def fill_recent(w: Window, menu: QMenu) -> None:
    """Rebuild File > Open Recent (numbered, full path in the tooltip)."""
    menu.clear()
    files = recent_files()
    names = [Path(p).name for p in files if not is_database_target(p)]
    for i, path in enumerate(files):
        shown = path if is_database_target(path) else Path(path).name
        if names.count(shown) > 1:  # several district.gpkg: their folders tell them apart
            shown = f"{shown} — {Path(path).parent.name or Path(path).parent}"
        a = menu.addAction(f"&{i + 1} {shown}")
        a.setToolTip(path)
        a.setStatusTip(path)
        a.triggered.connect(lambda _=False, p=path: open_recent(w, menu, p))
    menu.setEnabled(bool(files))
    if files:
        menu.addSeparator()
        menu.addAction(i18n.tr("Clear Recent Files"), lambda: _clear(w, menu))


def open_recent(w: Window, menu: QMenu, path: str) -> None:
    if not is_database_target(path) and not Path(path).exists():
        QMessageBox.warning(w, i18n.tr("Open"),
                            i18n.tr("%1 no longer exists.").replace("%1", path))
        QSettings().setValue(RECENT_KEY, [p for p in recent_files() if p != path])
        fill_recent(w, menu)
        return
    w.open_file(path)


def _clear(w: Window, menu: QMenu) -> None:
    QSettings().setValue(RECENT_KEY, [])
    fill_recent(w, menu)


def _login(w: Window) -> str | None:
    return w.store.login if w.store is not None else None


def user_name_key(w: Window) -> str:
    """Where the name recorded with the edits (修改人) is kept: one per database login on a
    database (engineers signing in with their own logins on one office PC are different
    people: trial 8 recorded three logins' saves as one name), one for the files."""
    login = _login(w)
    return f"user/name_of_login/{login}" if login else "user/name"


def default_user_name(w: Window) -> str:
    """The name offered before one is given: the database login, else the OS login."""
    from citymgr_desktop.core.user import login_name

    return _login(w) or login_name("user")


def ask_user_name(w: Window, first: bool = False) -> str:
    """Ask for the name recorded with the user's edits and keep it (Settings > User Name,
    or the first time an edit needs it); returns it ("" when cancelled)."""
    dialog = QInputDialog(w)
    dialog.setObjectName("userNameDialog")
    dialog.setWindowTitle(i18n.tr("Your name"))
    # the first time it comes with (an edit: right after) the user's first change: say why
    text = i18n.tr("This is your first change. Your name is recorded with every edit you "
                   "save (修改人), so others can see who changed what. Name:") \
        if first else i18n.tr("Name recorded with your edits:")
    login = _login(w)
    if login:
        text = i18n.tr("Database login %1.").replace("%1", login) + " " + text
    dialog.setLabelText(text)
    dialog.setTextValue(w.user_name(ask=False))
    if dialog.exec() != QInputDialog.DialogCode.Accepted or not dialog.textValue().strip():
        return ""
    name = dialog.textValue().strip()
    QSettings().setValue(user_name_key(w), name)
    if w.edit_session is not None:
        w.edit_session.user = name
    return name


def set_language(w: Window, lang: str) -> None:
    """Remember the language; offer to restart (every window is built in one language)."""
    QSettings().setValue(i18n.SETTINGS_KEY, lang)
    if lang == w.lang:
        return
    box = QMessageBox(QMessageBox.Icon.Question, i18n.tr("Language"),
                      i18n.tr("The new language is used after a restart. Restart now?"),
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, w)
    path = str(w.store.path) if w.store is not None else None
    if box.exec() == QMessageBox.StandardButton.Yes and w.close():
        QProcess.startDetached(sys.executable, ["-m", "citymgr_desktop.ui.app",
                                                *([path] if path else [])])


def about(w: Window) -> None:
    QMessageBox.about(w, i18n.tr("About citymgr-desktop"), i18n.tr(
        "<b>citymgr-desktop %1</b><p>City-management asset inventory (城市管理资产台账) on "
        "GeoPackage files.</p>").replace("%1", __version__))


# below these a dock is unusable (layer names cut to "Litte", two rows of work orders)
MIN_SIDE_DOCK, MIN_BOTTOM_DOCK = 220, 150
USABLE_BOTTOM_DOCK = 240  # a bottom dock shown lower than this shows one row of a table
LAYOUT_SETTLED = "dockLayoutSettled"  # the first or restored layout is in place
MIN_WINDOW = (960, 640)


def _first_size(w: QMainWindow) -> tuple[int, int]:
    """1440x900, or 90% of a smaller screen's available area."""
    screen = w.screen().availableGeometry() if w.screen() else None
    width, height = 1440, 900
    if screen is not None and screen.width() > 0:
        width = min(width, int(screen.width() * 0.9))
        height = min(height, int(screen.height() * 0.9))
    return width, height


def restore(w: QMainWindow) -> None:
    """Window geometry and dock layout from the last run, else a sensible first layout; a
    restored window or dock too small to use is repaired (:func:`repair_layout`)."""
    s = QSettings()
    geometry = s.value("window/geometry")
    if geometry is None or not w.restoreGeometry(geometry):
        w.resize(*_first_size(w))
    else:
        width, height = _first_size(w)  # a screen with room for a usable window: use it
        if width >= MIN_WINDOW[0] and height >= MIN_WINDOW[1] and (
                w.width() < MIN_WINDOW[0] or w.height() < MIN_WINDOW[1]):
            w.resize(max(w.width(), width), max(w.height(), height))
    state = s.value("window/state")
    if state is None or not w.restoreState(state):
        QTimer.singleShot(0, lambda: default_layout(w))  # sizes apply once the window exists
    else:
        QTimer.singleShot(0, lambda: repair_layout(w))


def repair_layout(w: QMainWindow, tries: int = 50) -> None:
    """Widen a docked side panel narrower than ``MIN_SIDE_DOCK`` and heighten a bottom one
    lower than ``MIN_BOTTOM_DOCK`` (a layout saved from a tiny window); waits until the
    window is on screen (dock sizes mean nothing before)."""
    if not w.isVisible():
        if tries > 0:
            QTimer.singleShot(100, lambda: repair_layout(w, tries - 1))
        return
    side = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    shown = [d for d in w.findChildren(QDockWidget) if not d.isFloating() and d.isVisible()]
    for d in shown:
        if w.dockWidgetArea(d) in side and d.width() < MIN_SIDE_DOCK:
            w.resizeDocks([d], [MIN_SIDE_DOCK + 40], Qt.Orientation.Horizontal)
    # the bottom area as a whole: heightening a low dock stacked over a tall one would take
    # the tall one's rows (the attribute table came back one row tall after a restart)
    low = [d for d in shown if w.dockWidgetArea(d) == bottom]
    if low and max(d.height() for d in low) < MIN_BOTTOM_DOCK:
        w.resizeDocks(low[:1], [MIN_BOTTOM_DOCK + 40], Qt.Orientation.Vertical)
    w.setProperty(LAYOUT_SETTLED, True)


def usable_bottom_height(w: QMainWindow) -> int:
    """The height a bottom dock is given when it is shown lower than a table can be read
    in (a filter row, a tool bar and a header leave one row in 190 px): a third of the
    window, at least :data:`USABLE_BOTTOM_DOCK`."""
    return max(USABLE_BOTTOM_DOCK, w.height() // 3)


def heighten_when_shown(w: QMainWindow, dock: QDockWidget) -> None:
    """Whenever ``dock`` is shown in the bottom area lower than :data:`USABLE_BOTTOM_DOCK`
    once the window's layout is in place (the work orders of the first layout keep their
    190 px), give it :func:`usable_bottom_height` (a height the person chose above that is
    kept, and restored with the window's state)."""
    def check() -> None:
        if (dock.isVisible() and not dock.isFloating() and w.isVisible()
                and w.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
                and dock.height() < USABLE_BOTTOM_DOCK):
            w.resizeDocks([dock], [usable_bottom_height(w)], Qt.Orientation.Vertical)

    dock.visibilityChanged.connect(
        lambda shown: shown and w.property(LAYOUT_SETTLED) and QTimer.singleShot(0, check))


def default_layout(w: QMainWindow) -> None:
    """First run: the map gets most of the room; right-hand docks share one tabbed area."""
    docks = w.findChildren(QDockWidget)
    right = [d for d in docks if w.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
    for d in right[1:]:
        w.tabifyDockWidget(right[0], d)
    if right:
        right[0].raise_()
    sizes = {Qt.DockWidgetArea.LeftDockWidgetArea: 260, Qt.DockWidgetArea.RightDockWidgetArea: 330}
    for area, size in sizes.items():
        ds = [d for d in docks if w.dockWidgetArea(d) == area and not d.isFloating()]
        if ds:
            w.resizeDocks(ds[:1], [size], Qt.Orientation.Horizontal)
    bottom = [d for d in docks if w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
    if bottom:
        w.resizeDocks(bottom[:1], [190], Qt.Orientation.Vertical)  # the work orders
    repair_layout(w)  # a small screen: the right-hand docks' minimum took the left's room


def save(w: QMainWindow) -> None:
    s = QSettings()
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/state", w.saveState())
