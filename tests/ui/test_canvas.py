"""The map canvas: frames arrive from the render thread, pan and zoom change the extent the
way a user expects, stale frames are dropped, tools report clicks and rectangles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from citymgr_desktop.core.store import Store
from citymgr_desktop.render import load_map
from citymgr_desktop.ui.map.canvas import MapCanvas


@pytest.fixture
def canvas(qtbot, district):
    with Store.open(district, read_only=True) as store:
        data = load_map(store)
    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(800, 600)
    c.show()
    qtbot.waitExposed(c)
    c.set_data(data)
    qtbot.waitUntil(c.is_settled, timeout=20_000)
    yield c
    c.close_worker()


def centre(ext):
    return (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2


def width(ext):
    return ext[2] - ext[0]


def test_first_frame_shows_the_full_extent(canvas):
    full = canvas.data.extent()
    ext = canvas.extent()
    assert ext[0] <= full[0] and ext[1] <= full[1] and ext[2] >= full[2] and ext[3] >= full[3]
    image, frame_ext = canvas._frames["base"]
    assert frame_ext == ext and not image.isNull()
    assert canvas.last_render_seconds > 0


def test_wheel_zooms_around_the_cursor(qtbot, canvas):
    pos = QPointF(200, 150)
    before = canvas.to_map(pos)
    w0 = width(canvas.extent())
    from PySide6.QtGui import QWheelEvent

    ev = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    canvas.wheelEvent(ev)
    assert width(canvas.extent()) == pytest.approx(w0 / 1.25)
    after = canvas.to_map(pos)
    assert after == pytest.approx(before, abs=1e-6)  # the point under the cursor stays put
    qtbot.waitUntil(canvas.is_settled, timeout=20_000)


def test_drag_pans_by_the_mouse_movement(qtbot, canvas):
    ext0 = canvas.extent()
    upp = canvas.view().units_per_pixel
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(400, 300))
    qtbot.mouseMove(canvas, QPoint(450, 330))
    qtbot.mouseMove(canvas, QPoint(500, 360))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(500, 360))
    cx0, cy0 = centre(ext0)
    cx1, cy1 = centre(canvas.extent())
    assert cx1 == pytest.approx(cx0 - 100 * upp)  # dragged right: the map moves right
    assert cy1 == pytest.approx(cy0 + 60 * upp)  # dragged down: we look further north
    assert width(canvas.extent()) == pytest.approx(width(ext0))


def test_zoom_box_and_history(qtbot, canvas):
    ext0 = canvas.extent()
    canvas.set_tool("zoom_in")
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(200, 150))
    qtbot.mouseMove(canvas, QPoint(300, 200))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    assert width(canvas.extent()) < width(ext0) / 3
    canvas.zoom_previous()
    assert canvas.extent() == pytest.approx(ext0)
    canvas.zoom_next()
    assert width(canvas.extent()) < width(ext0) / 3
    canvas.zoom_full()
    assert width(canvas.extent()) == pytest.approx(width(ext0))


def test_keys_pan_and_zoom(qtbot, canvas):
    ext0 = canvas.extent()
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    assert width(canvas.extent()) == pytest.approx(width(ext0) / 2)
    c0 = centre(canvas.extent())
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert centre(canvas.extent())[0] > c0[0]


def test_stale_frames_are_dropped_and_the_last_view_is_drawn(qtbot, canvas):
    finished = []
    canvas.renderFinished.connect(finished.append)
    for _ in range(15):
        canvas.zoom_by(1.1)
        canvas.pan_by(7, -3)
    qtbot.waitUntil(canvas.is_settled, timeout=20_000)
    assert canvas._frames["base"][1] == canvas.extent()
    assert len(finished) < 15  # most of the 30 requests never became frames


def test_clicks_and_rectangles_are_reported_in_map_coordinates(qtbot, canvas):
    clicks, rects = [], []
    canvas.clicked.connect(lambda x, y: clicks.append((x, y)))
    canvas.rectSelected.connect(lambda e, m: rects.append(e))
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(123, 77))
    assert clicks[-1] == pytest.approx(canvas.to_map(QPointF(123, 77)))
    canvas.set_tool("select")
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(10, 20))
    qtbot.mouseMove(canvas, QPoint(60, 60))
    qtbot.mouseMove(canvas, QPoint(110, 120))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(110, 120))
    x0, y1 = canvas.to_map(QPointF(10, 20))
    x1, y0 = canvas.to_map(QPointF(110, 120))
    assert rects[-1] == pytest.approx((x0, y0, x1, y1))


def test_selection_overlay_does_not_redraw_the_map(qtbot, canvas):
    layer = canvas.data.layer("litter_bin")
    base_before = canvas._frames["base"][0]
    canvas.set_selection({"litter_bin": [layer.key(0), layer.key(1)]})
    qtbot.waitUntil(lambda: canvas._frames["overlay"] is not None, timeout=20_000)
    assert canvas._frames["base"][0] is base_before
    canvas.set_selection({})
    assert canvas._frames["overlay"] is None


def test_full_extent_frames_come_from_the_cache(qtbot, canvas):
    canvas.zoom_by(4.0)
    qtbot.waitUntil(canvas.is_settled, timeout=20_000)
    finished = []
    canvas.renderFinished.connect(finished.append)
    canvas.zoom_full()
    qtbot.waitUntil(canvas.is_settled, timeout=300)  # the cached still frame, at once
    assert finished == []  # nothing was drawn


def test_hidden_layers_are_not_drawn(qtbot, canvas):
    canvas.set_layers(["road_segment"])
    qtbot.waitUntil(canvas.is_settled, timeout=20_000)
    assert canvas.layers == ["road_segment"]
    assert canvas.full_extent() != ()


def test_a_zoom_shows_a_quick_frame_then_the_still_one(qtbot, canvas, tmp_path):
    """Zooming in with the wheel: the canvas shows a quick frame drawn from scratch (its
    roads written with NumPy, RenderOptions.quick), then the still antialiased one; the
    quick frame looks like Qt's unantialiased drawing of that view."""
    import numpy as np
    from PySide6.QtGui import QImage, QWheelEvent
    from PySide6.QtWidgets import QApplication

    from citymgr_desktop.render import RenderOptions, render_frame

    frames = []
    canvas._worker.finished.connect(
        lambda job, image, result: frames.append((job, image.copy())))
    pos = QPointF(400, 300)
    for _ in range(6):  # a few notches in: a view of a few streets
        QApplication.sendEvent(canvas, QWheelEvent(
            pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False))
    # the worker calls the lambda above right after it posts the frame to the canvas: the
    # canvas may show the still frame (settled) a moment before the lambda has it
    qtbot.waitUntil(lambda: canvas.is_settled() and any(
        job.options.antialias for job, _image in frames), timeout=20_000)
    quick = [(job, image) for job, image in frames
             if job.channel == "base" and not job.options.antialias]
    still = [(job, image) for job, image in frames
             if job.channel == "base" and job.options.antialias]
    assert quick and still
    job, image = quick[-1]
    assert job.options.quick and job.extent == canvas.extent()
    assert still[-1][0].extent == canvas.extent()
    image.save(str(tmp_path / "quick.png"))
    still[-1][1].save(str(tmp_path / "still.png"))
    canvas.grab().save(str(tmp_path / "canvas.png"))
    exact, _ = render_frame(canvas.data, job.extent, job.size, RenderOptions(
        antialias=False, labels=False, background="#ffffff", dpi=job.options.dpi))

    def pixels(img):
        img = img.convertToFormat(QImage.Format.Format_ARGB32)
        return np.frombuffer(img.constBits(), np.uint32)[: img.width() * img.height()]

    a, b = pixels(exact), pixels(image)
    assert len(np.unique(a)) > 5, "the view shows features"
    assert np.count_nonzero(a != b) < 0.03 * a.size
