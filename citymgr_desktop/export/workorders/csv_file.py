"""Work orders to CSV: UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens the
Chinese text correctly (without the BOM it guesses GBK and shows mojibake).

``rows="orders"`` (default) writes one row per order, as a 数字城管 case list has it and as
the XLSX's orders sheet (the same rows: 案件编号, 标题, 状态, 街道, 处置单位, 处置时限, …, the
assets' object codes in one cell); ``rows="assets"`` one row per order and asset, as the
XLSX's second sheet (the order's columns repeated). Written by the exports' one CSV writer
(``export/writers.py``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from citymgr_desktop.core.clock import zoned_heading
from citymgr_desktop.core.errors import ValidationError
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
from citymgr_desktop.export.writers import write_csv

ROW_KINDS = ("orders", "assets")


def export_csv(orders: Sequence[ReportOrder], path: str | os.PathLike[str], *,
               rows: str = "orders", lang: str = "zh", progress: Progress | None = None
               ) -> Path:
    """Write ``orders`` to ``path`` as CSV (UTF-8 with BOM, CRLF line ends as Excel writes)."""
    if rows not in ROW_KINDS:
        raise ValidationError("CSV rows must be one of {kinds}, got {rows!r}",
                              kinds=', '.join(ROW_KINDS), rows=rows)
    prog = ensure(progress)
    columns = ([c for c, _ in ASSET_COLUMNS] if rows == "assets"
               else [c for c, _, _ in ORDER_COLUMNS])
    records = [[zoned_heading(header(c, lang), lang) if c in TIME_COLUMNS else header(c, lang)
                for c in columns]]  # a CSV has no comment to say the times' zone
    for i, rep in enumerate(orders):
        prog.update(i, len(orders), rep.case_no)
        data = asset_rows(rep, lang) if rows == "assets" else [order_row(rep, lang)]
        records += [[r.get(c) for c in columns] for r in data]
    write_csv(records, path, progress=prog)
    prog.update(len(orders), len(orders), msg("saved"))
    return Path(path)
