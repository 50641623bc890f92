"""Work orders to PDF, one order per page (more pages when its tables need them), in a batch.

Each order: a header with case number, class, priority, deadline and state; the title and
description; a map extract at a round true scale with the order's assets highlighted and
numbered (drawn by the canvas's renderer, see ``workorder_map``); the asset table; when
asked, the latest photo of each asset (``pdf_photos``); the last
maintenance records of each asset; the moves (who, when, why); a box for the work done and
signature and date boxes for the crew and the checker. Tables break across pages with their
header repeated; every page has a footer with "page i of n" of its order.

Text is drawn as text in a Chinese-capable font (searchable, copyable); the ToUnicode maps
are repaired so Chinese extracts correctly (``fonts.fix_pdf_tounicode``). Written under a
temporary name and renamed; progress per order, cancel between orders.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter

from citymgr_desktop.core.atomic import Incomplete, atomic_path
from citymgr_desktop.core.clock import format_local, to_local, utcnow
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.messages import bracketed, msg, words
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.workorders.notes import note_text
from citymgr_desktop.core.workorders.orders import is_overdue
from citymgr_desktop.core.workorders.query import ReportOrder
from citymgr_desktop.export import verify
from citymgr_desktop.export.fonts import ensure_gui_application, fix_pdf_tounicode
from citymgr_desktop.export.pages import PDF_RESOLUTION, pdf_writer
from citymgr_desktop.export.workorders import map_extract as workorder_map
from citymgr_desktop.export.workorders.pdf_layout import Column, Flow, Sheet, table
from citymgr_desktop.export.workorders.pdf_photos import PhotoSource, photo_block
from citymgr_desktop.export.workorders.pdf_text import T, coded
from citymgr_desktop.export.workorders.rows import order_districts

PAGE_W, PAGE_H = 210.0, 297.0
X0, W = 12.0, 186.0
TOP, BOTTOM = 12.0, 284.0
CONT_TOP = 22.0
MAX_EVENTS = 8
MAP_H = 80.0
AC = Qt.AlignmentFlag.AlignCenter
AR = Qt.AlignmentFlag.AlignRight


def _district(rep: ReportOrder, lang: str) -> str:
    """The order's 街道: the one its assets share, "several" only when they name more than
    one, "not recorded" when none of them has one (a bin imported from a CSV)."""
    t = T(lang)
    named = order_districts(rep)
    if len(named) > 1:
        return t("several")
    return named[0] if named else t("not recorded")


def _header(flow: Flow, rep: ReportOrder, lang: str, now: dt.datetime) -> None:
    o = rep.order
    t = T(lang)

    def title(s: Sheet, y: float) -> None:
        s.text(X0, y, 110, 9, t("City management work order"), 15, bold=True)
        s.text(X0 + 80, y + 0.8, W - 80, 9, f"{t('Case No.')} {o['case_no']}", 13, bold=True,
               align=AR)
        s.line(X0, y + 10, X0 + W, y + 10, 0.6, QColor("#000000"))

    flow.place(12, title)
    overdue = is_overdue(o, now)
    # the overdue mark rides on the small label line: the date fills the value line
    deadline_label = words(t("Deadline"), t("(overdue)") if overdue else None)
    cells = [
        (t("Class"), coded("asset_class", o.get("asset_class"), lang) or t("mixed")),
        (t("Priority"), coded("work_order_priority", o.get("priority"), lang)),
        (deadline_label, format_local(o.get("deadline"))),
        (t("State"), coded("work_order_state", o.get("state"), lang)),
        (t("Source"), coded("work_order_source", o.get("source"), lang)),
        (t("Disposal unit"), o.get("assignee") or ""),
        (t("Sub-district"), _district(rep, lang)),
        (t("Reported"), format_local(o.get("reported_at"))),
    ]
    cw, ch = W / 4, 11.0

    def grid(s: Sheet, y: float) -> None:
        for i, (label, value) in enumerate(cells):
            cx, cy = X0 + (i % 4) * cw, y + (i // 4) * ch
            s.box(cx, cy, cw, ch)
            red = "#c0392b" if (i == 2 and overdue) else "#000000"
            s.text(cx + 1.5, cy + 0.8, cw - 3, 4, label, 7,
                   color=red if red != "#000000" else "#555555", bold=red != "#000000")
            s.text(cx + 1.5, cy + 4.6, cw - 3, 6, str(value or ""), 9.5, bold=i in (1, 3),
                   color=red, wrap=False)

    flow.place(2 * ch + 3, grid)
    heading = f"{t('Title')}：{o['title']}"
    h1 = flow.sheet.text_height(heading, W, 11, True) + 1
    flow.place(h1, lambda s, y: s.text(X0, y, W, h1, heading, 11, bold=True))
    desc = o.get("description") or ""
    if desc:
        h2 = flow.sheet.text_height(desc, W, 9) + 1.5
        flow.place(h2, lambda s, y: s.text(X0, y, W, h2, desc, 9))
    flow.gap(1.5)


def _continued(rep: ReportOrder, lang: str):
    t = T(lang)

    def hook(flow: Flow) -> None:
        text = words(t("Case No."), rep.case_no, "·", rep.order["title"], t("(continued)"))
        flow.pages[-1].append(lambda s: (s.text(X0, TOP, W, 7, text, 10, bold=True,
                                                wrap=False),
                                         s.line(X0, TOP + 7.5, X0 + W, TOP + 7.5, 0.4)))
    return hook


def _assets_table(flow: Flow, rep: ReportOrder, lang: str) -> None:
    t = T(lang)
    # a 16-digit object code and a 14-digit grid code must fit one line at 8 pt
    cols = [Column("n", t("No."), 9, AC), Column("cls", t("Class"), 16),
            Column("code", t("Object code"), 33), Column("name", t("Name"), 37),
            Column("district", t("Sub-district"), 24), Column("bgid", t("Grid"), 30),
            Column("cond", t("Condition"), 17, AC), Column("last", t("Last record"), 20, AC)]
    rows = []
    for i, a in enumerate(rep.assets, start=1):
        v = a.values
        last = a.records[0]["record_date"] if a.records else ""
        rows.append({"n": i, "cls": coded("asset_class", a.asset_class, lang),
                     "code": v.get("obj_code"), "name": v.get("name"),
                     "district": v.get("district"), "bgid": v.get("bgid"),
                     "cond": coded("condition_grade", v.get("condition"), lang),
                     "last": last})
    table(flow, X0, cols, rows, title=words(t("Assets"), bracketed(len(rows), lang)), shade=lambda i: i % 2 == 1)


def _history_table(flow: Flow, rep: ReportOrder, lang: str, keep: float = 0.0) -> None:
    t = T(lang)
    cols = [Column("asset", t("Asset"), 36), Column("date", t("Date"), 20, AC),
            Column("type", t("Type"), 18, AC), Column("crew", t("Crew"), 22),
            Column("obs", t("Observation"), 36), Column("done", t("Work done"), 36),
            Column("after", t("Condition after"), 18, AC)]
    rows, group = [], []
    for i, a in enumerate(rep.assets, start=1):
        for r in a.records:
            rows.append({"asset": f"{i}. {a.values.get('name') or a.values.get('obj_code') or ''}",
                         "date": r.get("record_date"),
                         "type": coded("record_type", r.get("record_type"), lang),
                         "crew": r.get("crew"), "obs": r.get("observation"),
                         "done": r.get("work_done"),
                         "after": coded("condition_grade", r.get("condition_after"), lang)})
            group.append(i)
    if not rows:
        text = t("Recent maintenance: no records for these assets.")
        flow.ensure(7 + keep)
        flow.place(7, lambda s, y: s.text(X0, y + 1, W, 6, text, 9, color="#555555"))
        return
    table(flow, X0, cols, rows, title=t("Recent maintenance (last records of each asset)"),
          shade=lambda k: group[k] % 2 == 0, keep_with_next=keep)


def _events_table(flow: Flow, rep: ReportOrder, lang: str, keep: float = 0.0) -> None:
    t = T(lang)
    cols = [Column("at", t("When"), 30, AC), Column("from", t("From"), 22, AC),
            Column("to", t("To"), 22, AC), Column("by", t("Who"), 30),
            Column("note", t("Why"), 82)]
    events = rep.events[-MAX_EVENTS:]
    rows = [{"at": format_local(e.get("at")),
             "from": coded("work_order_state", e.get("from_state"), lang) or "—",
             "to": coded("work_order_state", e.get("to_state"), lang),
             "by": e.get("by"), "note": note_text(e.get("note"), lang)} for e in events]
    title = t("Moves")
    if len(rep.events) > len(events):
        title = words(title, t("(last %1)").replace("%1", str(len(events))))
    if rows:
        table(flow, X0, cols, rows, size=7.5, title=title, keep_with_next=keep)


WORK_H, SIGN_H, SIGN_GAP = 13.0, 19.0, 2.0
SIGN_BLOCK_GAP = 2.5  # above the block
SIGN_BLOCK_H = SIGN_BLOCK_GAP + WORK_H + SIGN_GAP + SIGN_H  # kept with the last section's end
SECTION_GAP = 3.0


def _sign_boxes(flow: Flow, lang: str) -> None:
    t = T(lang)
    work_h, sign_h, gap = WORK_H, SIGN_H, SIGN_GAP
    bw = (W - 4) / 2

    def draw(s: Sheet, y: float) -> None:
        s.box(X0, y, W, work_h)
        s.text(X0 + 2, y + 1, W - 4, 5, t("Work done / remarks (filled in by the crew)"),
               7.5, color="#555555")
        by = y + work_h + gap
        for k, who in enumerate((t("Crew (signature)"), t("Checker (signature)"))):
            bx = X0 + k * (bw + 4)
            s.box(bx, by, bw, sign_h)
            s.text(bx + 2, by + 1.2, bw - 4, 5, who, 8.5, bold=True)
            s.line(bx + 3, by + 11.5, bx + bw * 0.55, by + 11.5, 0.2)
            s.text(bx + bw * 0.58, by + 7.5, bw * 0.42 - 2, 5,
                   f"{t('Date')}：    {t('year')}    {t('month')}    {t('day')}", 8.5,
                   wrap=False)

    flow.gap(SIGN_BLOCK_GAP)
    flow.place(work_h + gap + sign_h, draw)


def _footer(s: Sheet, rep: ReportOrder, page: int, pages: int, lang: str, stamp: str,
            source: str) -> None:
    t = T(lang)
    y = BOTTOM + 3.5
    s.line(X0, y, X0 + W, y, 0.2)
    s.text(X0, y + 1, 70, 5, f"{t('Case No.')} {rep.case_no}", 7.5, color="#444444",
           wrap=False)
    s.text(X0 + 60, y + 1, W - 120, 5,
           t("Page %1 of %2").replace("%1", str(page)).replace("%2", str(pages)), 7.5,
           align=AC, color="#444444", wrap=False)
    s.text(X0 + W - 80, y + 1, 80, 5, f"{source} · {stamp}", 7, align=AR, color="#444444",
           wrap=False)


def layout_order(sheet: Sheet, rep: ReportOrder, lang: str, maps: workorder_map.MapSource | None,
                 now: dt.datetime, photos: PhotoSource | None = None) -> list[list]:
    """Place one order's blocks on pages; returns the draw operations per page."""
    flow = Flow(sheet, TOP, BOTTOM, CONT_TOP)
    _header(flow, rep, lang, now)
    if maps is not None:
        extract = workorder_map.plan_extract(rep, W, MAP_H)
        flow.place(MAP_H + 6, lambda s, y: workorder_map.draw_extract(
            s, maps, rep, extract, X0, y, W, MAP_H, lang))
    flow.on_new_page = _continued(rep, lang)
    _assets_table(flow, rep, lang)
    flow.gap(3)
    if photos is not None:
        photo_block(flow, rep, photos, lang, X0, W)
        flow.gap(3)
    # the signature block never stands alone on a page: the last section's end goes with it
    has_moves = bool(rep.events)
    _history_table(flow, rep, lang, keep=0.0 if has_moves else SECTION_GAP + SIGN_BLOCK_H)
    flow.gap(SECTION_GAP)
    _events_table(flow, rep, lang, keep=SIGN_BLOCK_H)
    _sign_boxes(flow, lang)
    return flow.pages


