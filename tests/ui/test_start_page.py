"""The start page (trial 10: the last file is not reopened, and the empty window offered no
way back but File › Open Recent): while no file is open the window's centre lists the recent
files (name, folder, when last opened; a click or Enter opens one, one that is gone is marked
and not opened), with Open…, Open Database… and a sample district. Nothing opens by itself."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from citymgr_desktop.core.clock import format_local
from citymgr_desktop.ui.shell import settings as ws
from tests.ui.driver import LEFT, answer, choose_file, menu_item


def _rows(page) -> list[tuple[str, str, str]]:
    tree = page.recent
    return [tuple(tree.topLevelItem(i).text(c) for c in range(3))
            for i in range(tree.topLevelItemCount())]


def _click(qtbot, page, row: int) -> None:
    tree = page.recent
    rect = tree.visualItemRect(tree.topLevelItem(row))
    qtbot.mouseClick(tree.viewport(), LEFT, pos=rect.center())


def test_closing_shows_the_recent_files_and_a_click_opens_one(window_in, small_district,
                                                              tmp_path, qtbot, shots):
    gone = tmp_path / "gone" / "old-district.gpkg"
    gone.parent.mkdir()
    shutil.copyfile(small_district, gone)
    window = window_in(None, gone)
    menu_item(qtbot, window, "file", "Close")
    gone.unlink()  # moved away since
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        window.open_file(small_district)
    page = window.start_page
    assert not page.isVisible()  # a file is open: the map

    menu_item(qtbot, window, "file", "Close")
    assert page.isVisible() and window.store is None
    rows = _rows(page)
    opened = ws.recent_opened()
    assert rows[0] == ("small.gpkg", str(small_district.parent),
                       format_local(opened[str(small_district)]))
    assert rows[1][0] == "old-district.gpkg (missing)" and rows[1][1] == str(gone.parent)
    shots("start-page-en", window)

    _click(qtbot, page, 1)  # gone: said, not opened, kept in the list
    assert window.store is None and "no longer there" in window.status_bar.currentMessage()
    assert len(_rows(page)) == 2

    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        _click(qtbot, page, 0)
    assert window.store is not None and window.store.path == small_district
    assert not page.isVisible()


def test_the_window_starts_on_the_list_and_enter_opens_the_last_file(window_in, small_district,
                                                                     qtbot, chinese, shots):
    QSettings().setValue(ws.RECENT_KEY, [str(small_district)])
    window = window_in()
    page = window.start_page
    assert window.store is None and page.isVisible()  # not reopened by itself
    assert [b.text() for b in (page.open_button, page.sample_button)] == ["打开…", "示例街区…"]
    assert _rows(page)[0][:2] == ("small.gpkg", str(small_district.parent))
    assert _rows(page)[0][2] == ""  # opened before the times were kept
    shots("start-page-zh", window)
    assert page.recent.hasFocus()
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        qtbot.keyClick(page.recent, Qt.Key.Key_Return)
    assert window.store is not None and window.store.path == small_district


def test_no_recent_files_says_how_to_begin_and_clearing_the_list_empties_it(
        window_in, small_district, qtbot):
    window = window_in(None, small_district)
    menu_item(qtbot, window, "file", "Close")
    page = window.start_page
    assert page.recent.isVisible()
    menu_item(qtbot, window, "file", "Open Recent")
    recent = window.recent_menu
    qtbot.waitUntil(recent.isVisible, timeout=5000)
    clear = next(a for a in recent.actions() if a.text() == "Clear Recent Files")
    qtbot.mouseClick(recent, LEFT, pos=recent.actionGeometry(clear).center())
    qtbot.waitUntil(lambda: not page.recent.isVisible(), timeout=5000)
    assert "No recent files yet" in page.hint.text()


def test_the_sample_district_is_made_and_opened(main_window, tmp_path, qtbot):
    QSettings().setValue("files/lastDir", str(tmp_path))
    out = tmp_path / "district-sample.gpkg"
    page = main_window.start_page
    with qtbot.waitSignal(main_window.mapLoaded, timeout=120_000), \
            answer(qtbot, None, fill=choose_file(qtbot, out), kind=QFileDialog):
        qtbot.mouseClick(page.sample_button, LEFT)
    assert main_window.store is not None and main_window.store.path == out
    assert main_window.is_project and main_window.edit_session is not None
    assert not page.isVisible()
