"""Geometry of a synthetic district: a warped street grid with some curved streets, rivers
with bridges where streets cross them, parks and road-side green strips, and bins along the
streets. Everything is vectorised (NumPy + Shapely 2) so a million features take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

BLOCK_M = 160.0
CENTRE = (528_800.0, 3_381_500.0)  # EPSG:4547, near 114.3E 30.55N
SEG_VERTICES = 5


@dataclass
class StreetGrid:
    k: int  # streets per direction
    nodes: np.ndarray  # (k, k, 2) intersection coordinates
    seg_coords: np.ndarray  # (n_seg, SEG_VERTICES, 2)
    seg_street: np.ndarray  # (n_seg,) street index (0..2k-1; <k horizontal)
    seg_ij: np.ndarray  # (n_seg, 2) grid position of the segment's first node
    lines: np.ndarray  # (n_seg,) LineStrings


def grid_size_for(n_segments: int) -> int:
    """Streets per direction so that a k x k grid has about ``n_segments`` segments."""
    k = int(np.ceil((1 + np.sqrt(1 + 2 * max(n_segments, 4))) / 2))
    return max(k, 3)


def street_grid(k: int, rng: np.random.Generator) -> StreetGrid:
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    half = (k - 1) * BLOCK_M / 2
    x = CENTRE[0] - half + i * BLOCK_M + 30 * np.sin(j / 4.3) + rng.normal(0, 6, i.shape)
    y = CENTRE[1] - half + j * BLOCK_M + 25 * np.sin(i / 5.7) + rng.normal(0, 6, i.shape)
    nodes = np.stack([x, y], axis=-1)
    # horizontal streets: along i at fixed j; vertical streets: along j at fixed i
    h_start = nodes[:-1, :, :].reshape(-1, 2)
    h_end = nodes[1:, :, :].reshape(-1, 2)
    h_ij = np.stack([i[:-1, :].ravel(), j[:-1, :].ravel()], axis=1)
    h_street = j[:-1, :].ravel()
    v_start = nodes[:, :-1, :].reshape(-1, 2)
    v_end = nodes[:, 1:, :].reshape(-1, 2)
    v_ij = np.stack([i[:, :-1].ravel(), j[:, :-1].ravel()], axis=1)
    v_street = k + i[:, :-1].ravel()
    start = np.concatenate([h_start, v_start])
    end = np.concatenate([h_end, v_end])
    street = np.concatenate([h_street, v_street])
    ij = np.concatenate([h_ij, v_ij])
    t = np.linspace(0, 1, SEG_VERTICES)[None, :, None]
    coords = start[:, None, :] * (1 - t) + end[:, None, :] * t
    # every seventh street bends: a sine bulge perpendicular to the segment
    d = end - start
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.maximum(
        np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    curved = (street % 7) == 3
    bulge = np.where(curved, 18.0, 0.0)[:, None] * np.sin(np.pi * t[..., 0])
    coords = coords + bulge[..., None] * normal[:, None, :]
    n = len(coords)
    lines = shapely.linestrings(coords.reshape(-1, 2), indices=np.repeat(np.arange(n),
                                                                          SEG_VERTICES))
    return StreetGrid(k, nodes, coords, street, ij, lines)


def rivers(grid: StreetGrid) -> list[tuple[float, float, float]]:
    """(centre y, amplitude, wavelength) of each river: one per ~40 streets."""
    k = grid.k
    ys = grid.nodes[:, :, 1]
    lo, hi = float(ys.min()), float(ys.max())
    count = max(1, k // 40)
    return [(lo + (hi - lo) * (r + 0.5) / count + BLOCK_M * 0.37, BLOCK_M * 0.6,
             BLOCK_M * 11.0) for r in range(count)]


def river_lines(grid: StreetGrid) -> list[shapely.LineString]:
    xs = grid.nodes[:, :, 0]
    x = np.linspace(float(xs.min()) - BLOCK_M, float(xs.max()) + BLOCK_M, 400)
    return [shapely.LineString(np.column_stack([x, cy + a * np.sin(2 * np.pi * x / wl)]))
            for cy, a, wl in rivers(grid)]


def river_crossings(grid: StreetGrid) -> tuple[np.ndarray, np.ndarray]:
    """Points where vertical street segments cross a river, and those segments' indices."""
    k = grid.k
    n_h = (k - 1) * k
    vert = np.arange(n_h, len(grid.seg_coords))
    start = grid.seg_coords[vert, 0, :]
    end = grid.seg_coords[vert, -1, :]
    pts, segs = [], []
    for cy, a, wl in rivers(grid):
        xm = (start[:, 0] + end[:, 0]) / 2
        yr = cy + a * np.sin(2 * np.pi * xm / wl)
        hit = (start[:, 1] - yr) * (end[:, 1] - yr) < 0
        f = (yr[hit] - start[hit, 1]) / (end[hit, 1] - start[hit, 1])
        px = start[hit, 0] + f * (end[hit, 0] - start[hit, 0])
        pts.append(np.column_stack([px, yr[hit]]))
        segs.append(vert[hit])
    return np.concatenate(pts), np.concatenate(segs)


def parks(grid: StreetGrid, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Park polygons inside ``count`` random blocks; returns (polygons, block centres)."""
    k = grid.k
    blocks = (k - 1) * (k - 1)
    count = min(count, blocks)
    pick = rng.choice(blocks, size=count, replace=False)
    bi, bj = np.divmod(pick, k - 1)
    n = grid.nodes
    corners = np.stack([n[bi, bj], n[bi + 1, bj], n[bi + 1, bj + 1], n[bi, bj + 1]], axis=1)
    centre = corners.mean(axis=1, keepdims=True)
    shrink = rng.uniform(0.55, 0.8, size=(count, 1, 1))
    ring = centre + (corners - centre) * shrink
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    polys = shapely.polygons(ring)
    return polys, centre[:, 0, :]


def strips(grid: StreetGrid, seg_index: np.ndarray) -> np.ndarray:
    """Thin green strips alongside the chosen street segments (quadrilaterals)."""
    s = grid.seg_coords[seg_index, 0, :]
    e = grid.seg_coords[seg_index, -1, :]
    d = e - s
    length = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    u = d / length
    nrm = np.stack([-u[:, 1], u[:, 0]], axis=1)
    a = s + u * 20 + nrm * 9
    b = e - u * 20 + nrm * 9
    c = e - u * 20 + nrm * 14
    dd = s + u * 20 + nrm * 14
    ring = np.stack([a, b, c, dd, a], axis=1)
    return shapely.polygons(ring)


def bins_along(grid: StreetGrid, seg_index: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    """Bin points along the chosen segments, set back 6 m on either side of the street."""
    lines = grid.lines[seg_index]
    t = rng.uniform(0.1, 0.9, len(seg_index))
    on = shapely.line_interpolate_point(lines, t, normalized=True)
    xy = shapely.get_coordinates(on)
    s = grid.seg_coords[seg_index, 0, :]
    e = grid.seg_coords[seg_index, -1, :]
    d = e - s
    u = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    nrm = np.stack([-u[:, 1], u[:, 0]], axis=1)
    side = np.where(rng.random(len(seg_index)) < 0.5, -6.0, 6.0)[:, None]
    xy = xy + nrm * side
    return shapely.points(xy)
