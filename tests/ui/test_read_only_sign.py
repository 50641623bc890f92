"""A file the window cannot edit says so where a user looks: "Read-only" / "只读" in the
status bar, its tooltip saying why and how to get write access (trial 10 saw only the title's
"[read-only]" and greyed buttons). File › Close and Save Map as Image are disabled while no
file is open."""

from __future__ import annotations

import os
import stat

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from citymgr_desktop.core.store import files
from tests.ui.driver import answer, menu_item


def _sign(window) -> QLabel:
    return window.findChild(QLabel, "readOnlyIndicator")


@pytest.mark.parametrize(("lang", "word", "why"), [
    ("en", "Read-only", "file permissions"), ("zh_CN", "只读", "文件权限")])
def test_a_read_only_file_says_so_in_the_status_bar(window_in, small_district, qtbot, shots,
                                                    lang, word, why):
    os.chmod(small_district, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # chmod 444
    window = window_in(lang, small_district)
    sign = _sign(window)
    assert sign.isVisible() and sign.text() == word
    assert why in sign.toolTip() and small_district.name in sign.toolTip()
    assert "chmod u+w" in sign.toolTip()
    shots(f"read-only-{lang}", window)
    menu_item(qtbot, window, "file", "关闭(C)" if lang == "zh_CN" else "Close")
    assert not sign.isVisible() and window.store is None


def test_a_writable_file_shows_no_sign(small_window):
    assert not _sign(small_window).isVisible()


def test_a_file_edited_in_another_window_says_where(window_in, small_district, qtbot):
    first = window_in(None, small_district)
    assert first.edit_session is not None and not _sign(first).isVisible()
    with answer(qtbot, "OK", kind=QMessageBox):  # "…open in another citymgr window…"
        second = window_in(None, small_district)
    sign = _sign(second)
    assert second.edit_session is None and sign.isVisible()
    assert "another citymgr-desktop window" in sign.toolTip()


def test_a_read_only_mount_and_folder_are_told_apart(tmp_path, monkeypatch):
    path = tmp_path / "a.gpkg"
    path.write_bytes(b"")
    assert files.why_read_only(path) == ""
    os.chmod(path, 0o444)
    assert files.why_read_only(path) == "file"
    os.chmod(path, 0o644)
    os.chmod(tmp_path, 0o555)
    try:
        expected = "" if os.geteuid() == 0 else "folder"  # root may write any folder
        assert files.why_read_only(path) == expected
    finally:
        os.chmod(tmp_path, 0o755)

    class ReadOnlyMount:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda _p: ReadOnlyMount())
    assert files.why_read_only(path) == "mount"


def test_close_and_save_image_wait_for_a_file(main_window, small_district, qtbot):
    acts = main_window.actions_by_name
    assert not acts["close"].isEnabled() and not acts["export_image"].isEnabled()
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(small_district)
    assert acts["close"].isEnabled() and acts["export_image"].isEnabled()
    menu_item(qtbot, main_window, "file", "Close")
    assert not acts["close"].isEnabled() and not acts["export_image"].isEnabled()
