"""The start page: what the window's centre shows while no file is open, as QGIS's welcome
page does: the recent files (name, folder, when last opened; a click or Enter opens one, a
file that is gone is marked and not opened), Open…, Open Database… and a sample district to
try the app on. The last file is not reopened by itself: it may be big, or gone (trial 10
found only File › Open Recent, which no page mentioned).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import format_local_or_text, office_zone
from citymgr_desktop.core.store.targets import is_database_target
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell import settings as ws

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    from citymgr_desktop.ui.shell.window import Window

PATH_ROLE = Qt.ItemDataRole.UserRole
SAMPLE_FEATURES = 4000  # as sample_data/district.gpkg: about 3 s to make


def missing(path: str) -> bool:
    """A recent file that is no longer there (a database is asked only when opened)."""
    return not is_database_target(path) and not Path(path).exists()


def gone_text(path: str) -> str:
    return i18n.tr("%1 is no longer there (moved, renamed, or on a drive that is not "
                   "connected)").replace("%1", path)


class StartPage(QWidget):
    """Laid over the map canvas (``w.canvas``), its size followed, while no file is open."""

    def __init__(self, w: Window, acts: dict[str, QAction], recent_menu: QMenu) -> None:
        super().__init__(w.canvas)
        self.setObjectName("startPage")
        self.setAutoFillBackground(True)
        self._w = w
        tr = i18n.tr
        title = QLabel("citymgr-desktop")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        intro = QLabel(tr("Open a project to begin: a GeoPackage file, the shared database, or "
                          "a sample district to try the app on."))
        intro.setWordWrap(True)
        buttons = QHBoxLayout()
        self.open_button = self._button(tr("Open…"), acts["open"], "startOpen")
        self.database_button = self._button(tr("Open Database…"), acts["open_database"],
                                            "startOpenDatabase")
        self.sample_button = QPushButton(tr("Sample District…"))
        self.sample_button.setObjectName("startSample")
        self.sample_button.setToolTip(tr("Make a synthetic district of about 4,000 assets in a "
                                         "file you choose, and open it"))
        self.sample_button.clicked.connect(lambda: make_sample(w))
        for b in (self.open_button, self.database_button, self.sample_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.recent_title = QLabel(tr("Recent files"))
        bold = QFont(self.recent_title.font())
        bold.setBold(True)
        self.recent_title.setFont(bold)
        self.recent = QTreeWidget()
        self.recent.setObjectName("startRecent")
        self.recent.setHeaderLabels([tr("Name"), tr("Folder"), tr("Last opened")])
        self.recent.setRootIsDecorated(False)
        self.recent.setUniformRowHeights(True)
        self.recent.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.recent.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a folder's both ends
        self.recent.headerItem().setToolTip(2, office_zone(i18n.language()))
        header = self.recent.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.recent.itemClicked.connect(lambda item, _col: self.open_item(item))
        self.recent.itemActivated.connect(lambda item, _col: self.open_item(item))  # Enter
        self.hint = QLabel()
        self.hint.setObjectName("startHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555555")

        panel = QWidget(self)
        panel.setMaximumWidth(820)
        inner = QVBoxLayout(panel)
        for widget in (title, intro):
            inner.addWidget(widget)
        inner.addLayout(buttons)
        inner.addSpacing(12)
        inner.addWidget(self.recent_title)
        inner.addWidget(self.recent, 1)
        inner.addWidget(self.hint)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(panel, 6)
        outer.addStretch(1)
        w.canvas.installEventFilter(self)
        w.storeChanged.connect(lambda store: self.show_for(store is None))
        # File › Open Recent's "Clear Recent Files", a gone file taken off the list
        recent_menu.triggered.connect(lambda _a: QTimer.singleShot(0, self.refresh))
        self.resize(w.canvas.size())
        self.show_for(w.store is None)

    def _button(self, text: str, action: QAction, name: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button.setToolTip(f"{action.statusTip()} ({keys})" if keys else action.statusTip())
        button.clicked.connect(action.trigger)
        return button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._w.canvas and event.type() == QEvent.Type.Resize:
            self.resize(self._w.canvas.size())
        return False

    def show_for(self, empty: bool) -> None:
        """Shown (the list read again) while no file is open, hidden once one is."""
        if empty:
            self.refresh()
            self.raise_()
        self.setVisible(empty)
        if empty and self.recent.topLevelItemCount():
            self.recent.setFocus()  # Enter opens the file used last

    def refresh(self) -> None:
        tr = i18n.tr
        self.recent.clear()
        files = ws.recent_files()
        opened = ws.recent_opened()
        for path in files:
            item = QTreeWidgetItem()
            if is_database_target(path):
                item.setText(0, path)
                item.setText(1, tr("PostgreSQL database"))
            else:
                item.setText(0, Path(path).name)
                item.setText(1, str(Path(path).parent))
            item.setText(2, format_local_or_text(opened.get(path)))
            item.setData(0, PATH_ROLE, path)
            item.setToolTip(0, path)
            item.setToolTip(1, path)
            if missing(path):
                item.setText(0, tr("%1 (missing)").replace("%1", item.text(0)))
                gone = gone_text(path)
                for column in range(3):
                    item.setForeground(column, QBrush(QColor("#8a8a8a")))
                    item.setToolTip(column, gone)
                font = QFont(item.font(0))
                font.setItalic(True)
                item.setFont(0, font)
            self.recent.addTopLevelItem(item)
        if files:
            self.recent.setCurrentItem(self.recent.topLevelItem(0))
        self.recent.setVisible(bool(files))
        self.recent_title.setVisible(bool(files))
        self.hint.setText(
            tr("Click a recent file or press Enter to open it; a .gpkg file can also be "
               "dropped on this window.") if files else
            tr("No recent files yet. Open a GeoPackage (Ctrl+O) or drop a .gpkg file on this "
               "window."))

    def open_item(self, item: QTreeWidgetItem | None) -> None:
        """Open the recent file of ``item``; one that is gone is said, not opened (and kept
        in the list: its drive may come back)."""
        if item is None:
            return
        path = str(item.data(0, PATH_ROLE))
        if self._w.store is not None:  # the second event of a double-click: opened already
            return
        if missing(path):
            self._w.status(gone_text(path), 10000)
            return
        self._w.open_file(path)


def make_sample(w: Window) -> None:
    """Sample District…: a synthetic district (``citymgr sample``) written in a worker to a
    file the user names, then opened."""
    from citymgr_desktop.core import sample
    from citymgr_desktop.ui.worker import run_task

    suggested = str(Path(ws.start_folder()) / "district-sample.gpkg")
    path, _ = QFileDialog.getSaveFileName(w, i18n.tr("Sample district"), suggested,  # type: ignore[arg-type]
                                          i18n.tr("GeoPackage (*.gpkg)"))
    if not path:
        return
    if not path.lower().endswith(".gpkg"):
        path += ".gpkg"
    ws.remember_folder(path)
    run_task(w, i18n.tr("Making the sample district…"), sample.generate, path,  # type: ignore[arg-type]
             SAMPLE_FEATURES, uses=None, on_done=lambda made: w.open_file(made))


def install(w: Window, acts: dict[str, QAction], recent_menu: QMenu) -> StartPage:
    """The start page of ``w`` over its canvas (``recent_menu``: File › Open Recent)."""
    return StartPage(w, acts, recent_menu)
