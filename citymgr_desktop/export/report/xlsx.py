"""Statistics tables to an Excel workbook (openpyxl): one sheet per figure, headings in the
chosen language, numbers as numbers and rates as percentages; written under a temporary
name and renamed (core/atomic.py), so a failed export leaves nothing."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.export import verify
from citymgr_desktop.export.report.tables import RATES, StatsTable, display_value, text_width
from citymgr_desktop.export.report.text import translator

_WORDS = {"layer", "district", "assignee", "state", "type"}


def export_tables_xlsx(tables: Sequence[StatsTable], path: str | os.PathLike[str], *,
                       lang: str = "zh_CN") -> Path:
    """Write each table to a sheet of ``path`` (.xlsx); returns the path."""
    tr = translator(lang)
    wb = Workbook()
    wb.remove(wb.active)
    for table in tables:
        ws = wb.create_sheet((table.title or table.figure)[:31])
        heads, _cells = table.display(lang)
        ws.append(heads)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE6F0")
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in table.rows:
            ws.append([display_value(c, row.get(c), lang) if c in _WORDS else row.get(c)
                       for c in table.columns])
        for i, c in enumerate(table.columns, start=1):
            letter = get_column_letter(i)
            width = max([text_width(heads[i - 1])] + [
                text_width(display_value(c, r.get(c), lang)) for r in table.rows[:200]])
            ws.column_dimensions[letter].width = min(max(width + 2, 8), 40)
            if c in RATES:
                for cell in ws[letter][1:]:
                    cell.number_format = "0.0%"
            elif c.endswith("cost"):
                for cell in ws[letter][1:]:
                    cell.number_format = "#,##0.00"
        ws.freeze_panes = "A2"
        if table.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    if not tables:
        wb.create_sheet(tr("Statistics"))
    wb.properties.title = tr("Statistics")
    wb.properties.creator = "citymgr-desktop"
    with atomic_path(path, verify=verify.xlsx(sheets=len(wb.worksheets))) as tmp:
        data = io.BytesIO()  # zipped in memory: a full disk fails one plain write
        wb.save(data)
        tmp.write_bytes(data.getvalue())
    return Path(path)
