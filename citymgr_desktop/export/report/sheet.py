"""Millimetre drawing for the report's pages over a QPainter: text in a Chinese-capable font
that stays searchable in the PDF (``export/fonts.font``), boxes, lines, a chart (SVG from
matplotlib, painted as vectors with its text as text) and one-line tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtSvg import QSvgRenderer

from citymgr_desktop.export.fonts import cjk_family, font
from citymgr_desktop.export.pages import mm_to_px
from citymgr_desktop.export.report.charts import LATIN_FAMILY, SVG_FAMILY

GRID = QColor("#9aa5b1")
HEADER_FILL = QColor("#e4eaf2")
AL, AR, AC = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight,
              Qt.AlignmentFlag.AlignHCenter)
VC = Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column:
    """A table column: heading, width in mm, alignment."""

    heading: str
    width: float
    align: Qt.AlignmentFlag = AL


class Sheet:
    """Draws in millimetres (origin top-left of the page) on ``painter`` at ``dpi``."""

    def __init__(self, painter: QPainter, dpi: float) -> None:
        self.painter, self.dpi = painter, dpi

    def px(self, mm: float) -> float:
        return mm_to_px(mm, self.dpi)

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(self.px(x), self.px(y), self.px(w), self.px(h))

    def text(self, x: float, y: float, w: float, h: float, text: str, size: float, *,
             bold: bool = False, align: Qt.AlignmentFlag = AL, color: str = "#000000",
             wrap: bool = False) -> None:
        p = self.painter
        f = font(size, bold=bold)
        p.setFont(f)
        p.setPen(QColor(color))
        r = self.rect(x, y, w, h)
        if not wrap:
            text = QFontMetricsF(f, p.device()).elidedText(text, Qt.TextElideMode.ElideRight,
                                                           r.width())
        flags = align.value | VC.value | (Qt.TextFlag.TextWordWrap.value if wrap else 0)
        p.drawText(r, flags, text)

    def box(self, x: float, y: float, w: float, h: float, *, fill: QColor | None = None,
            width: float = 0.2, color: QColor = GRID) -> None:
        p = self.painter
        p.setPen(QPen(color, self.px(width)) if width > 0 else Qt.PenStyle.NoPen)
        p.setBrush(QBrush(fill) if fill is not None else Qt.BrushStyle.NoBrush)
        p.drawRect(self.rect(x, y, w, h))

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.3,
             color: QColor = GRID) -> None:
        self.painter.setPen(QPen(color, self.px(width)))
        self.painter.drawLine(QPointF(self.px(x1), self.px(y1)),
                              QPointF(self.px(x2), self.px(y2)))

    def svg(self, data: bytes, x: float, y: float, w: float, h: float) -> None:
        """A chart (SVG) scaled into the box; its text family (:data:`SVG_FAMILY`) is the
        Latin family, then the app's CJK font (the Simplified Chinese face, as the pages)."""
        if QFont.substitutes(SVG_FAMILY) != [LATIN_FAMILY, cjk_family()]:
            QFont.removeSubstitutions(SVG_FAMILY)
            QFont.insertSubstitutions(SVG_FAMILY, [LATIN_FAMILY, cjk_family()])
        self.painter.save()
        self.painter.setFont(QFont(SVG_FAMILY))  # not the weight of the text drawn before
        QSvgRenderer(QByteArray(data)).render(self.painter, self.rect(x, y, w, h))
        self.painter.restore()

    def table(self, x: float, y: float, columns: Sequence[Column],
              rows: Sequence[Sequence[str]], *, size: float = 8.0, row_h: float = 6.0,
              colours: Sequence[str | None] | None = None) -> float:
        """A header row and one line per row (text elided to its cell); returns the y below
        it. ``colours`` gives a text colour per row (None = black)."""
        width = sum(c.width for c in columns)
        self.box(x, y, width, row_h, fill=HEADER_FILL)
        cx = x
        for c in columns:
            self.text(cx + 1.2, y, c.width - 2.4, row_h, c.heading, size, bold=True,
                      align=c.align)
            cx += c.width
        y += row_h
        for k, row in enumerate(rows):
            if k % 2:
                self.box(x, y, width, row_h, fill=QColor("#f6f8fa"), width=0)
            cx = x
            colour = (colours[k] if colours else None) or "#000000"
            for c, value in zip(columns, row, strict=True):
                self.text(cx + 1.2, y, c.width - 2.4, row_h, value, size, align=c.align,
                          color=colour)
                cx += c.width
            y += row_h
        self.line(x, y, x + width, y, 0.3)
        return y
