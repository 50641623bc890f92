"""The monthly report (月报) as a PDF: a cover with the key figures against the month before,
the charts (condition by class and by 街道, records and cost per month, orders by state),
the evaluation of the assignees, the hot-spot maps of open cases and of assets in condition
4-5, and the orders still overdue. A4 portrait, Chinese by default.

Text is text (searchable; ``fonts.fix_pdf_tounicode`` repairs Qt's CJK ToUnicode maps), the
charts are matplotlib's SVG painted as vectors, the maps come from the app's renderer. The
file is written under a temporary name and renamed; progress per page, cancel between pages.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter

from citymgr_desktop.core.atomic import Incomplete, atomic_path
from citymgr_desktop.core.clock import format_iso, format_local, format_local_zoned, utcnow
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.messages import bracketed, joined, msg, sentences, words
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.stats import MonthlyFigures, monthly_figures
from citymgr_desktop.export import verify
from citymgr_desktop.export.fonts import ensure_gui_application, fix_pdf_tounicode
from citymgr_desktop.export.pages import PDF_RESOLUTION, pdf_writer
from citymgr_desktop.export.report import charts
from citymgr_desktop.export.report.sheet import AC, AR, Column, Sheet
from citymgr_desktop.export.report.text import (
    assignee_name,
    layer_name,
    normalise_lang,
    percent,
    state_name,
    translator,
)

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.render import MapData

X0, W = 12.0, 186.0
TOP, BOTTOM = 14.0, 282.0
ROWS_PER_PAGE = 38
MAX_OVERDUE_ROWS = 10 * ROWS_PER_PAGE
Page = Callable[[Sheet], None]
KEY_LABELS = {
    "assets": "Assets in the register", "poor_share": "Share in condition 4-5",
    "graded_poor": "Assets graded 4-5 this month", "records": "Maintenance records",
    "cost": "Maintenance cost (yuan)", "reported": "Work orders reported",
    "due": "Work orders due", "on_time_rate": "On-time rate", "closure_rate": "Closure rate",
    "rework_rate": "Rework rate", "overdue_open": "Overdue and still open",
    "coverage": "Inspection coverage",
}


def _value(key: str, v: Any) -> str:
    if v is None:
        return "—"
    if key in ("poor_share", "on_time_rate", "closure_rate", "rework_rate", "coverage"):
        return percent(v)
    if key == "cost":
        return f"{v:,.0f}"
    return f"{int(v):,}"


def _change(key: str, now: Any, before: Any) -> str:
    if now is None or before is None:
        return "—"
    if key in ("poor_share", "on_time_rate", "closure_rate", "rework_rate", "coverage"):
        return f"{(now - before) * 100:+.1f} pt"
    diff = now - before
    if key == "cost":
        return f"{diff:+,.0f}"
    return f"{int(diff):+,}"


def _heading(s: Sheet, y: float, text: str) -> float:
    s.text(X0, y, W, 8, text, 13, bold=True, color="#1f3b5c")
    s.line(X0, y + 8.5, X0 + W, y + 8.5, 0.4, QColor("#1f3b5c"))
    return y + 11


def _chart(s: Sheet, fig_fn: Callable[[Any], object], x: float, y: float, w: float,
           h: float) -> None:
    fig = charts.new_figure(w, h)
    fig_fn(fig)
    s.svg(charts.svg_bytes(fig), x, y, w, h)


def build_pages(figs: MonthlyFigures, lang: str, data: MapData | None, *,
                title: str, author: str, source: str, made: dt.datetime) -> list[Page]:
    """The report's pages as drawing functions (the count is known before drawing)."""
    tr = translator(lang)
    zh = lang == "zh_CN"
    month = figs.month.first
    assert month is not None
    month_text = f"{month.year}年{month.month}月" if zh else month.strftime("%B %Y")
    dash = figs.dashboard
    pages: list[Page] = []

    def cover(s: Sheet) -> None:
        s.box(X0, TOP, W, 52, fill=QColor("#1f3b5c"), width=0)
        s.text(X0 + 8, TOP + 6, W - 16, 18, title, 20, bold=True, color="#ffffff", wrap=True)
        s.text(X0 + 8, TOP + 25, W - 16, 10, month_text, 16, color="#ffffff")
        s.text(X0 + 8, TOP + 38, W - 16, 8,
               f"{tr('Made')} {format_local_zoned(format_iso(made), lang)} · {author} · "
               f"{source}", 9,
               color="#d0d8e4")
        y = _heading(s, TOP + 62, tr("Key figures against last month"))
        prev = figs.previous.first
        assert prev is not None
        prev_text = f"{prev.year}年{prev.month}月" if zh else prev.strftime("%B %Y")
        cols = [Column(tr("Figure"), 78), Column(month_text, 36, AR),
                Column(prev_text, 36, AR), Column(tr("Change"), 36, AR)]
        rows = [[tr(KEY_LABELS[k]), _value(k, a), _value(k, b), _change(k, a, b)]
                for k, (a, b) in figs.key.items()]
        y = s.table(X0, y, cols, rows, size=9.5, row_h=8)
        notes = tr("How the figures are counted: the User Guide (Help menu), section "
                   "“Dashboard and monthly report”. Rates are of the work orders due in the "
                   "month (deadline in the month, dispatched, not cancelled); the register "
                   "and the share in condition 4-5 are at the month's end (or now).")
        if figs.undated:
            notes = sentences([notes, tr("{n} assets without an install date were written after the "
                              "month's end and are not counted in its register (the file "
                              "keeps no creation date: they may be new since, or older and "
                              "edited since).").format(n=f"{figs.undated:,}")], lang)
        s.text(X0, y + 3, W, 24, notes, 8, color="#555555", wrap=True)
    pages.append(cover)

    def chart_page(s: Sheet) -> None:
        y = _heading(s, TOP, tr("Condition, maintenance and work orders"))
        _chart(s, lambda f: charts.condition_chart(f, dash.condition_by("layer"), "layer",
                                                   lang), X0, y, 92, 72)
        _chart(s, lambda f: charts.orders_chart(f, dash.orders_by_state, lang,
                                                dash.orders_on()),
               X0 + 94, y, 92, 72)
        y += 75
        _chart(s, lambda f: charts.condition_chart(f, dash.condition_by("district"),
                                                   "district", lang), X0, y, W, 98)
        y += 100
        _chart(s, lambda f: charts.records_chart(f, dash.records_by_month,
                                                 dash.month_labels(), lang), X0, y, W, 66)
    pages.append(chart_page)

    def evaluation_page(s: Sheet) -> None:
        from citymgr_desktop.core.stats import evaluation_total

        y = _heading(s, TOP, tr("Evaluation of the disposal units") + f" · {month_text}")
        cols = [Column(tr("Disposal unit"), 44), Column(tr("Due"), 15, AR),
                Column(tr("Closed on time"), 20, AR), Column(tr("Overdue"), 15, AR),
                Column(tr("Closed"), 15, AR), Column(tr("Rework"), 15, AR),
                Column(tr("On-time rate"), 21, AR), Column(tr("Closure rate"), 20, AR),
                Column(tr("Rework rate"), 20, AR)]
        rows = [*dash.evaluation, evaluation_total(dash.evaluation)]
        cells = [[assignee_name(r.assignee, lang) if k < len(rows) - 1 else tr("Total"),
                  str(r.due), str(r.on_time), str(r.overdue), str(r.closed), str(r.rework),
                  percent(r.on_time_rate), percent(r.closure_rate), percent(r.rework_rate)]
                 for k, r in enumerate(rows)]
        y = s.table(X0, y, cols, cells, size=8.5, row_h=7)
        s.text(X0, y + 2, W, 14, tr("Due: dispatched, not cancelled, deadline in the period "
                                    "and passed or met early. "
                                    "On time: resolved by the deadline and still resolved, "
                                    "checked or closed. Rework: sent back for rework."),
               7.5, color="#555555", wrap=True)
        _chart(s, lambda f: charts.evaluation_chart(f, dash.evaluation, lang),
               X0, y + 18, W, 90)
    pages.append(evaluation_page)

    if data is not None:
        def map_page(s: Sheet) -> None:
            from citymgr_desktop.render.hotspots import draw_hotspot_map, legend

            y = _heading(s, TOP, f"{tr('Hot spots')} · {tr('at the time of making')}")
            x0, y0, x1, y1 = data.extent()
            totals = {"open_cases": tr("{n} open cases in all; a case with assets in "
                                       "several cells counts in each"),
                      "poor_assets": tr("total") + " {n}"}
            for kind, caption in (("open_cases", tr("Open cases per cell")),
                                  ("poor_assets", tr("Assets in condition 4-5 per cell"))):
                grid = figs.hotspots[kind]
                total = totals[kind].format(n=f"{grid.total:,}")
                cell = f"{grid.size:,.0f} m × {grid.size:,.0f} m"
                note = joined([cell, total], "; ", "；").render(lang)
                s.text(X0, y, W, 6, words(caption, bracketed(note, lang)), 9.5, bold=True)
                pad = grid.size * 0.6  # whole cells at the edges
                extent = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
                frame = s.rect(X0, y + 7, W - 32, 112)
                draw_hotspot_map(s.painter, data, grid, extent, frame, dpi=s.dpi, lang=lang)
                s.box(X0, y + 7, W - 32, 112, width=0.3)
                ly = y + 9
                for label, colour in legend(grid):
                    s.box(X0 + W - 29, ly, 5, 4, fill=colour, width=0.1)
                    s.text(X0 + W - 22.5, ly - 0.5, 22, 5, label, 7.5)
                    ly += 5.5
                y += 124
        pages.append(map_page)

    overdue = figs.overdue
    listed = overdue[:MAX_OVERDUE_ROWS]  # the oldest; the rest are counted, not listed
    chunks = [listed[i:i + ROWS_PER_PAGE] for i in range(0, len(listed), ROWS_PER_PAGE)]
    for k, chunk in enumerate(chunks or [[]]):
        def overdue_page(s: Sheet, chunk: list[dict[str, Any]] = chunk, k: int = k) -> None:
            head = words(tr("Overdue work orders"), bracketed(len(overdue), lang),
                         tr("(continued)") if k else None)
            y = _heading(s, TOP, head)
            if not overdue:
                s.text(X0, y, W, 8, tr("No work order is overdue."), 10)
                return
            cols = [Column(tr("Case No."), 26), Column(tr("Title"), 40),
                    Column(tr("Class"), 18), Column(tr("Disposal unit"), 38),
                    Column(tr("State"), 16), Column(tr("Deadline"), 28),
                    Column(tr("Days over"), 20, AR)]
            cut = figs.month.cutoff_utc(made)
            rows = [[o["case_no"], o["title"] or "", layer_name(o["asset_class"], lang)
                     if o.get("asset_class") else "—", assignee_name(o["assignee"], lang),
                     state_name(o["state"], lang), format_local(o["deadline"]),
                     _days_over(o["deadline"], cut)] for o in chunk]
            y = s.table(X0, y, cols, rows, size=7.5, row_h=6.2)
            if k == len(chunks) - 1 and len(overdue) > len(listed):
                s.text(X0, y + 2, W, 6, tr("… and %1 more (citymgr workorders list --overdue)")
                       .replace("%1", f"{len(overdue) - len(listed):,}"), 8, color="#555555")
        pages.append(overdue_page)
    return pages


