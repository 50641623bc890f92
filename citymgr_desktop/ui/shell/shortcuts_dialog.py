"""Help > Keyboard Shortcuts: every shortcut of the window's real actions, by menu, in the
interface language (read from the actions when the dialog opens, so a feature's own keys
are listed and the list never drifts from what the keys do), with a filter box.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

Row = tuple[str, str]  # (command, its shortcuts as the platform writes them)


def plain(text: str) -> str:
    """A menu text as a person reads it: no mnemonic (``&Open``, Chinese ``打开(&O)``), no
    trailing ``…``, nothing after a tab."""
    text = re.sub(r"\s*\(&\w\)", "", text.split("\t")[0])
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def keys(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                     for s in action.shortcuts() if not s.isEmpty())


def menu_rows(menu: QMenu, seen: set[int], prefix: str = "") -> list[Row]:
    """The actions of ``menu`` (and its submenus, named ``Sub > Command``) that have a
    shortcut; ``seen`` collects them so an action in two menus is listed once."""
    rows: list[Row] = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            rows += menu_rows(sub, seen, f"{prefix}{plain(action.text())} > ")
        elif not action.isSeparator() and keys(action) and id(action) not in seen:
            seen.add(id(action))
            rows.append((prefix + plain(action.text()), keys(action)))
    return rows


def shortcut_groups(menus: Iterable[QMenu], window: QWidget, other: str
                    ) -> list[tuple[str, list[Row]]]:
    """(menu title, rows) for each menu with a shortcut, then ``other``: the window's
    actions with a shortcut that no menu shows (tool bar buttons, keys of their own)."""
    seen: set[int] = set()
    groups = [(plain(m.title()), menu_rows(m, seen)) for m in menus]
    rest = [(plain(a.text()), keys(a)) for a in window.findChildren(QAction)
            if keys(a) and id(a) not in seen and plain(a.text())]
    groups.append((other, sorted(set(rest))))
    return [(title, rows) for title, rows in groups if rows]


class ShortcutsDialog(QDialog):
    """The window's shortcuts by menu; typing in the filter keeps the matching commands."""

    def __init__(self, groups: list[tuple[str, list[Row]]], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(self.tr("Keyboard Shortcuts"))
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("shortcutsFilter")
        self.filter_edit.setPlaceholderText(self.tr("Filter commands or keys"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.apply_filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Command"), self.tr("Shortcut")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for title, rows in groups:
            top = QTreeWidgetItem(self.tree, [title])
            top.setFirstColumnSpanned(True)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for command, shortcut in rows:
                QTreeWidgetItem(top, [command, shortcut])
        self.tree.expandAll()
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.resize(520, 600)

    def rows(self) -> list[tuple[str, str, str]]:
        """(menu, command, shortcut) of the rows shown."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                item = top.child(j)
                if not item.isHidden():
                    out.append((top.text(0), item.text(0), item.text(1)))
        return out

    def apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                item = top.child(j)
                hit = not needle or any(needle in item.text(c).casefold() for c in (0, 1)) \
                    or needle in top.text(0).casefold()
                item.setHidden(not hit)
                shown += hit
            top.setHidden(shown == 0)
