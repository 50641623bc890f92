"""The main window's hints speak the interface's language: no Chinese words in the English
window's placeholders (a fresh user read "Locate: object code, name or 街道"), and the
Chinese window's locate box in Chinese."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLineEdit

from citymgr_desktop.ui.shell.locate import LocateBox

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_english_placeholders_have_no_chinese(window_in):
    w = window_in("en")
    hints = {e.placeholderText() for e in w.findChildren(QLineEdit) if e.placeholderText()}
    # a quoted example value ('粮道街道' in the filter's hint) is data, not a word of the UI
    assert hints and not [h for h in hints if HAN.search(re.sub(r"'[^']*'", "", h))], hints
    assert w.findChild(LocateBox).placeholderText() == (
        "Locate: object code, name or sub-district")


def test_chinese_locate_placeholder(window_in):
    w = window_in("zh_CN")
    assert w.findChild(LocateBox).placeholderText() == "定位：部件编码、名称或街道"
