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
