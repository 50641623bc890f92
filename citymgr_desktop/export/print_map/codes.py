"""The codes of the assets that need work, written on a maintenance map: each asset in the
frame in condition 4 (poor) or 5 (dangerous) gets its object code beside it, in dark red
on a white box, so a crew can tell which bin, bridge or road section the map sends them
to (the symbols alone say only that one of them is bad). Worst first: where two codes would
overlap the dangerous one is kept; codes that find no free place are counted, and the
legend says how many. Like a label layer's scale range in QGIS, codes are written only on
sheets of 1:10,000 and larger: on a whole-district sheet at 1:20,000 the sample's 467 codes
covered the map (195 written, 272 without room) and hid what a crew needs to read; the
legend there says at which scales the codes appear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen

from citymgr_desktop.core.store import Store
from citymgr_desktop.export import fonts
from citymgr_desktop.export.print_map.geometry import Bbox
from citymgr_desktop.render import MapData

POOR = 4  # condition 4 (poor) and 5 (dangerous) need work
CODE_PT = 6.0
PAD_MM = 0.4  # white box around the code
OFFSET_MM = 1.2  # from the asset's point to the code's corner
CODE_COLOUR = QColor(150, 20, 20)
CODES_UP_TO_SCALE = 10_000  # codes on sheets of 1:10,000 and larger (denominator <= this)


@dataclass(frozen=True)
class CodedAsset:
    layer: str
    code: str
    condition: int
    x: float
    y: float


@dataclass(frozen=True)
class CodesDrawn:
    placed: int
    left_out: int
    scale_too_small: bool = False  # asked for, but the sheet is smaller than 1:10,000


def codes_fit_scale(scale: int) -> bool:
    """Whether a sheet at 1:``scale`` gets codes (:data:`CODES_UP_TO_SCALE`)."""
    return scale <= CODES_UP_TO_SCALE


def assets_needing_work(data: MapData, store: Store, extent: Bbox,
                        district: str | None = None) -> list[CodedAsset]:
    """The assets drawn in ``extent`` (from the map already loaded: its conditions and
    geometries, in the map's CRS) in condition 4-5, of ``district`` only when a sheet is of
    one 街道 (its neighbours are drawn, not sent to), worst first, each at its own point (a
    line's middle, a polygon's point on its surface). Only their codes are read."""
    out: list[CodedAsset] = []
    for layer in data.layers:
        if not layer.is_asset:
            continue
        idx = layer.query(tuple(extent))
        idx = idx[(layer.category[idx] >= POOR) & (layer.category[idx] <= 5)]
        if not len(idx):
            continue
        uuids = [k.decode() if isinstance(k, bytes) else str(k) for k in layer.keys[idx]]
        rows = store.get_rows(layer.name, uuids, fields=["obj_code", "district"])
        geoms = layer.geometries(idx)
        points = shapely.point_on_surface(geoms)
        lines = np.isin(shapely.get_type_id(geoms), (1, 5))  # a line: its middle
        points[lines] = shapely.line_interpolate_point(geoms[lines], 0.5, normalized=True)
        for uuid, cond, point in zip(uuids, layer.category[idx], points, strict=True):
            row = rows.get(uuid) or {}
            if not row.get("obj_code") or point is None or shapely.is_empty(point):
                continue
            if district and row.get("district") != district:
                continue
            out.append(CodedAsset(layer.name, str(row["obj_code"]), int(cond),
                                  float(shapely.get_x(point)), float(shapely.get_y(point))))
    out.sort(key=lambda a: (-a.condition, a.code))
    return out


def draw_codes(painter: QPainter, target: QRectF, extent: Bbox, assets: Sequence[CodedAsset],
               dpi: float, text_scale: float = 1.0) -> CodesDrawn:
    """Write each asset's code up and right of it (else the other three corners) on a white
    box, never over a code already written and never outside ``target``."""
    x0, y0, x1, y1 = extent
    sx, sy = target.width() / (x1 - x0), target.height() / (y1 - y0)
    font = fonts.font(CODE_PT * text_scale)
    metrics = QFontMetricsF(font, painter.device())
    off = OFFSET_MM / 25.4 * dpi
    pad = PAD_MM / 25.4 * dpi
    h = metrics.height()
    cell = max(h * 4, 1.0)  # codes already written, bucketed by where they are
    taken: dict[tuple[int, int], list[QRectF]] = {}
    placed: list[tuple[QRectF, str]] = []
    left_out = 0

    def free(box: QRectF) -> bool:
        cx0, cy0 = int(box.left() // cell), int(box.top() // cell)
        cx1, cy1 = int(box.right() // cell), int(box.bottom() // cell)
        return not any(box.intersects(t) for gx in range(cx0, cx1 + 1)
                       for gy in range(cy0, cy1 + 1) for t in taken.get((gx, gy), ()))

    for a in assets:
        px = target.left() + (a.x - x0) * sx
        py = target.top() + (y1 - a.y) * sy
        w = metrics.horizontalAdvance(a.code) + 2 * pad
        for dx, dy in ((off, -off - h), (off, off), (-off - w, -off - h), (-off - w, off)):
            box = QRectF(px + dx, py + dy, w, h)
            if target.contains(box) and free(box):
                for gx in range(int(box.left() // cell), int(box.right() // cell) + 1):
                    for gy in range(int(box.top() // cell), int(box.bottom() // cell) + 1):
                        taken.setdefault((gx, gy), []).append(box)
                placed.append((box, a.code))
                break
        else:
            left_out += 1
    painter.save()
    painter.setFont(font)
    painter.setPen(QPen(CODE_COLOUR, max(dpi / 300.0, 0.5)))
    painter.setBrush(QColor(255, 255, 255, 225))
    for box, _code in placed:
        painter.drawRect(box)
    for box, code in placed:  # as text: a crew can search the PDF for a code
        painter.drawText(QPointF(box.left() + pad, box.top() + metrics.ascent()), code)
    painter.restore()
    return CodesDrawn(len(placed), left_out)
