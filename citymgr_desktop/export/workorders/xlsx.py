"""Work orders to an Excel workbook (openpyxl): one sheet of orders, one of order-asset rows.

Headings follow the language (Chinese by default), coded values are written as the words a
person reads, timestamps as Excel dates in office time (a comment on the heading says so);
the header row is frozen, bold and filtered. The file is written under a temporary name and
renamed, so a failed export leaves nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from citymgr_desktop.core.clock import office_zone
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.workorders.query import ReportOrder
from citymgr_desktop.export.workorders.rows import (
    ASSET_COLUMNS,
    ORDER_COLUMNS,
    TIME_COLUMNS,
    asset_rows,
    header,
    order_row,
)
from citymgr_desktop.export.writers import Sheet, write_xlsx

_WIDTHS = {"case_no": 15, "title": 28, "description": 40, "assignee": 22, "deadline": 17,
           "asset_uuid": 38, "work_order_uuid": 38, "obj_code": 19, "asset_codes": 36, "name": 24,
           "reported_at": 17, "dispatched_at": 17, "resolved_at": 17, "closed_at": 17}



def _zone_note(lang: str) -> str:
    zone = office_zone(lang)
    return zone[:1].upper() + zone[1:]  # a note of its own: "Office time (UTC+8)"


def _sheet(title: str, columns: list[str], rows: list[dict], lang: str) -> Sheet:
    zone = _zone_note(lang)  # the times are dates in office time: say which zone
    return Sheet(title, [header(c, lang) for c in columns],
                 [[row.get(c) for c in columns] for row in rows],
                 [_WIDTHS.get(c, 12) for c in columns],
                 note=lambda i: zone if columns[i] in TIME_COLUMNS else None)


def export_xlsx(orders: Sequence[ReportOrder], path: str | os.PathLike[str], *,
                lang: str = "zh", progress: Progress | None = None) -> Path:
    """Write ``orders`` to ``path`` (.xlsx); returns the path."""
    prog = ensure(progress)
    zh = lang.startswith("zh")
    order_rows, rows = [], []
    for i, rep in enumerate(orders):
        prog.update(i, len(orders), rep.case_no)
        order_rows.append(order_row(rep, lang))
        rows.extend(asset_rows(rep, lang))
    write_xlsx([_sheet("工单" if zh else "Work orders", [c for c, _, _ in ORDER_COLUMNS],
                       order_rows, lang),
                _sheet("工单资产" if zh else "Order assets", [c for c, _ in ASSET_COLUMNS],
                       rows, lang)],
               path, "工单导出" if zh else "Work orders", progress=prog)
    prog.update(len(orders), len(orders), msg("saved"))
    return Path(path)
