"""Map furniture drawn with QPainter on any device: title, neatlines, coordinate grid with
labels, north arrow, scale bar, legend, overview inset and footer.

Positions come from :mod:`layout_geometry` in millimetres; :class:`Sheet` turns them into
device units for the painter's device (a 1200-dpi ``QPdfWriter`` or a PNG ``QImage``), and
fonts are sized in points so text has the same physical size on both. Text is drawn as text,
so it stays selectable and searchable in the PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from citymgr_desktop.export import fonts
from citymgr_desktop.export.pages import mm_to_px
from citymgr_desktop.export.print_map.geometry import (
    Bbox,
    Rect,
    ScaleBar,
    format_coordinate,
    grid_lines,
)

INK = QColor("#1a1a1a")
GRID_COLOUR = QColor(40, 40, 40, 150)
FRAME_COLOUR = QColor("#d7191c")


class Sheet:
    """Millimetres to device units for one painter, plus pens and fonts."""

    def __init__(self, painter: QPainter, dpi: float, text_scale: float = 1.0) -> None:
        self.p = painter
        self.dpi = dpi
        self.ts = text_scale

    def px(self, mm: float) -> float:
        return mm_to_px(mm, self.dpi)

    def mm(self, px: float) -> float:
        return px * 25.4 / self.dpi

    def pt(self, x: float, y: float) -> QPointF:
        return QPointF(self.px(x), self.px(y))

    def rect(self, r: Rect) -> QRectF:
        return QRectF(self.px(r.x), self.px(r.y), self.px(r.w), self.px(r.h))

    def pen(self, colour: QColor | str, width_mm: float) -> QPen:
        pen = QPen(QColor(colour), self.px(width_mm))
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def font(self, size_pt: float, bold: bool = False) -> QFont:
        return fonts.font(size_pt * self.ts, bold=bold)

    def text_width(self, font: QFont, text: str) -> float:
        """Width of ``text`` in millimetres."""
        return self.mm(QFontMetricsF(font, self.p.device()).horizontalAdvance(text))

    def line_height(self, font: QFont) -> float:
        return self.mm(QFontMetricsF(font, self.p.device()).height())

    def text(self, r: Rect, text: str, font: QFont, align: Qt.AlignmentFlag,
             colour: QColor = INK) -> None:
        self.p.setFont(font)
        self.p.setPen(QPen(colour))
        self.p.drawText(self.rect(r), int(align), text)


def draw_title(s: Sheet, r: Rect, title: str, subtitle: str) -> None:
    """Title centred on top, subtitle below it, a thin rule under both."""
    tf, sf = s.font(18, bold=True), s.font(10.5)
    th = s.line_height(tf)
    s.text(Rect(r.x, r.y, r.w, th), title, tf, Qt.AlignmentFlag.AlignHCenter
           | Qt.AlignmentFlag.AlignTop)
    if subtitle:
        s.text(Rect(r.x, r.y + th, r.w, s.line_height(sf)), subtitle, sf,
               Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, QColor("#404040"))
    s.p.setPen(s.pen(INK, 0.3))
    s.p.drawLine(s.pt(r.x, r.bottom), s.pt(r.right, r.bottom))


def draw_neatlines(s: Sheet, frame: Rect, band: float) -> None:
    """A thin line round the map frame and, with a grid band, a heavier outer neatline."""
    s.p.setBrush(Qt.BrushStyle.NoBrush)
    s.p.setPen(s.pen(INK, 0.25))
    s.p.drawRect(s.rect(frame))
    if band > 0:
        s.p.setPen(s.pen(INK, 0.6))
        s.p.drawRect(s.rect(Rect(frame.x - band, frame.y - band, frame.w + 2 * band,
                                 frame.h + 2 * band)))


def draw_grid(s: Sheet, frame: Rect, extent: Bbox, interval: float, band: float) -> int:
    """Grid lines inside the frame and their real coordinates in the band around it:
    eastings on top and bottom, northings (rotated) left and right. Returns lines drawn."""
    xs, ys = grid_lines(extent, interval)
    minx, miny, maxx, maxy = extent
    sx = frame.w / (maxx - minx)
    sy = frame.h / (maxy - miny)
    s.p.save()
    s.p.setClipRect(s.rect(frame))
    s.p.setPen(s.pen(GRID_COLOUR, 0.15))
    for x in xs:
        px = frame.x + (x - minx) * sx
        s.p.drawLine(s.pt(px, frame.y), s.pt(px, frame.bottom))
    for y in ys:
        py = frame.bottom - (y - miny) * sy
        s.p.drawLine(s.pt(frame.x, py), s.pt(frame.right, py))
    s.p.restore()
    f = s.font(6.5)
    tick = min(1.2, band * 0.25)
    s.p.setPen(s.pen(INK, 0.2))
    for x in xs:
        px = frame.x + (x - minx) * sx
        s.p.drawLine(s.pt(px, frame.y - tick), s.pt(px, frame.y))
        s.p.drawLine(s.pt(px, frame.bottom), s.pt(px, frame.bottom + tick))
    for y in ys:
        py = frame.bottom - (y - miny) * sy
        s.p.drawLine(s.pt(frame.x - tick, py), s.pt(frame.x, py))
        s.p.drawLine(s.pt(frame.right, py), s.pt(frame.right + tick, py))
    h = band - tick
    centre = Qt.AlignmentFlag.AlignCenter
    for x in xs:
        label = format_coordinate(x, interval)
        w = s.text_width(f, label) + 1
        px = frame.x + (x - minx) * sx
        if px - w / 2 < frame.x - band or px + w / 2 > frame.right + band:
            continue
        s.text(Rect(px - w / 2, frame.y - band, w, h), label, f, centre)
        s.text(Rect(px - w / 2, frame.bottom + tick, w, h), label, f, centre)
    for y in ys:
        label = format_coordinate(y, interval)
        w = s.text_width(f, label) + 1
        py = frame.bottom - (y - miny) * sy
        if py - w / 2 < frame.y - band or py + w / 2 > frame.bottom + band:
            continue
        for cx, angle in ((frame.x - tick - h / 2, -90), (frame.right + tick + h / 2, 90)):
            s.p.save()
            s.p.translate(s.pt(cx, py))
            s.p.rotate(angle)
            s.text(Rect(-w / 2, -h / 2, w, h), label, f, centre)
            s.p.restore()
    return len(xs) + len(ys)


def draw_north_arrow(s: Sheet, r: Rect, angle_deg: float, letter: str) -> None:
    """A two-tone arrow with its letter, rotated clockwise by ``angle_deg`` (true north)."""
    f = s.font(9, bold=True)
    lh = s.line_height(f)
    size = min(r.w * 0.55, (r.h - lh) * 0.85)
    cx, cy = r.x + r.w / 2, r.y + lh + (r.h - lh) / 2
    s.p.save()
    s.p.translate(s.pt(cx, cy))
    s.p.rotate(angle_deg)
    half_w, half_h = size * 0.32, size / 2
    left, right = QPainterPath(), QPainterPath()
    left.moveTo(s.pt(0, -half_h))
    left.lineTo(s.pt(-half_w, half_h))
    left.lineTo(s.pt(0, half_h * 0.55))
    left.closeSubpath()
    right.moveTo(s.pt(0, -half_h))
    right.lineTo(s.pt(half_w, half_h))
    right.lineTo(s.pt(0, half_h * 0.55))
    right.closeSubpath()
    s.p.setPen(s.pen(INK, 0.25))
    s.p.setBrush(QBrush(INK))
    s.p.drawPath(left)
    s.p.setBrush(QBrush(QColor("white")))
    s.p.drawPath(right)
    s.text(Rect(-size / 2, -half_h - lh, size, lh), letter, f, Qt.AlignmentFlag.AlignCenter)
    s.p.restore()


def draw_scale_bar(s: Sheet, r: Rect, bar: ScaleBar, scale_text: str, unit_text: str) -> None:
    """The scale as text (1:2000) over an alternating bar of round lengths."""
    tf, lf = s.font(9, bold=True), s.font(6.5)
    th, lh = s.line_height(tf), s.line_height(lf)
    s.text(Rect(r.x, r.y, r.w, th), scale_text, tf, Qt.AlignmentFlag.AlignHCenter
           | Qt.AlignmentFlag.AlignTop)
    unit_w = s.text_width(lf, unit_text) + 1.5
    x0 = r.x + max((r.w - bar.length_mm - unit_w) / 2, 1.5)
    bh = 1.6 * s.ts
    y0 = r.y + th + lh + 1.0
    seg_mm = bar.length_mm / bar.segments
    s.p.setPen(s.pen(INK, 0.2))
    for i in range(bar.segments):
        s.p.setBrush(QBrush(INK if i % 2 == 0 else QColor("white")))
        s.p.drawRect(s.rect(Rect(x0 + i * seg_mm, y0, seg_mm, bh)))
    # labels above the bar: every division when they fit, else the ends and the middle
    every = seg_mm >= s.text_width(lf, bar.label(bar.total_m)) + 1.5
    for i in range(bar.segments + 1):
        if not (every or i in (0, bar.segments) or 2 * i == bar.segments):
            continue
        text = bar.label(i * bar.segment_m)
        w = s.text_width(lf, text) + 1
        s.text(Rect(x0 + i * seg_mm - w / 2, y0 - lh - 0.3, w, lh), text, lf,
               Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
    s.text(Rect(x0 + bar.length_mm + 1.0, y0 - (lh - bh) / 2, unit_w, lh), unit_text, lf,
           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class LegendRow:
    """One legend line: a heading (``swatch`` None) or a symbol with its label."""

    label: str
    swatch: Callable[[QPainter, QRectF], None] | None = None


def _legend_groups(rows: Sequence[LegendRow]) -> list[list[LegendRow]]:
    """A layer's heading with its entries; a row with a swatch and no heading before it (an
    uncategorised layer, the work-order line) is a group of its own."""
    groups: list[list[LegendRow]] = []
    for row in rows:
        if row.swatch is not None and groups and groups[-1][0].swatch is None:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _flow(groups: list[list[LegendRow]], per_col: int, together: bool) -> list[list[LegendRow]]:
    """Groups into columns of ``per_col`` rows. ``together``: a group that fits a column is
    never split (it starts the next one). A split group repeats its heading at the top of
    the next column, so its entries never read as the neighbouring layer's."""
    columns: list[list[LegendRow]] = [[]]
    for group in groups:
        col = columns[-1]
        if len(col) + len(group) <= per_col:
            col.extend(group)
            continue
        if col and (together and len(group) <= per_col):
            columns.append(list(group))
            continue
        head = group[0] if group[0].swatch is None and per_col > 1 else None
        entries = group[1:] if head is not None else group
        if col and per_col - len(col) < (2 if head is not None else 1):
            columns.append([])  # a heading never ends a column
        if head is not None:
            columns[-1].append(head)
        for entry in entries:
            if len(columns[-1]) >= per_col:
                columns.append([head] if head is not None else [])
            columns[-1].append(entry)
    return columns


