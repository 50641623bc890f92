"""A print layout: one map sheet at a true scale, painted on any QPainter device.

:class:`PrintSettings` says what to print (paper, scale or fit, area, elements, words);
:func:`plan_page` turns it into a :class:`PagePlan` (sheet geometry, exact ground extent of
the map frame, grid, scale bar, north angle) without touching Qt; :func:`paint_page` draws the
sheet: title, the map through the shared renderer (:mod:`layout_map`), grid, neatlines, north
arrow, scale bar, legend of exactly the categories drawn, overview inset and footer.
:func:`export_map` writes one sheet to a vector PDF (text stays text) or a PNG at a DPI;
:mod:`atlas` repeats the sheet per sub-district, grid cell or work order.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor, QImage, QPainter

from citymgr_desktop.core.clock import office_today
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model.crs_names import crs_label
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.export import pages
from citymgr_desktop.export.print_map import furniture as lf
from citymgr_desktop.export.print_map import geometry as lg
from citymgr_desktop.export.print_map.areas import district_bbox, full_extent
from citymgr_desktop.export.print_map.codes import (
    CODES_UP_TO_SCALE,
    POOR,
    CodesDrawn,
    assets_needing_work,
    codes_fit_scale,
    draw_codes,
)
from citymgr_desktop.export.print_map.map_frame import MapSource, Shown, legend_rows
from citymgr_desktop.export.print_map.text import normalise_lang, translator

NORTH_MODES = ("true", "grid")


@dataclass(frozen=True)
class PrintSettings:
    """What to print. ``scale`` None = fit the area and round to a nice scale."""

    paper: str = "A3"
    orientation: str = "landscape"
    margins_mm: float = 10.0
    title: str = ""
    subtitle: str = ""
    scale: int | None = None
    bbox: lg.Bbox | None = None  # area to show (fit) or to centre on (with a scale)
    district: str | None = None  # or frame one sub-district
    layers: tuple[str, ...] | None = None  # visible layers, None = every asset layer
    elements: lg.Elements = field(default_factory=lg.Elements)
    lang: str = "zh_CN"
    author: str = ""
    source: str = ""  # default: the file name
    date: str = ""  # default: today
    dpi: int = 300  # PNG only; the PDF is vector
    north: str = "true"  # arrow to true north (meridian convergence) or grid north
    labels: bool = True  # road names on the map
    codes: bool = True  # the object codes of the assets in condition 4-5 (codes.py)

    def validated(self) -> PrintSettings:
        """A copy with normalised names; ValidationError names the bad field and choices."""
        if self.scale is not None:
            lg.check_scale(self.scale)
        if self.north not in NORTH_MODES:
            raise ValidationError("north must be 'true' or 'grid', got {north!r}",
                                  north=self.north)
        if self.bbox is not None:
            x0, y0, x1, y1 = self.bbox
            if not (x1 > x0 and y1 > y0):
                raise ValidationError(
                    "bbox must be minx,miny,maxx,maxy with max > min, got {bbox}", bbox=self.bbox)
        if not 30 <= self.dpi <= 1200:
            raise ValidationError("dpi must be between 30 and 1200, got {dpi}", dpi=self.dpi)
        return dataclasses.replace(
            self, paper=pages.normalise_paper(self.paper),
            orientation=pages.normalise_orientation(self.orientation),
            lang=normalise_lang(self.lang),
            scale=None if self.scale is None else lg.check_scale(self.scale))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["bbox"] = list(self.bbox) if self.bbox else None
        d["layers"] = list(self.layers) if self.layers is not None else None
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrintSettings:
        """Settings from :meth:`to_dict` output; unknown keys are ignored (older versions)."""
        known = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        if isinstance(kw.get("elements"), dict):
            ek = {f.name for f in dataclasses.fields(lg.Elements)}
            kw["elements"] = lg.Elements(**{k: bool(v) for k, v in kw["elements"].items()
                                            if k in ek})
        if kw.get("bbox") is not None:
            kw["bbox"] = tuple(float(v) for v in kw["bbox"])
        if kw.get("layers") is not None:
            kw["layers"] = tuple(kw["layers"])
        return cls(**kw)


@dataclass(frozen=True)
class PagePlan:
    """Everything about one sheet that is known before painting."""

    settings: PrintSettings
    geometry: lg.PageGeometry
    scale: int
    extent: lg.Bbox  # ground extent of the map frame, exactly frame size x scale
    district_extent: lg.Bbox  # for the overview
    grid_interval: float
    scale_bar: lg.ScaleBar
    north_angle: float
    title: str
    subtitle: str
    highlight: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page_label: str = ""  # "Page 3 of 50" in an atlas
    # the 街道 the sheet is of: its assets get codes and are drawn over their paler
    # neighbours (None: every asset in the frame alike)
    codes_of: str | None = None


@dataclass(frozen=True)
class PageReport:
    """What a painted sheet shows (for tests, previews and the CLI summary)."""

    plan: PagePlan
    shown: Shown  # layer -> condition values drawn in the frame
    codes: CodesDrawn | None = None  # the codes written (None: not asked for)


def resolve_area(source: MapSource, settings: PrintSettings) -> lg.Bbox:
    """The area a single sheet shows: the bbox, the sub-district, else the whole district."""
    if settings.bbox is not None:
        return settings.bbox
    if settings.district:
        return district_bbox(source.store, settings.district, source.layers)
    return full_extent(source.store, source.layers)


def plan_page(source: MapSource, settings: PrintSettings, area: lg.Bbox, *,
              title: str | None = None, subtitle: str | None = None,
              highlight: dict[str, tuple[str, ...]] | None = None,
              page_label: str = "", district_extent: lg.Bbox | None = None,
              codes_of: str | None = None) -> PagePlan:
    """Fix the frame, scale and ground extent for a sheet showing ``area``; ``codes_of``:
    the sub-district whose assets get codes (default: the settings' sub-district)."""
    s = settings
    geom = lg.page_geometry(s.paper, s.orientation, s.margins_mm, s.elements)
    scale = s.scale if s.scale is not None else lg.fit_scale(area, geom.map)
    district_extent = district_extent or full_extent(source.store, source.layers)
    # a 街道, grid cell or work order at the district's edge: the frame's slack shows the
    # district, not the void beyond it; a box the user drew (the current view) stays centred
    within = None if area == s.bbox else district_extent
    extent = lg.place_extent(area, scale, geom.map, within)
    cx, cy = lg.bbox_center(extent)
    angle = lg.true_north_angle(source.crs, cx, cy) if s.north == "true" else 0.0
    tr = translator(s.lang)
    bar_box = geom.boxes.get("scale_bar")
    bar_len = min(bar_box.w * 0.8, 60.0 * geom.text_scale) if bar_box else 50.0
    return PagePlan(
        settings=s, geometry=geom, scale=scale, extent=extent,
        district_extent=district_extent,
        grid_interval=lg.grid_interval(scale, 40.0 * geom.text_scale),
        scale_bar=lg.scale_bar(scale, bar_len),
        north_angle=angle,
        title=title if title is not None else (s.title or tr("Maintenance map")),
        subtitle=subtitle if subtitle is not None else (
            s.subtitle or (tr("Sub-district: %1").replace("%1", s.district) if s.district
                           else "")),
        highlight=dict(highlight or {}), page_label=page_label,
        codes_of=codes_of or s.district)


def footer_text(source: MapSource, plan: PagePlan) -> str:
    s, tr = plan.settings, translator(plan.settings.lang)
    parts = [tr("Date: %1").replace("%1", s.date or office_today().isoformat())]
    if s.author:
        parts.append(tr("Author: %1").replace("%1", s.author))
    parts.append(tr("CRS: %1").replace("%1", crs_label(source.crs, s.lang)))
    store = source.store
    parts.append(tr("Source: %1").replace("%1", s.source or (
        str(store.path) if store.is_database else store.path.name)))
    if s.elements.grid:
        parts.append(tr("Grid: %1 m").replace("%1", f"{plan.grid_interval:g}"))
    if source.backdrop is not None and source.backdrop.problems:
        parts.append(tr("Base map missing: %1").replace(
            "%1", ", ".join(source.backdrop.missing())))
    return "   ".join(parts)


def paint_page(painter: QPainter, dpi: float, source: MapSource, plan: PagePlan) -> PageReport:
    """Draw one sheet on ``painter`` whose device has ``dpi`` device units per inch."""
    s, g = plan.settings, plan.geometry
    tr = translator(s.lang)
    sheet = lf.Sheet(painter, dpi, g.text_scale)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    if g.title is not None:
        lf.draw_title(sheet, g.title, plan.title, plan.subtitle)
    painter.save()
    painter.setClipRect(sheet.rect(g.map))
    painter.fillRect(sheet.rect(g.map), QColor("white"))
    shown = source.draw_map(painter, sheet.rect(g.map), plan.extent, dpi, plan.highlight,
                            labels=s.labels, district=plan.codes_of)
    codes = None
    if s.codes and not codes_fit_scale(plan.scale):
        codes = CodesDrawn(0, 0, scale_too_small=True)
    elif s.codes:
        codes = draw_codes(painter, sheet.rect(g.map), plan.extent,
                           assets_needing_work(source.data, source.store, plan.extent,
                                               plan.codes_of), dpi, g.text_scale)
    painter.restore()
    if s.elements.grid:
        lf.draw_grid(sheet, g.map, plan.extent, plan.grid_interval, g.grid_band)
    lf.draw_neatlines(sheet, g.map, g.grid_band)
    box = g.boxes
    if "north_arrow" in box:
        lf.draw_north_arrow(sheet, box["north_arrow"], plan.north_angle, tr("N|north arrow"))
    if "scale_bar" in box:
        unit = tr("km|scale bar unit") if plan.scale_bar.unit == "km" else tr("m|scale bar unit")
        lf.draw_scale_bar(sheet, box["scale_bar"], plan.scale_bar,
                          tr("Scale 1:%1").replace("%1", str(plan.scale)), unit)
    if "legend" in box:
        rows = legend_rows(source, shown, plan.highlight, s.lang, dpi)
        if not rows:
            rows = [lf.LegendRow(tr("No assets in this area"))]
        elif codes is not None and codes.placed:
            rows.append(lf.LegendRow(tr("Red codes: assets in condition 4-5")
                                     if not plan.codes_of
                                     else tr("Red codes: assets of %1 in condition 4-5")
                                     .replace("%1", plan.codes_of)))
            if codes.left_out:
                rows.append(lf.LegendRow(tr("(%1 more without room for a code)").replace(
                    "%1", str(codes.left_out))))
        elif codes is not None and codes.scale_too_small and any(
                c is not None and c >= POOR for cats in shown.values() for c in cats):
            rows.append(lf.LegendRow(tr("Codes of assets in condition 4-5: on sheets of "
                                        "1:%1 and larger").replace(
                                            "%1", f"{CODES_UP_TO_SCALE:,}")))
        if plan.codes_of and shown:
            rows.append(lf.LegendRow(tr("Paler: assets of other sub-districts")))
        lf.draw_legend(sheet, box["legend"], tr("Legend"), rows)
    if "overview" in box:
        lf.draw_overview(sheet, box["overview"], tr("Overview"), plan.district_extent,
                         plan.extent, lambda target, ext: source.draw_overview(
                             painter, target, ext, dpi))
    if g.footer is not None:
        lf.draw_footer(sheet, g.footer, footer_text(source, plan), plan.page_label)
    return PageReport(plan, shown, codes)


def render_image(source: MapSource, plan: PagePlan, dpi: float) -> tuple[QImage, PageReport]:
    """The sheet as an image at ``dpi`` (PNG export, dialog preview)."""
    s = plan.settings
    image = pages.png_page(s.paper, s.orientation, dpi)
    painter = QPainter(image)
    try:
        report = paint_page(painter, dpi, source, plan)
    finally:
        painter.end()
    return image, report


def export_map(source: MapSource, settings: PrintSettings, out: str | os.PathLike[str],
               progress: Progress | None = None) -> PageReport:
    """Write one sheet to ``out`` (.pdf: vector; .png: raster at ``settings.dpi``)."""
    from citymgr_desktop.core.atomic import Incomplete, atomic_path, check_file_name
    from citymgr_desktop.export import verify
    from citymgr_desktop.export.fonts import fix_pdf_tounicode

    prog = ensure(progress)
    s = settings.validated()
    target = Path(out)
    check_file_name(target)
    suffix = target.suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise ValidationError("output must end in .pdf or .png, got {target!r}",
                              target=target.name)
    prog.update(0, 3, msg("planning"))
    plan = plan_page(source, s, resolve_area(source, s))
    prog.update(1, 3, msg("drawing"))
    check = verify.image("PNG") if suffix == ".png" else verify.pdf(1)
    with atomic_path(target, verify=check) as tmp:
        if suffix == ".png":
            image, report = render_image(source, plan, s.dpi)
            prog.check()
            verify.save_image(image, tmp, "PNG")
        else:
            writer = pages.pdf_writer(tmp, s.paper, s.orientation, title=plan.title,
                                      author=s.author)
            painter = QPainter(writer)
            try:
                report = paint_page(painter, pages.PDF_RESOLUTION, source, plan)
            finally:
                finished = painter.end()
            if not finished:
                raise Incomplete("the PDF writer could not finish")
            prog.check()
            fix_pdf_tounicode(tmp)
    prog.update(3, 3, msg("done"))
    return report


def preview_dpi(settings: PrintSettings, max_px: int) -> float:
    """The DPI at which the sheet's longer side is ``max_px`` pixels."""
    w, h = pages.paper_size_mm(settings.paper, settings.orientation)
    return max(10.0, min(300.0, max_px / (max(w, h) / pages.MM_PER_INCH)))
