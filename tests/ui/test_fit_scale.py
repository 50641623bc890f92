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


side = st.floats(min_value=1.0, max_value=5_000.0, allow_nan=False)
offset = st.floats(min_value=-6_000.0, max_value=6_000.0, allow_nan=False)


@given(ax=offset, ay=offset, aw=side, ah=side, dw=side, dh=side, fw=frame_mm, fh=frame_mm,
       scale=st.sampled_from(ROUND_SCALES))
def test_the_slack_of_a_frame_shows_the_district_not_the_void_beyond_it(
        ax, ay, aw, ah, dw, dh, fw, fh, scale):
    """An area (a 街道) printed in a bigger frame: the frame is exactly frame size x scale,
    holds the padded area whole, and on each axis either stays inside the padded district or
    covers it (a frame bigger than the district) or is held by the area itself; an axis the
    area overflows stays centred. Without a district the frame is centred on the area."""
    frame = lg.Rect(0, 0, fw, fh)
    area = (ax, ay, ax + aw, ay + ah)
    district = (0.0, 0.0, dw, dh)
    ex = lg.place_extent(area, scale, frame, district)
    assert lg.place_extent(area, scale, frame) == lg.extent_for_scale(
        lg.bbox_center(area), scale, frame)
    tol = 1e-6 * (1 + abs(ax) + abs(ay) + aw + ah + dw + dh)
    for axis, size in ((0, fw / 1000 * scale), (1, fh / 1000 * scale)):
        lo, hi = ex[axis], ex[axis + 2]
        a0, a1 = area[axis], area[axis + 2]
        assert hi - lo == pytest.approx(size)
        if a1 - a0 > size:  # the area overflows: centred on it
            assert (lo + hi) / 2 == pytest.approx((a0 + a1) / 2)
            continue
        pad = (a1 - a0) * PADDING if (a1 - a0) * (1 + 2 * PADDING) <= size else 0.0
        assert lo <= a0 - pad + tol and hi >= a1 + pad - tol  # the padded area is whole
        w0, w1 = district[axis] - pad, district[axis + 2] + pad
        inside = lo >= w0 - tol and hi <= w1 + tol
        covers = lo <= w0 + tol and hi >= w1 - tol
        held = abs(lo - (a0 - pad)) <= tol or abs(hi - (a1 + pad)) <= tol
        assert inside or covers or held


def test_a_subdistrict_at_the_west_edge_is_not_printed_beside_a_third_of_void():
    """The sample's 中华路街道 (x 527,000-527,900 of a district from 527,000) on an A3
    landscape frame at 1:7,500: centred, the frame began 635 m west of the district."""
    frame = lg.page_geometry("A3", "landscape").map
    area, district = (527_000.0, 3_380_900.0, 527_900.0, 3_382_100.0), \
        (527_000.0, 3_379_700.0, 530_600.0, 3_383_300.0)
    ex = lg.place_extent(area, 7500, frame, district)
    assert ex[0] == pytest.approx(527_000.0 - 900 * PADDING)
    assert (ex[1] + ex[3]) / 2 == pytest.approx(3_381_500.0)  # no slack to use: centred
