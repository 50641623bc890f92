"""The Help menu of the real window: the keyboard shortcuts read from the window's own
actions (Chinese and English), the user guide on F1 (the checkout's README and its docs, or
the README an installed package carries), the log folder, and About last."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication

from citymgr_desktop.ui.shell import guide_dialog
from citymgr_desktop.ui.shell.guide_dialog import GuideDialog
from citymgr_desktop.ui.shell.shortcuts_dialog import ShortcutsDialog, plain
from tests.ui.driver import menu_item, press


def _dialog(qtbot, kind):
    qtbot.waitUntil(lambda: any(isinstance(w, kind) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5000)
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, kind)
                and w.isVisible())


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_shortcuts_listed_are_the_windows_own(qtbot, window_in, shots, lang):
    w = window_in(lang)
    texts = [a.text() for a in w.menu("help").actions() if not a.isSeparator()]
    items = [plain(t) for t in texts]
    assert items == (["用户指南", "快捷键", "打开日志文件夹", "关于 citymgr-desktop"]
                     if lang == "zh_CN" else
                     ["User Guide", "Keyboard Shortcuts", "Open Log Folder",
                      "About citymgr-desktop"])
    menu_item(qtbot, w, "help", texts[1])
    dialog = _dialog(qtbot, ShortcutsDialog)
    rows = dialog.rows()
    listed = {(command, keys) for _, command, keys in rows}
    native = QKeySequence.SequenceFormat.NativeText
    # every action of the window that has a shortcut is there, with its keys
    for action in w.findChildren(QAction):
        keys = ", ".join(s.toString(native) for s in action.shortcuts() if not s.isEmpty())
        if keys and plain(action.text()):
            assert any(keys == k and c.endswith(plain(action.text())) for c, k in listed), \
                (action.text(), keys)
    undo = ("编辑", "撤销", "Ctrl+Z") if lang == "zh_CN" else ("Edit", "Undo", "Ctrl+Z")
    assert undo in rows
    assert ("帮助" if lang == "zh_CN" else "Help",
            "用户指南" if lang == "zh_CN" else "User Guide", "F1") in rows
    shots("shortcuts", dialog)
    qtbot.keyClicks(dialog.filter_edit, "Ctrl+J")
    assert [r[2] for r in dialog.rows()] == ["Ctrl+J"]
    assert dialog.rows()[0][1] == ("缩放到所选" if lang == "zh_CN" else "Zoom to Selection")
    dialog.close()


def test_f1_shows_the_guide_and_its_documents(qtbot, main_window, shots):
    press(qtbot, main_window, Qt.Key.Key_F1)
    dialog = _dialog(qtbot, GuideDialog)
    text = dialog.browser.toPlainText()
    assert text.startswith("citymgr-desktop") and "Quick start" in text
    shots("guide", dialog)
    dialog.follow(QUrl("docs/workorders.md"))  # a link of the README, as clicked
    assert dialog.browser.source().toLocalFile().endswith("docs/workorders.md")
    assert "12319" in dialog.browser.toPlainText() or "Work orders" in \
        dialog.browser.toPlainText()
    dialog.close()


def test_the_installed_guide_is_the_readme_the_package_carries(qtbot, main_window,
                                                                monkeypatch):
    monkeypatch.setattr(guide_dialog, "checkout_readme", lambda: None)  # as from a wheel
    text, readme = guide_dialog.guide()
    assert readme is None and text.startswith("# citymgr-desktop")
    menu_item(qtbot, main_window, "help", "User Guide")
    dialog = _dialog(qtbot, GuideDialog)
    assert dialog.browser.toPlainText().startswith("citymgr-desktop")
    dialog.follow(QUrl("docs/sync.md"))  # not in an installed package: said, not blank
    assert dialog.note.isVisible() and "docs/sync.md" in dialog.note.text()
    assert dialog.browser.toPlainText().startswith("citymgr-desktop")
    dialog.close()


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_open_log_folder_opens_the_folder_the_app_logs_to(qtbot, main_window, tmp_path):
    from citymgr_desktop.ui import app

    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    path = app.setup_logging(folder=tmp_path / "logs")
    try:
        menu_item(qtbot, main_window, "help", "Open Log Folder")
        qtbot.waitUntil(lambda: bool(opened.urls), timeout=5000)
    finally:
        app.stop_logging()
        QDesktopServices.unsetUrlHandler("file")
    assert opened.urls == [QUrl.fromLocalFile(str(path.parent))]
