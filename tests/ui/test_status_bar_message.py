"""A long message in the status bar of a 1024-px window ends in "…" before the selection
count (the whole message in its tooltip); a fresh user saw one run into "1 selected"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.ui.driver import drag_map, press

LONG = {"zh_CN": "project.gpkg 是 GeoPackage 文件，但不是 citymgr 资产项目：其图层以只读方式"
                 "显示，仅供参考。可以导入其图层到新项目。",
        "en": "project.gpkg is a GeoPackage, but not a citymgr asset project: its layers are "
              "shown read-only, for reference. Its layers can be imported into a new project."}
SELECTED = {"zh_CN": "已选", "en": "selected"}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_long_message_is_elided_before_the_selection_count(
        qtbot, window_in, small_district, shots, lang):
    w = window_in(lang, small_district, size=(1024, 700))
    press(qtbot, w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
          | Qt.KeyboardModifier.AltModifier)  # the select tool
    c = w.canvas
    drag_map(qtbot, w, QPoint(10, 10), QPoint(c.width() - 10, c.height() - 10))
    bar = w.status_bar
    qtbot.waitUntil(lambda: SELECTED[lang] in bar.selection.text(), timeout=5000)
    w.status(LONG[lang], 60_000)
    qtbot.wait(50)
    shots("status-bar", bar)
    shots("window", w)
    shown = bar.message.shown_text()
    assert shown.endswith("…") and LONG[lang].startswith(shown[:-1]), shown
    assert bar.message.toolTip() == LONG[lang] and bar.currentMessage() == LONG[lang]
    text_right = bar.message.x() + bar.message.fontMetrics().horizontalAdvance(shown)
    assert text_right + 8 <= bar.selection.x(), (text_right, bar.selection.x())
    assert bar.selection.isVisible() and bar.selection.width() >= \
        bar.selection.fontMetrics().horizontalAdvance(bar.selection.text())
    w.status("short", 200)  # a message goes when its time is up
    assert bar.message.shown_text() == "short"
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=3000)