def legend_columns(rows: Sequence[LegendRow], per_col: int) -> list[list[LegendRow]]:
    """Rows flowed into columns of ``per_col``: a layer's group stays in one column when
    that takes no more columns than splitting; a group that must split repeats its heading
    at the top of the next column (a heading never ends a column)."""
    groups = _legend_groups(rows)
    split = _flow(groups, per_col, together=False)
    whole = _flow(groups, per_col, together=True)
    return whole if len(whole) <= len(split) else split


def _legend_metrics(s: Sheet, r: Rect, rows: Sequence[LegendRow], factor: float
                    ) -> tuple[bool, list[list[LegendRow]], float]:
    """(fits, columns, row height) for the rows in ``r`` at font ``factor``."""
    tf, f = s.font(9 * factor, bold=True), s.font(7 * factor)
    hf = s.font(7 * factor, bold=True)
    avail = r.h - s.line_height(tf) - 1.0
    row_h = s.line_height(f) * 1.15
    sw = 7.0 * s.ts * factor
    col_w = max((s.text_width(f, row.label) + sw + 3.5) if row.swatch else
                s.text_width(hf, row.label) for row in rows) + 3
    columns = legend_columns(rows, max(int(avail // row_h), 1))
    fits = len(columns) * col_w <= r.w + 0.01 and (len(columns) > 1 or
                                                    len(rows) * row_h <= avail + 0.01)
    return fits, columns, row_h


def draw_legend(s: Sheet, r: Rect, title: str, rows: Sequence[LegendRow]) -> float:
    """The legend in ``r``: flowed into columns, fonts shrunk (never rows dropped) when the
    box is small; returns the font factor used."""
    if not rows:
        return 1.0
    factor = 1.0
    fits, columns, row_h = _legend_metrics(s, r, rows, factor)
    while factor > 0.5 and not fits:
        factor -= 0.05
        fits, columns, row_h = _legend_metrics(s, r, rows, factor)
    tf, f, hf = s.font(9 * factor, bold=True), s.font(7 * factor), s.font(7 * factor, bold=True)
    th = s.line_height(tf)
    s.text(Rect(r.x, r.y, r.w, th), title, tf, Qt.AlignmentFlag.AlignLeft
           | Qt.AlignmentFlag.AlignTop)
    col_w = r.w / len(columns)
    sw, shh = 7.0 * s.ts * factor, row_h * 0.7
    for c, column in enumerate(columns):
        for k, row in enumerate(column):
            x, y = r.x + c * col_w, r.y + th + 1.0 + k * row_h
            if row.swatch is None:
                s.text(Rect(x, y, col_w, row_h), row.label, hf, Qt.AlignmentFlag.AlignLeft
                       | Qt.AlignmentFlag.AlignVCenter)
                continue
            box = s.rect(Rect(x + 1.0, y + (row_h - shh) / 2, sw, shh))
            s.p.save()
            row.swatch(s.p, box)
            s.p.restore()
            s.text(Rect(x + sw + 2.5, y, col_w - sw - 2.5, row_h), row.label, f,
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return factor


def draw_overview(s: Sheet, r: Rect, caption: str, district: Bbox, frame_extent: Bbox,
                  draw_district: Callable[[QRectF, Bbox], None]) -> Rect:
    """The whole district small, with the printed frame outlined in red; returns the inset.

    The inset shows the district only (the same on every atlas page, so its image is
    embedded once); a frame reaching beyond the district is cut at the inset's edge.
    """
    cf = s.font(7, bold=True)
    ch = s.line_height(cf)
    s.text(Rect(r.x, r.y, r.w, ch), caption, cf, Qt.AlignmentFlag.AlignLeft
           | Qt.AlignmentFlag.AlignTop)
    box = Rect(r.x, r.y + ch + 0.5, r.w, r.h - ch - 0.5)
    pad = 0.03 * max(district[2] - district[0], district[3] - district[1], 1e-9)
    ext = (district[0] - pad, district[1] - pad, district[2] + pad, district[3] + pad)
    ew, eh = ext[2] - ext[0], ext[3] - ext[1]
    k = min(box.w / ew, box.h / eh)
    inset = Rect(box.x + (box.w - ew * k) / 2, box.y + (box.h - eh * k) / 2, ew * k, eh * k)
    s.p.save()
    s.p.fillRect(s.rect(box), QColor("white"))
    s.p.setClipRect(s.rect(inset))
    draw_district(s.rect(inset), ext)
    fx0 = inset.x + (frame_extent[0] - ext[0]) * k
    fy0 = inset.y + (ext[3] - frame_extent[3]) * k
    fw, fh = (frame_extent[2] - frame_extent[0]) * k, (frame_extent[3] - frame_extent[1]) * k
    s.p.setBrush(QBrush(QColor(215, 25, 28, 40)))
    s.p.setPen(s.pen(FRAME_COLOUR, 0.45))
    s.p.drawRect(s.rect(Rect(fx0, fy0, max(fw, 0.4), max(fh, 0.4))))
    if fw < 3 and fh < 3:  # too small to see: a cross-hair on it
        cx, cy = fx0 + fw / 2, fy0 + fh / 2
        s.p.drawLine(s.pt(cx - 3, cy), s.pt(cx + 3, cy))
        s.p.drawLine(s.pt(cx, cy - 3), s.pt(cx, cy + 3))
    s.p.restore()
    s.p.setPen(s.pen(INK, 0.2))
    s.p.setBrush(Qt.BrushStyle.NoBrush)
    s.p.drawRect(s.rect(box))  # last, so the inset never covers the border
    return inset


def draw_footer(s: Sheet, r: Rect, left: str, right: str) -> None:
    f = s.font(6.5)
    grey = QColor("#404040")
    rw = s.text_width(f, right) + 2 if right else 0
    s.text(Rect(r.x, r.y, r.w - rw, r.h), left, f, Qt.AlignmentFlag.AlignLeft
           | Qt.AlignmentFlag.AlignVCenter, grey)
    if right:
        s.text(Rect(r.right - rw, r.y, rw, r.h), right, f, Qt.AlignmentFlag.AlignRight
               | Qt.AlignmentFlag.AlignVCenter, grey)
    s.p.setPen(s.pen(grey, 0.2))
    s.p.drawLine(s.pt(r.x, r.y), s.pt(r.right, r.y))
