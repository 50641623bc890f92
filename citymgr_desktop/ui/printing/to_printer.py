"""Printing a maintenance map straight to a printer: the system's print dialog (QPrintDialog)
chooses the printer and copies; the sheet is laid out on the chosen paper at the printer's
own resolution with the same code that writes the PDF (``export.print_map.layout``), so a
printed 1:1000 map is 1:1000 on paper."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMarginsF, QSizeF, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.export.pages import ISO_216_MM
from citymgr_desktop.export.print_map.layout import PrintSettings, paint_page
from citymgr_desktop.export.print_map.map_frame import MapSource


def printer_for(settings: PrintSettings) -> QPrinter:
    """A printer set up for the sheet: its paper, orientation, the whole sheet as the page."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    w, h = ISO_216_MM[settings.paper]
    printer.setPageSize(QPageSize(QSizeF(w, h), QPageSize.Unit.Millimeter, settings.paper))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape
                               if settings.orientation == "landscape"
                               else QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)  # the layout keeps its own margins
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    printer.setDocName(settings.title or "citymgr map")
    return printer


def print_sheets(parent: QWidget, source: MapSource, settings: PrintSettings,
                 plans: Callable[[MapSource, PrintSettings], list]) -> int:
    """Ask for a printer; print the sheets ``plans`` gives; returns the pages printed
    (0 when the person cancelled)."""
    printer = printer_for(settings)
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName("printDialog")
    dialog.setWindowTitle(parent.tr("Print map"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return 0
    chosen = plans(source, settings)
    if not chosen:
        raise NotFoundError("Nothing to print: no page has assets")
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    painter = QPainter(printer)
    try:
        for i, plan in enumerate(chosen):
            if i:
                printer.newPage()
            paint_page(painter, float(printer.resolution()), source, plan)
    finally:
        painter.end()
        QApplication.restoreOverrideCursor()
    return len(chosen)
