"""The canvas's quick frames (``RenderOptions(quick=True)``: wide lines written with NumPy
instead of Qt's stroker) look like Qt's unantialiased drawing: the same colours in the same
places within a pixel here and there; exports (quick off) keep Qt's pixels exactly."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import RenderOptions, load_map, render_frame

SIZE = (480, 320)


@pytest.fixture
def data(qapp, district):
    with Store.open(district, read_only=True) as store:
        return load_map(store)


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return np.frombuffer(image.constBits(), np.uint32).reshape(
        image.height(), image.bytesPerLine() // 4)[:, :image.width()].copy()


def view(data, share: float = 0.25) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = data.extent()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w, h = (maxx - minx) * share / 2, (maxy - miny) * share / 2
    return cx - w, cy - h, cx + w, cy + h


@pytest.mark.parametrize("layers", [["road_segment"], None])
def test_a_quick_frame_looks_like_qts_drawing(data, layers):
    ext = view(data)
    exact, _ = render_frame(data, ext, SIZE, RenderOptions(antialias=False, labels=False,
                                                            layers=layers))
    quick, result = render_frame(data, ext, SIZE, RenderOptions(
        antialias=False, labels=False, layers=layers, quick=True))
    a, b = pixels(exact), pixels(quick)
    road_pixels = np.isin(a, [QColor(c).rgba() for c in sy.CONDITION_COLOURS.values()])
    assert result.drawn["road_segment"] > 20 and road_pixels.mean() > 0.05, "roads in view"
    differ = np.count_nonzero(a != b)
    assert differ < 0.03 * a.size, f"{differ} of {a.size} pixels differ"
    # the same colours, in about the same amounts (the roads are as wide)
    colours, counts = np.unique(a, return_counts=True)
    quick_counts = dict(zip(*np.unique(b, return_counts=True), strict=True))
    for colour, n in zip(colours, counts, strict=True):
        if n > 200:
            assert quick_counts.get(colour, 0) == pytest.approx(n, rel=0.15), hex(colour)


def test_quick_lines_stay_inside_the_strips_of_a_pan_frame(data):
    """A pan frame draws only the uncovered strips: quick lines there too, and the frame
    stays within a few pixels of a fresh quick frame."""
    from citymgr_desktop.render.pan import render_panned

    ext = view(data, 0.1)
    quick = RenderOptions(antialias=False, labels=False, quick=True)
    before, result = render_frame(data, ext, SIZE, quick)
    upp = result.view.units_per_pixel
    first = result.view.extent
    moved = (first[0] + 40 * upp, first[1] + 20 * upp, first[2] + 40 * upp, first[3] + 20 * upp)
    panned = render_panned(data, moved, SIZE, RenderOptions(
        antialias=False, labels=False, quick=True, previous=(before, first)))
    assert panned is not None
    fresh, _ = render_frame(data, moved, SIZE, quick)
    differ = np.count_nonzero(pixels(panned[0]) != pixels(fresh))
    assert differ <= 0.005 * SIZE[0] * SIZE[1], f"{differ} pixels differ"


def test_exports_keep_qts_pixels(data):
    """``quick`` only changes unantialiased frames: still frames and exports (``citymgr
    render``, antialiased) are Qt's whatever it says."""
    ext = view(data)
    still, _ = render_frame(data, ext, SIZE, RenderOptions())
    still_quick, _ = render_frame(data, ext, SIZE, RenderOptions(quick=True))
    assert np.array_equal(pixels(still), pixels(still_quick))


