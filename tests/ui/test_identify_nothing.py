"""Identify on an empty spot of the map says so in plain words ("No feature here" /
"此处没有要素"), readable whole in the panel as QGIS's identify shows an empty result, with
nothing highlighted and no dialog or menu left on screen; a fresh user saw a lone "…"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from tests.ui.driver import LEFT, click_map, identify_first_bin

NOTHING = {"zh_CN": "此处没有要素", "en": "No feature here"}


def _empty_spot(w) -> tuple[float, float]:
    """A map point in view with no feature within a few pixels of it."""
    x0, y0, x1, y1 = w.canvas.extent()
    for fy in (0.05, 0.5, 0.95, 0.25, 0.75):
        for fx in (0.05, 0.95, 0.5, 0.25, 0.75):
            x, y = x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy
            if not w.hits_at(x, y):
                return x, y
    raise AssertionError("no empty spot in view")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_identify_on_nothing_says_so(qtbot, window_in, small_district, shots, lang):
    w = window_in(lang, small_district)
    # a feature first, then nothing: the panel changes from a result to "nothing here"
    panel = identify_first_bin(qtbot, w)
    assert w.canvas.tool == "identify"
    assert w.canvas.highlight  # the identified bin is outlined
    x, y = _empty_spot(w)
    click_map(qtbot, w, x, y, button=LEFT)
    qtbot.waitUntil(lambda: not panel.hits, timeout=5000)
    QApplication.processEvents()
    shots("identify-nothing", w.dock("identifyDock"))
    assert panel.topLevelItemCount() == 1
    item = panel.topLevelItem(0)
    assert item.text(0) == NOTHING[lang]
    # readable whole: not elided to "…" in its column
    needed = panel.fontMetrics().horizontalAdvance(NOTHING[lang])
    room = panel.columnWidth(0) + (panel.columnWidth(1) if item.isFirstColumnSpanned()
                                   else 0) - panel.indentation()
    assert room >= needed, (room, needed)
    assert not item.flags() & Qt.ItemFlag.ItemIsSelectable  # nothing to select
    assert w.canvas.highlight == []  # the last outline is gone
    litter = [t for t in QApplication.topLevelWidgets() if t.isVisible()
              and isinstance(t, QDialog | QMenu)]
    assert not litter, litter


def test_a_stamp_that_is_not_a_timestamp_is_shown_as_written():
    """A hand-edited file's updated_at is shown as it is (it raised ValueError before)."""
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.ui.map.identify import format_value

    field = sc.table("litter_bin").field("updated_at")
    assert format_value(field, "昨天下午", "zh") == "昨天下午"
    assert format_value(field, "2026-12-01T02:00:00Z", "zh") == "2026-12-01 10:00"
