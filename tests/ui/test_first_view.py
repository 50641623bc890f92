"""The first view of a reopened file: the view it was closed at, read and drawn before the
rest of the map (ui/shell/first_view.py), then the whole map for pans and zooms."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from tests.ui.driver import LEFT, drag_map, menu_item, settle


def _coloured(image: QImage) -> int:
    """Pixels of ``image`` that are not the white background (something is drawn)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    ptr = image.constBits()
    arr = np.frombuffer(ptr, np.uint8, image.bytesPerLine() * image.height())
    arr = arr.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]
    return int((arr < 245).any(axis=2).sum())


def _counts(data) -> dict[str, int]:
    return {name: data.layer(name).count for name in data.names()}


def test_a_reopened_file_draws_its_small_view_first_then_the_whole_map(
        qtbot, main_window, district, shots):
    w = main_window
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(district)
    settle(qtbot, w)
    whole = _counts(w.map_data)
    layer_rows = [w.layer_panel.topLevelItem(i).text(0)
                  for i in range(w.layer_panel.topLevelItemCount())]
    w.canvas.setFocus()
    for _ in range(4):  # 1/16 of the width: 1/256 of the area
        qtbot.keyClick(w.canvas, Qt.Key.Key_Plus)
    settle(qtbot, w)
    view = w.canvas.extent()
    shots("zoomed-in", w)
    menu_item(qtbot, w, "file", "Close")
    qtbot.waitUntil(lambda: w.store is None, timeout=5000)

    # File > Open Recent > the file: the remembered view comes first, from the box alone
    first: dict = {}

    def on_frame(_seconds: float) -> None:
        if not first:
            first["whole_loaded"] = w.map_data is not None
            first["counts"] = _counts(w.canvas.data)
            first["extent"] = w.canvas.extent()
            first["image"] = w.canvas.grab().toImage()
            first["layer_rows"] = [w.layer_panel.topLevelItem(i).text(0)
                                   for i in range(w.layer_panel.topLevelItemCount())]

    w.canvas.renderFinished.connect(on_frame)
    menu_item(qtbot, w, "file", "Open Recent")
    qtbot.waitUntil(w.recent_menu.isVisible, timeout=5000)
    item = next(a for a in w.recent_menu.actions() if a.toolTip() == str(district))
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        qtbot.mouseClick(w.recent_menu, LEFT, pos=w.recent_menu.actionGeometry(item).center())
    w.canvas.renderFinished.disconnect(on_frame)
    assert first, "no frame before the map was loaded"
    assert first["whole_loaded"] is False  # drawn before the whole map was read
    assert np.allclose(first["extent"], view)
    assert 0 < sum(first["counts"].values()) < sum(whole.values()) / 4
    assert _coloured(first["image"]) > first["image"].width() * first["image"].height() // 50
    # the layer panel kept the file's own counts (not the box's) all along
    assert first["layer_rows"] == layer_rows
    first["image"].save(str(shots.folder / "00-first-frame-from-the-box.png"))

    settle(qtbot, w)
    assert _counts(w.map_data) == whole
    assert np.allclose(w.canvas.extent(), view)  # the view stays where it was
    assert [w.layer_panel.topLevelItem(i).text(0)
            for i in range(w.layer_panel.topLevelItemCount())] == layer_rows
    shots("reopened-whole-map", w)

    # a pan by a whole view: what lies beyond the box is drawn (it was read afterwards)
    c = w.canvas
    start = QPoint(c.width() - 20, c.height() // 2)
    drag_map(qtbot, w, start, QPoint(20, c.height() // 2))
    settle(qtbot, w)
    assert _coloured(c.grab().toImage()) > c.width() * c.height() // 50
    assert w.canvas.extent()[0] > view[2] - (view[2] - view[0]) * 0.1
    shots("panned-beyond-the-box", w)
    for _ in range(4):
        qtbot.keyClick(c, Qt.Key.Key_Minus)
    settle(qtbot, w)
    ext = w.canvas.extent()
    assert ext[2] - ext[0] > (view[2] - view[0]) * 15
    shots("zoomed-out", w)


def test_a_view_as_big_as_the_map_reads_the_whole_map_at_once(qtbot, main_window, district):
    w = main_window
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(district)
    settle(qtbot, w)
    whole_view = w.canvas.extent()
    w.close_file()
    frames: list[bool] = []
    w.canvas.renderFinished.connect(lambda _s: frames.append(w.map_data is not None))
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(district)
    settle(qtbot, w)
    assert frames and all(frames)  # no frame from a box first
    assert np.allclose(w.canvas.extent(), whole_view)


def test_a_view_away_from_the_data_is_not_kept_for_the_next_open(qtbot, main_window, district):
    w = main_window
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(district)
    settle(qtbot, w)
    whole_view = w.canvas.extent()
    size = whole_view[2] - whole_view[0]
    w.canvas.zoom_to_bbox(whole_view[2] + size, whole_view[1], whole_view[2] + size * 1.1,
                          whole_view[1] + size * 0.1)  # e.g. a view of a CRS since changed
    settle(qtbot, w)
    menu_item(qtbot, w, "file", "Close")
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(district)
    settle(qtbot, w)
    assert np.allclose(w.canvas.extent(), whole_view)
