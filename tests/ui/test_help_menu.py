"""The Help menu of the real window: the keyboard shortcuts read from the window's own
actions (Chinese and English), the user guide on F1 in the interface's language (its menu
paths and shortcuts are the window's own), the log folder, and About last."""

from __future__ import annotations

import os
import re
from pathlib import Path

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


def test_the_shortcuts_list_adds_no_empty_menu_to_the_bar(qtbot, window_in):
    """Reading the menus for the list must not show a menu the bar hides (an empty 工具)."""
    w = window_in("zh_CN")

    def shown() -> list[str]:
        return [plain(a.text()) for a in w.menuBar().actions() if a.isVisible()]

    before = shown()
    menu_item(qtbot, w, "help", "快捷键(&K)…")
    dialog = _dialog(qtbot, ShortcutsDialog)
    dialog.close()
    assert shown() == before
    assert all(menu.actions() for menu in (a.menu() for a in w.menuBar().actions()
                                            if a.isVisible()))


def test_close_and_quit_have_the_same_keys_on_every_platform(qtbot, window_in, district):
    """Ctrl+W closes the file (Ctrl+F4 too), Ctrl+Q the window: the guide names them, and
    Qt's standard keys differ by platform (no Quit key at all on some)."""
    w = window_in("zh_CN", district)
    assert w.store is not None
    press(qtbot, w, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.store is None, timeout=5000)
    w.open_file(str(district))
    qtbot.waitUntil(lambda: w.store is not None, timeout=20000)
    press(qtbot, w, Qt.Key.Key_F4, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.store is None, timeout=5000)
    press(qtbot, w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)


GUIDE = Path(guide_dialog.__file__).resolve().parents[2] / "resources" / "guide"
HEADINGS = {"zh_CN": "citymgr-desktop 用户指南", "en": "citymgr-desktop User Guide"}
# a menu path of the guide: **菜单 › 项 › …**, maybe followed by its shortcut in brackets
MENU_PATH = re.compile(r"\*\*([^*]+?›[^*]+?)\*\*(?:\s*[（(]((?:Ctrl|Alt|Shift|Del|F\d)[^）)]*)[）)])?")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_f1_shows_the_user_guide_in_the_interface_language(qtbot, window_in, shots, lang):
    w = window_in(lang)
    press(qtbot, w, Qt.Key.Key_F1)
    dialog = _dialog(qtbot, GuideDialog)
    text = dialog.browser.toPlainText()
    assert text.startswith(HEADINGS[lang]), text[:200]
    assert "pip install" not in text and ".ci/run" not in text  # not the developers' README
    shots("guide", dialog)
    other = "en" if lang == "zh_CN" else "zh_CN"
    dialog.follow(QUrl(f"{other}.md"))  # the guide's link to the other language, as clicked
    assert dialog.browser.toPlainText().startswith(HEADINGS[other])
    dialog.follow(QUrl("../../../docs/sync.md"))  # not in the package: said, not blank
    assert dialog.note.isVisible() and "docs/sync.md" in dialog.note.text()
    assert dialog.browser.toPlainText().startswith(HEADINGS[other])
    dialog.close()


def _leaves(menu, path=()):
    """{(menu, …, item) read as a person reads it: QAction} of a menu and its submenus."""
    out = {}
    for action in menu.actions():
        if action.isSeparator() or not plain(action.text()):
            continue
        here = (*path, plain(action.text()))
        out[here] = action
        if action.menu() is not None:
            out.update(_leaves(action.menu(), here))
    return out


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_menu_path_and_shortcut_the_guide_names_is_the_windows(window_in, lang):
    w = window_in(lang)
    items = {}
    for top in w.menuBar().actions():
        items.update(_leaves(top.menu(), (plain(top.text()),)))
    text = (GUIDE / f"{lang}.md").read_text(encoding="utf-8")
    found = MENU_PATH.findall(text)
    assert len(found) >= 40 and text.count("›") == sum(p.count("›") for p, _ in found)
    native = QKeySequence.SequenceFormat.NativeText
    for path, keys in found:
        steps = tuple(plain(s) for s in path.split("›"))
        assert steps in items, (path, sorted(" › ".join(k) for k in items))
        if keys:
            assert keys in [s.toString(native) for s in items[steps].shortcuts()], (path, keys)


def test_the_two_guides_say_the_same_things():
    """Same sections, same menu paths (counted), same commands: one text in two languages."""
    zh, en = ((GUIDE / f"{lang}.md").read_text(encoding="utf-8") for lang in ("zh_CN", "en"))
    assert [len(re.findall(r"^#+ ", t, re.M)) for t in (zh, en)] == [12, 12]
    paths = [[(p.count("›"), k) for p, k in MENU_PATH.findall(t)] for t in (zh, en)]
    assert paths[0] == paths[1]
    assert re.findall(r"`citymgr [a-z|-]+", zh) == re.findall(r"`citymgr [a-z|-]+", en)


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
