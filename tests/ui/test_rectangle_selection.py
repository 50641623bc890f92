"""Rectangle selection as in QGIS: the select tool's rectangle selects in the current layer
(the layer panel's row, the attribute table's layer), Shift adds, Ctrl removes; the status
bar says how many of which layer (the message; the count's tooltip per layer). Real mouse drags with real modifiers on the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.ui.driver import drag_map, settle
from tests.ui.test_main_window import zoom_in_on_bins

SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def _inside(w, name: str, a: QPoint, b: QPoint) -> set[str]:
    """The keys of ``name``'s point features inside the screen rectangle a-b."""
    x0, y1 = w.canvas.to_map(QPointF(a))
    x1, y0 = w.canvas.to_map(QPointF(b))
    layer = w.map_data.layer(name)
    xy = layer.pieces["point"].coords
    return {layer.key(int(k)) for k in np.flatnonzero(
        (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))}


def _choose_layer(qtbot, w, name: str) -> None:
    """Click the layer's row in the layer panel (what makes it current in QGIS too)."""
    panel = w.layer_panel
    item = next(panel.topLevelItem(i) for i in range(panel.topLevelItemCount())
                if panel.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == name
                or panel.topLevelItem(i).toolTip(0) == name)
    rect = panel.visualItemRect(item)
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.right() - 10, rect.center().y()))
    assert w.current_layer() == name


def test_rectangle_selects_in_the_current_layer(qtbot, opened_window, shots):
    w = opened_window
    zoom_in_on_bins(qtbot, w)
    w.actions_by_name["tool_select"].trigger()
    _choose_layer(qtbot, w, "litter_bin")
    a, b = QPoint(200, 150), QPoint(450, 400)
    drag_map(qtbot, w, a, b)
    first = _inside(w, "litter_bin", a, b)
    assert first and w.selection.all() == {"litter_bin": w.selection.selected("litter_bin")}
    assert set(w.selection.selected("litter_bin")) == first  # roads and parks in the box: not
    n = f"{len(first):,}"
    assert w.status_bar.currentMessage() == f"{n} selected in Litter bins"
    assert w.status_bar.selection.text() == f"{n} selected"
    assert w.status_bar.selection.toolTip() == f"Litter bins: {n}"
    shots("bins-selected", w)

    # Shift adds, Ctrl removes: still the bins only
    c, d = QPoint(500, 150), QPoint(700, 400)
    drag_map(qtbot, w, c, d, SHIFT)
    more = _inside(w, "litter_bin", c, d)
    assert more - first and set(w.selection.selected("litter_bin")) == first | more
    assert w.status_bar.currentMessage() == f"{len(first | more):,} selected in Litter bins"
    assert list(w.selection.all()) == ["litter_bin"]
    drag_map(qtbot, w, a, b, CTRL)
    assert set(w.selection.selected("litter_bin")) == more - first

    # another current layer: with Shift the bins stay selected and the roads join them
    _choose_layer(qtbot, w, "road_segment")
    drag_map(qtbot, w, a, b, SHIFT)
    roads = w.selection.selected("road_segment")
    assert roads and set(w.selection.selected("litter_bin")) == more - first
    assert w.status_bar.currentMessage() == f"{len(roads):,} selected in Road segments"
    assert w.status_bar.selection.text() == f"{len(roads) + len(more - first):,} selected"
    assert w.status_bar.selection.toolTip() == \
        f"Litter bins: {len(more - first):,}\nRoad segments: {len(roads):,}"
    drag_map(qtbot, w, a, b)  # no modifier: the roads in the box, nothing else
    assert list(w.selection.all()) == ["road_segment"]
    settle(qtbot, w)


def test_a_hidden_current_layer_is_not_selected_in(qtbot, opened_window):
    w = opened_window
    zoom_in_on_bins(qtbot, w)
    w.actions_by_name["tool_select"].trigger()
    _choose_layer(qtbot, w, "litter_bin")
    w.layer_panel.set_visible("litter_bin", False)
    drag_map(qtbot, w, QPoint(200, 150), QPoint(450, 400))
    assert w.selection.count() == 0
    assert w.status_bar.currentMessage().startswith("The layer Litter bins is hidden")
    settle(qtbot, w)


@pytest.mark.parametrize("lang", ["zh_CN"])
def test_the_status_bar_in_chinese(qtbot, window_in, small_district, lang):
    w = window_in(lang, small_district)
    w.actions_by_name["tool_select"].trigger()
    _choose_layer(qtbot, w, "litter_bin")
    drag_map(qtbot, w, QPoint(5, 5), QPoint(w.canvas.width() - 5, w.canvas.height() - 5))
    n = f"{w.selection.count('litter_bin'):,}"
    assert w.status_bar.currentMessage() == f"垃圾箱 已选 {n} 个"
    assert w.status_bar.selection.text() == f"已选 {n} 个"
    assert w.status_bar.selection.toolTip() == f"垃圾箱: {n}"
    settle(qtbot, w)