def _days_over(deadline: str | None, cutoff: str) -> str:
    from citymgr_desktop.core.clock import parse_iso

    d, c = parse_iso(deadline), parse_iso(cutoff)
    if d is None or c is None:
        return "—"
    return f"{(c - d).total_seconds() / 86400:.1f}"


def export_monthly_report(store: Store, month: str, path: str | os.PathLike[str], *,
                          lang: str = "zh_CN", data: MapData | None = None,
                          now: dt.datetime | None = None, author: str = "",
                          with_map: bool = True, progress: Progress | None = None
                          ) -> dict[str, Any]:
    """Write the report of ``month`` (``YYYY-MM``) to ``path`` (.pdf); ``data`` is the map
    when the caller has it loaded (else it is loaded here, unless ``with_map`` is False).
    Returns {"out", "pages", "overdue"}."""
    lang = normalise_lang(lang)
    out = Path(path)
    if out.suffix.lower() != ".pdf":
        raise BadFileError("{path}: the report is a PDF; give a .pdf name", path=str(out))
    prog = ensure(progress)
    ensure_gui_application()
    prog.update(0, 10, msg("figures"))
    figs = monthly_figures(store, month, now=now)
    if data is None and with_map:
        prog.update(1, 10, msg("map"))
        from citymgr_desktop.render import load_map

        data = load_map(store)
    tr = translator(lang)
    made = now or utcnow()
    # a file by its name; a database by its printable name (no password)
    source = str(store.path) if store.is_database else store.path.name
    pages = build_pages(figs, lang, data, title=tr("City management assets: monthly report"),
                        author=author, source=source, made=made)
    with atomic_path(out, verify=verify.pdf(len(pages))) as tmp:
        writer = pdf_writer(tmp, "A4", "portrait", title=f"{tr('Monthly report')} {month}")
        painter = QPainter(writer)
        try:
            sheet = Sheet(painter, PDF_RESOLUTION)
            for i, draw in enumerate(pages):
                prog.update(2 + i * 8 // len(pages), 10, msg("page {page}", page=i + 1))
                if i:
                    writer.newPage()
                draw(sheet)
                sheet.text(X0, BOTTOM + 4, W / 2, 5, f"{tr('Monthly report')} {month}", 7.5,
                           color="#777777")
                sheet.text(X0 + W / 2, BOTTOM + 4, W / 2, 5,
                           tr("Page %1 of %2").replace("%1", str(i + 1))
                           .replace("%2", str(len(pages))), 7.5, align=AR, color="#777777")
        finally:
            finished = painter.end()
        if not finished:  # Qt's PDF writer does not report a full disk otherwise
            raise Incomplete("the PDF writer could not finish")
        fix_pdf_tounicode(tmp)
    prog.update(10, 10, msg("done"))
    return {"out": out, "pages": len(pages), "overdue": len(figs.overdue)}


__all__ = ["AC", "QRectF", "export_monthly_report"]
