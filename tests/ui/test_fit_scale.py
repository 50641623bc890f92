"""Print-scale fitting, by its properties: the scale chosen for an area is one of the round
scales, the area with its padding (4 % of its size on each side) fits the map frame at that
scale, and at the next smaller round scale it does not. A fit that dropped the padding, picked
a scale off the list or one larger than needed fails here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.export.print_map import geometry as lg

PADDING = 0.04  # of the area's width and height, on each side (the layout's default)
ROUND_SCALES = [500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10_000, 15_000,
                20_000, 25_000, 30_000, 40_000, 50_000]

metres = st.floats(min_value=0.0, max_value=60_000.0, allow_nan=False)
frame_mm = st.floats(min_value=20.0, max_value=1_150.0, allow_nan=False)
origin = st.floats(min_value=-1e6, max_value=1e7, allow_nan=False)


def fits(width_m: float, height_m: float, frame: lg.Rect, scale: int) -> bool:
    """The padded area fits the frame at 1:scale (frame in mm, area in metres)."""
    pw, ph = width_m * (1 + 2 * PADDING), height_m * (1 + 2 * PADDING)
    return pw <= frame.w / 1000 * scale * (1 + 1e-9) and ph <= frame.h / 1000 * scale * (1 + 1e-9)


def test_the_round_scales_are_the_printed_ones():
    assert list(lg.NICE_SCALES) == ROUND_SCALES


@given(x=origin, y=origin, w=metres, h=metres, fw=frame_mm, fh=frame_mm)
def test_the_fitted_scale_is_the_smallest_round_scale_that_holds_the_padded_area(
        x, y, w, h, fw, fh):
    frame = lg.Rect(0, 0, fw, fh)
    bbox = (x, y, x + w, y + h)
    if not fits(w, h, frame, ROUND_SCALES[-1]):
        with pytest.raises(ValidationError, match="smaller than 1:50,000"):
            lg.fit_scale(bbox, frame)
        return
    scale = lg.fit_scale(bbox, frame)
    assert scale in ROUND_SCALES
    assert fits(w, h, frame, scale)
    smaller = [s for s in ROUND_SCALES if s < scale]
    if smaller:
        assert not fits(w, h, frame, smaller[-1])
    # the extent printed at that scale around the area's centre holds the padded area
    ex = lg.extent_for_scale(lg.bbox_center(bbox), scale, frame)
    assert ex[0] <= x - w * PADDING + 1e-6 and ex[2] >= x + w * (1 + PADDING) - 1e-6
    assert ex[1] <= y - h * PADDING + 1e-6 and ex[3] >= y + h * (1 + PADDING) - 1e-6


@given(w=st.floats(min_value=1.0, max_value=5_000.0), fw=frame_mm, fh=frame_mm,
       padding=st.floats(min_value=0.0, max_value=0.5))
def test_more_padding_never_gives_a_larger_map(w, fw, fh, padding):
    frame = lg.Rect(0, 0, fw, fh)
    bbox = (0.0, 0.0, w, w)
    try:
        tight = lg.fit_scale(bbox, frame, padding=0.0)
        loose = lg.fit_scale(bbox, frame, padding=padding)
    except ValidationError:
        return
    assert loose >= tight


def test_the_padding_decides_at_the_edge():
    """190 m in a 100 mm frame fits 1:2,000 without padding, but not with 4 % on each side."""
    frame = lg.Rect(0, 0, 100, 100)
    assert lg.fit_scale((0, 0, 190, 100), frame, padding=0.0) == 2000
    assert lg.fit_scale((0, 0, 190, 100), frame) == 2500