def export_pdf(orders: Sequence[ReportOrder], path: str | os.PathLike[str], *,
               maps: workorder_map.MapSource | None = None, lang: str = "zh",
               source: str = "", photos: PhotoSource | None = None,
               progress: Progress | None = None) -> Path:
    """Write ``orders`` to one PDF at ``path``; returns the path. ``maps`` (from
    :func:`workorder_map.MapSource.open`) draws the extracts; None leaves them out.
    ``photos`` prints the latest photo of each asset under its table."""
    prog = ensure(progress)
    if not orders:
        raise BadFileError("no work orders to export (the filter matched none)")
    ensure_gui_application()
    now = utcnow()
    stamp = to_local(now).strftime("%Y-%m-%d %H:%M")
    with atomic_path(path, verify=verify.pdf()) as tmp:
        writer = pdf_writer(tmp, "A4", "portrait",
                            title=words(T(lang)("Work orders"), bracketed(len(orders), lang)))
        painter = QPainter()
        if not painter.begin(writer):
            raise BadFileError("{path}: cannot write a PDF there", path=path)
        try:
            sheet = Sheet(writer, PDF_RESOLUTION, painter)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            first = True
            for i, rep in enumerate(orders):
                prog.update(i, len(orders), rep.case_no)
                pages = layout_order(sheet, rep, lang, maps, now, photos)
                for n, ops in enumerate(pages, start=1):
                    if not first:
                        writer.newPage()
                    first = False
                    for op in ops:
                        op(sheet)
                    _footer(sheet, rep, n, len(pages), lang, stamp, source)
        finally:
            finished = painter.end()
        if not finished:
            raise Incomplete("the PDF writer could not finish")
        prog.check()
        fix_pdf_tounicode(tmp)
    prog.update(len(orders), len(orders), msg("saved"))
    return Path(path)