def test_the_canvas_quick_frames_draw_bins_and_parks_where_they_are(qtbot, opened_window):
    """The real window's canvas, driven by wheel and drag events on it: the quick frames it
    shows while moving (NumPy's roads, Qt's parks and bin sprites) have the bins and parks
    at their places, as Qt's own unantialiased drawing of the same view has them."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    canvas = opened_window.canvas
    data = canvas.data
    quick_frames = []

    def on_frame(_seconds: float) -> None:
        if not canvas._still:  # an unantialiased frame: the quick one shown while moving
            image, extent = canvas._frames["base"]
            quick_frames.append((image.copy(), extent))

    canvas.renderFinished.connect(on_frame)
    centre = QPointF(canvas.width() / 2, canvas.height() / 2)
    for _ in range(6):  # six notches in, around the middle of the map
        QApplication.sendEvent(canvas, QWheelEvent(
            centre, canvas.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False))
    qtbot.waitUntil(canvas.is_settled, timeout=30_000)
    start = centre.toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):  # a drag: the pan frames are made from the last quick frame
        qtbot.mouseMove(canvas, start + QPoint(12 * step, 7 * step))
        qtbot.wait(30)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 35))
    qtbot.waitUntil(canvas.is_settled, timeout=30_000)
    assert quick_frames, "the canvas showed no quick frame"

    image, extent = quick_frames[-1]
    shown = pixels(image)
    qt_frame, result = render_frame(data, extent, (image.width(), image.height()), RenderOptions(
        antialias=False, labels=False, dpi=canvas.logicalDpiX()))
    qt_pixels = pixels(qt_frame)
    view_ = result.view
    bins = data.layer("litter_bin")
    at_bins = bins.bounds_of(bins.query(view_.extent))[:, :2]
    assert len(at_bins) > 20, "bins in view"
    parks = data.layer("green_space")
    in_view = parks.query(view_.extent)
    assert len(in_view) > 5, "parks in view"
    park_points = np.array([park.representative_point().coords[0]
                            for park in parks.geometries(in_view[:200])])
    for points, colours in ((at_bins, {QColor(c).rgba() for c in sy.CONDITION_COLOURS.values()}),
                            (park_points, None)):
        px, py = view_.to_device(points[:, 0], points[:, 1])
        inside = (px >= 1) & (px < image.width() - 1) & (py >= 1) & (py < image.height() - 1)
        cols, rows = px[inside].astype(int), py[inside].astype(int)
        same = shown[rows, cols] == qt_pixels[rows, cols]
        assert same.mean() > 0.95, f"{same.mean():.2%} of {len(rows)} places as Qt draws them"
        if colours is not None:  # a bin's centre has its condition's colour (or a later bin's)
            share = np.isin(shown[rows, cols] | 0xFF000000, list(colours)).mean()
            assert share > 0.8, f"{share:.2%} of the bins show a condition colour"


def _stamped(draw, translate: bool, ratio: float = 1.0) -> np.ndarray:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QPainter, QRegion

    image = QImage(200, 120, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)  # 2: a widget's painter on a high-DPI screen
    image.fill(QColor("#fafafa"))
    painter = QPainter(image)
    if translate:  # a painter moved by whole pixels (a print layout's frame)
        painter.translate(7, -3)
    # two strips, as a pan frame draws them
    painter.setClipRegion(QRegion(QRect(0, 0, 30, 120)).united(QRegion(QRect(0, 90, 200, 30))))
    try:
        draw(painter)
    finally:
        painter.end()
    return pixels(image)


@pytest.mark.parametrize(("translate", "ratio"), [(False, 1.0), (True, 1.0), (False, 2.0)])
def test_markers_stamped_in_one_call_are_qts_stamps_one_by_one(qapp, translate, ratio):
    """The bins' sprites go to Qt in one ``drawPixmapFragments`` call over a NumPy array:
    the same pixels as one ``drawImage`` per stamp, in the same order (overlapping
    translucent rims over each other, stamps cut by the image's edge and by the clip)."""
    from citymgr_desktop.render import markers
    from citymgr_desktop.render.symbols import Symbol

    rng = np.random.default_rng(7)
    sprites = [markers._sprite(Symbol("point", colour, 1.8, marker), 96 / 25.4)
               for colour, marker in (("#1a9641", "circle"), ("#d7191c", "diamond"))]
    left, top = rng.integers(-8, 205, 600), rng.integers(-8, 125, 600)

    def one_by_one(painter):
        for i, (a, b) in enumerate(zip(left.tolist(), top.tolist(), strict=True)):
            painter.drawImage(a, b, sprites[i % 2])

    def batched(painter):
        for k in range(0, 600, 100):  # the sprites alternate in blocks of 100 here
            for i in range(2):
                pick = np.arange(k + i, k + 100, 2)
                markers.stamp(painter, left[pick], top[pick], sprites[i])

    def one_by_one_in_blocks(painter):
        for k in range(0, 600, 100):
            for i in range(2):
                for j in range(k + i, k + 100, 2):
                    painter.drawImage(int(left[j]), int(top[j]), sprites[i])

    expected = _stamped(one_by_one_in_blocks, translate, ratio)
    assert np.count_nonzero(expected != _stamped(one_by_one, translate, ratio)) > 0, "overlaps"
    assert np.array_equal(_stamped(batched, translate, ratio), expected)


def test_markers_stamped_in_a_render_thread(data):
    """The canvas draws in a thread of its own: the batched stamps (a pixmap per thread)
    give the same frame there as in the GUI thread."""
    import threading

    opts = RenderOptions(antialias=False, labels=False, quick=True, layers=["litter_bin"])
    ext = view(data, 0.3)
    here, result = render_frame(data, ext, SIZE, opts)
    assert result.drawn["litter_bin"] > 50
    there: list[QImage] = []
    worker = threading.Thread(target=lambda: there.append(render_frame(data, ext, SIZE, opts)[0]))
    worker.start()
    worker.join()
    assert np.array_equal(pixels(there[0]), pixels(here))
