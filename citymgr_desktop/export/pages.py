"""Paper and page set-up shared by the PDF and PNG exports (print layouts, atlas, work orders).

ISO 216 A-series sizes, a ``QPdfWriter`` with no printer margins (the layout draws its own), and
a white ``QImage`` page whose dots-per-metre match the DPI so point-sized fonts come out at the
same physical size as in the PDF. Layout code works in millimetres and converts with
:func:`mm_to_px`.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPdfWriter

from citymgr_desktop.core.errors import ValidationError

MM_PER_INCH = 25.4
# ISO 216 A series, portrait (width, height) in millimetres.
ISO_216_MM: dict[str, tuple[int, int]] = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
}
ORIENTATIONS = ("portrait", "landscape")
PDF_RESOLUTION = 1200  # device units per inch in our PDFs: 0.02 mm, far below what prints
MAX_PNG_PIXELS = 400_000_000  # about 1.6 GB of ARGB: refuse before Qt fails to allocate

_PAGE_IDS = {
    "A0": QPageSize.PageSizeId.A0,
    "A1": QPageSize.PageSizeId.A1,
    "A2": QPageSize.PageSizeId.A2,
    "A3": QPageSize.PageSizeId.A3,
    "A4": QPageSize.PageSizeId.A4,
}


def normalise_paper(paper: str) -> str:
    """``"a3"`` -> ``"A3"``; anything outside A0-A4 is a ValidationError naming the choices."""
    key = (paper or "").strip().upper()
    if key not in ISO_216_MM:
        raise ValidationError("paper must be one of {papers}, got {paper!r}",
                              papers=', '.join(ISO_216_MM), paper=paper)
    return key


def normalise_orientation(orientation: str) -> str:
    key = (orientation or "").strip().lower()
    if key not in ORIENTATIONS:
        raise ValidationError(
            "orientation must be portrait or landscape, got {orientation!r}",
            orientation=orientation)
    return key


def paper_size_mm(paper: str, orientation: str = "portrait") -> tuple[float, float]:
    """(width, height) of the sheet in millimetres."""
    w, h = ISO_216_MM[normalise_paper(paper)]
    return (float(h), float(w)) if normalise_orientation(orientation) == "landscape" else (
        float(w), float(h))


def mm_to_px(mm: float, dpi: float) -> float:
    return mm * dpi / MM_PER_INCH


def pdf_writer(path: str | os.PathLike[str], paper: str, orientation: str, *,
               title: str = "", creator: str = "citymgr-desktop", author: str = "",
               resolution: int = PDF_RESOLUTION) -> QPdfWriter:
    """A QPdfWriter on an ISO sheet with zero margins; device units are ``resolution`` dpi;
    ``title`` and ``author`` go into the PDF's document information."""
    writer = QPdfWriter(os.fspath(path))
    writer.setPageSize(QPageSize(_PAGE_IDS[normalise_paper(paper)]))
    writer.setPageOrientation(
        QPageLayout.Orientation.Landscape if normalise_orientation(orientation) == "landscape"
        else QPageLayout.Orientation.Portrait)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    writer.setResolution(resolution)
    writer.setTitle(title)
    writer.setCreator(creator)
    if author:
        writer.setAuthor(author)
    return writer


def png_page(paper: str, orientation: str, dpi: float) -> QImage:
    """A white page image of the sheet at ``dpi`` (refuses sizes that cannot be allocated)."""
    if not 10 <= dpi <= 1200:
        raise ValidationError("dpi must be between 10 and 1200, got {dpi:g}", dpi=dpi)
    w_mm, h_mm = paper_size_mm(paper, orientation)
    w, h = round(mm_to_px(w_mm, dpi)), round(mm_to_px(h_mm, dpi))
    if w * h > MAX_PNG_PIXELS:
        raise ValidationError(
            "{paper} at {dpi:g} dpi is {w} x {h} pixels, too large for a PNG; lower the dpi (at "
            "most {max_dpi}) or export a PDF",
            paper=normalise_paper(paper), dpi=dpi, w=w, h=h,
            max_dpi=int(dpi * (MAX_PNG_PIXELS / (w * h)) ** 0.5))
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    if image.isNull():
        raise ValidationError("not enough memory for a {w} x {h} pixel image; lower the dpi",
                              w=w, h=h)
    dpm = round(dpi / MM_PER_INCH * 1000)
    image.setDotsPerMeterX(dpm)
    image.setDotsPerMeterY(dpm)
    image.fill(QColor("white"))
    return image
