"""What several scenarios need: a quiet spot of the map with one bin, a zoom on it."""

from __future__ import annotations

from tests.ui.driver import settle


def zoom_to(qtbot, window, x: float, y: float, half: float = 120.0) -> None:
    window.canvas.zoom_to_bbox(x - half, y - half, x + half, y + half)
    settle(qtbot, window)


def zoom_on_a_bin(qtbot, window, where=None) -> tuple[str, float, float]:
    """Zoom the map to a lonely bin (see :func:`lonely_bin`): (uuid, x, y)."""
    ext = window.canvas.extent()
    cx, cy = (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2
    zoom_to(qtbot, window, cx, cy, 300.0)
    uuid, x, y = lonely_bin(window, where=where)
    zoom_to(qtbot, window, x, y)
    return uuid, x, y


def lonely_bin(window, gap_px: float = 16.0, where=None) -> tuple[str, float, float]:
    """(uuid, x, y) of a litter bin inside the view with nothing else within ``gap_px``;
    ``where(uuid)`` may restrict the choice."""
    data, view = window.map_data, window.canvas.view()
    bins = data.layer("litter_bin")
    tol, margin = gap_px * view.units_per_pixel, 60 * view.units_per_pixel
    ext = view.extent
    xy = bins.pieces["point"].coords
    for i in range(bins.count):
        x, y = xy[bins.pieces["point"].piece_start[bins.pieces["point"].feature_piece[i]]]
        if not (ext[0] + margin < x < ext[2] - margin and ext[1] + margin < y < ext[3] - margin):
            continue
        box = (x - tol, y - tol, x + tol, y + tol)
        if len(bins.query(box)) != 1 or len(data.layer("bridge").query(box)):
            continue
        if window.hits_at(x, y)[:1] != [("litter_bin", bins.key(i))]:
            continue
        if where is None or where(bins.key(i)):
            return bins.key(i), float(x), float(y)
    raise AssertionError("no lonely bin in view")


def empty_spot(window, near: tuple[float, float], gap_px: float = 30.0) -> tuple[float, float]:
    """A map point near ``near`` with no feature within ``gap_px`` (a place for a new bin)."""
    upp = window.canvas.view().units_per_pixel
    for step in range(1, 12):
        for dx, dy in ((1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)):
            x, y = near[0] + dx * step * 12 * upp, near[1] + dy * step * 12 * upp
            tol = gap_px * upp
            if not any(len(window.map_data.layer(n).query((x - tol, y - tol, x + tol, y + tol)))
                       for n in window.map_data.names() if n != "green_space"):
                return x, y
    raise AssertionError("no empty spot")
