"""Page flow for the work-order PDF: a sheet in millimetres over a QPainter, wrapped text,
and tables that break across pages with their header repeated.

Layout is done first (every block is measured and placed on a page) and drawn second, so each
page can carry "page i of n" of its order. QtGui only: it paints on the ``QPdfWriter``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPaintDevice,
    QPainter,
    QPen,
)

from citymgr_desktop.export.fonts import cjk_family
from citymgr_desktop.export.pages import mm_to_px

DrawOp = Callable[["Sheet"], None]
# Latin text and digits come from a Latin font, Chinese from the CJK one (Qt falls back per
# character). With the CJK font alone, Qt shapes digits that follow Latin letters with glyphs
# its PDF ToUnicode map does not cover, and "CGCS2000" or "Page 1 of 2" lose their digits
# when the PDF is searched or copied (pdftotext shows "CGCS").
LATIN_FAMILIES = ("Noto Sans", "DejaVu Sans", "Segoe UI", "Arial", "Helvetica",
                  "Liberation Sans")
_families: list[str] | None = None


def pdf_font(size: float, bold: bool = False) -> QFont:
    """A font for the work-order PDF: a Latin family first, the CJK family for Chinese."""
    global _families
    if _families is None:
        cjk = cjk_family()
        known = set(QFontDatabase.families())
        latin = [f for f in LATIN_FAMILIES if f in known][:1]
        _families = [*latin, cjk]
    f = QFont()
    f.setFamilies(_families)
    f.setPointSizeF(size)
    f.setBold(bold)
    return f
MAX_CELL_CHARS = 240
GRID = QColor("#555555")
HEADER_FILL = QColor("#e4eaf2")


class Sheet:
    """Millimetre drawing on a paint device (origin top-left of the sheet)."""

    def __init__(self, device: QPaintDevice, dpi: float, painter: QPainter | None = None
                 ) -> None:
        self.device, self.dpi, self.painter = device, dpi, painter
        self._metrics: dict[tuple[str, float, bool], QFontMetricsF] = {}

    def px(self, mm: float) -> float:
        return mm_to_px(mm, self.dpi)

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(self.px(x), self.px(y), self.px(w), self.px(h))

    def font(self, size: float, bold: bool = False) -> QFont:
        return pdf_font(size, bold)

    def _fm(self, size: float, bold: bool) -> QFontMetricsF:
        key = ("", size, bold)
        if key not in self._metrics:
            self._metrics[key] = QFontMetricsF(self.font(size, bold), self.device)
        return self._metrics[key]

    def text_height(self, text: str, width: float, size: float, bold: bool = False) -> float:
        """Height in mm of ``text`` wrapped into ``width`` mm."""
        fm = self._fm(size, bold)
        if not text:
            return fm.height() / self.px(1)
        r = fm.boundingRect(QRectF(0, 0, self.px(width), 1e9),
                            int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft), text)
        return r.height() / self.px(1)

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        return self._fm(size, bold).horizontalAdvance(text) / self.px(1)

    # -- drawing (only in the second pass) ----------------------------------------------
    def text(self, x: float, y: float, w: float, h: float, text: str, size: float, *,
             bold: bool = False, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
             valign: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignTop, color: str = "#000000",
             wrap: bool = True) -> None:
        p = self._p()
        p.setFont(self.font(size, bold))
        p.setPen(QColor(color))
        flags = align | valign
        if wrap:
            flags |= Qt.TextFlag.TextWordWrap
        p.drawText(self.rect(x, y, w, h), int(flags), text)

    def box(self, x: float, y: float, w: float, h: float, *, fill: QColor | None = None,
            width: float = 0.25, color: QColor = GRID) -> None:
        p = self._p()
        p.setPen(QPen(color, self.px(width)) if width > 0 else Qt.PenStyle.NoPen)
        p.setBrush(QBrush(fill) if fill is not None else Qt.BrushStyle.NoBrush)
        p.drawRect(self.rect(x, y, w, h))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.25,
             color: QColor = GRID) -> None:
        p = self._p()
        p.setPen(QPen(color, self.px(width)))
        p.drawLine(QPointF(self.px(x1), self.px(y1)), QPointF(self.px(x2), self.px(y2)))

    def image(self, x: float, y: float, w: float, h: float, image: QImage) -> None:
        """``image`` fitted into the box (aspect kept, centred)."""
        if image.isNull():
            return
        scale = min(w / image.width(), h / image.height())
        iw, ih = image.width() * scale, image.height() * scale
        self._p().drawImage(self.rect(x + (w - iw) / 2, y + (h - ih) / 2, iw, ih), image)

    def _p(self) -> QPainter:
        assert self.painter is not None, "drawing needs an active painter"
        return self.painter


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: float  # mm
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft


@dataclass
class Flow:
    """Places blocks top-down on pages; a block that does not fit starts a new page."""

    sheet: Sheet
    top: float
    bottom: float
    continued_top: float
    on_new_page: Callable[[Flow], None] | None = None
    pages: list[list[DrawOp]] = field(default_factory=lambda: [[]])
    y: float = 0.0

    def __post_init__(self) -> None:
        self.y = self.top

    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.continued_top
        if self.on_new_page is not None:
            self.on_new_page(self)

    def room(self) -> float:
        return self.bottom - self.y

    def ensure(self, height: float) -> None:
        if height > self.room() and self.y > self.continued_top + 0.01:
            self.new_page()

    def place(self, height: float, op: Callable[[Sheet, float], None]) -> float:
        """Reserve ``height`` mm (on a new page if needed) and draw ``op(sheet, y)`` there."""
        self.ensure(height)
        y = self.y
        self.pages[-1].append(lambda s, y=y: op(s, y))
        self.y += height
        return y

    def gap(self, mm: float) -> None:
        self.y = min(self.y + mm, self.bottom)


PAD_X, PAD_Y = 1.4, 1.0


def _cell_text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS - 1] + "…"


def table(flow: Flow, x: float, columns: list[Column], rows: list[dict[str, Any]], *,
          size: float = 8.0, title: str | None = None, min_rows_with_title: int = 2,
          shade: Callable[[int], bool] | None = None, keep_with_next: float = 0.0) -> None:
    """A table that breaks across pages: the header row is repeated on every page and a row
    is never split; a section title stays with the header and the first rows, and the last
    row never stands alone under a repeated header (the last two rows go over together).
    ``keep_with_next``: the height of what must follow the last row on its page (the
    signature block). When the table and that block do not fit in the room left but fit a
    page, the whole table starts on the next page: the sheet's end is never one row."""
    sheet = flow.sheet
    head_h = max(sheet.text_height(c.title, c.width - 2 * PAD_X, size, True)
                 for c in columns) + 2 * PAD_Y
    heights = [max(sheet.text_height(_cell_text(r.get(c.key)), c.width - 2 * PAD_X, size)
                   for c in columns) + 2 * PAD_Y for r in rows]
    title_h = (sheet.text_height(title, 100, size + 2, True) + 1.5) if title else 0.0
    first = sum(heights[:min_rows_with_title])
    if len(rows) <= min_rows_with_title:
        first += keep_with_next
    whole = title_h + head_h + sum(heights) + keep_with_next
    if keep_with_next and whole <= flow.bottom - flow.continued_top:
        first = whole - title_h - head_h  # the sheet's last section goes over in one piece
    flow.ensure(title_h + head_h + first)
    if title:
        flow.place(title_h, lambda s, y: s.text(x, y, 180, title_h, title, size + 2,
                                                bold=True))

    def header(s: Sheet, y: float) -> None:
        cx = x
        for c in columns:
            s.box(cx, y, c.width, head_h, fill=HEADER_FILL)
            s.text(cx + PAD_X, y + PAD_Y, c.width - 2 * PAD_X, head_h - 2 * PAD_Y, c.title,
                   size, bold=True, align=c.align)
            cx += c.width

    flow.place(head_h, header)
    last = len(rows) - 1
    for i, (row, h) in enumerate(zip(rows, heights, strict=True)):
        # what must go on this page with row i: the last row takes what follows it, and the
        # one before the last takes the last along (a row is never alone on a page)
        need = h + (keep_with_next if i == last else 0.0)
        if i == last - 1 and i > 0:
            need += heights[last] + keep_with_next
        rows_here = flow.y > flow.continued_top + head_h + 0.01
        if (i < last and h > flow.room()) or (need > flow.room() and rows_here):
            flow.new_page()
            flow.place(head_h, header)

        def draw_row(s: Sheet, y: float, row: dict[str, Any] = row, h: float = h,
                     i: int = i) -> None:
            cx = x
            fill = QColor("#f5f7fa") if shade is not None and shade(i) else None
            for c in columns:
                s.box(cx, y, c.width, h, fill=fill)
                s.text(cx + PAD_X, y + PAD_Y, c.width - 2 * PAD_X, h - 2 * PAD_Y,
                       _cell_text(row.get(c.key)), size, align=c.align,
                       valign=Qt.AlignmentFlag.AlignVCenter)
                cx += c.width

        flow.place(h, draw_row)
