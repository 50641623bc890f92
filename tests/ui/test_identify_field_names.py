"""The field names of the identify panel are readable whole at the dock's default width, in
Chinese and English: a fresh user saw "资产唯一标识" (the asset uuid) cut at its end."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication, QStyle

from tests.ui.driver import identify_first_bin


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_field_names_fit_their_column(qtbot, window_in, small_district, shots, lang):
    w = window_in(lang, small_district)
    panel = identify_first_bin(qtbot, w)
    QApplication.processEvents()
    shots("identify-field-names", w.dock("identifyDock"))
    top = panel.topLevelItem(0)
    assert top.isExpanded() and top.childCount() > 5
    fm = QFontMetricsF(panel.font())
    # the text margins a delegate leaves on each side of an item's text, and a space's gap
    # before the value (the name ran into the value, its last character cut)
    margin = 2 * (panel.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin,
                                            None, panel) + 1) + fm.horizontalAdvance(" ")
    cut = []
    for i in range(top.childCount()):
        child = top.child(i)
        room = panel.visualRect(panel.indexFromItem(child, 0)).width()
        needed = fm.horizontalAdvance(child.text(0)) + margin
        if room < needed:
            cut.append((child.text(0), room, needed))
    assert not cut, cut
    # and the values keep room beside them: the name column is not the whole dock
    assert panel.columnWidth(0) < panel.viewport().width() * 0.6
    if lang == "zh_CN":
        assert "资产唯一标识" in [top.child(i).text(0) for i in range(top.childCount())]
