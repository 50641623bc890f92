"""Atlas: the print layout repeated, one page per sub-district (街道), grid cell (bgid) or work
order, each page framed on its feature, all in one PDF.

Pages share one ``QPdfWriter``; the overview inset is rendered once and reused, so Qt embeds
it once however many pages there are. Progress advances per page and Cancel stops between
pages, leaving no file behind (the PDF is written under a temporary name and renamed at the
end).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QPainter

from citymgr_desktop.core.atomic import Incomplete, atomic_path
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.export import pages, verify
from citymgr_desktop.export.fonts import fix_pdf_tounicode
from citymgr_desktop.export.print_map.areas import AtlasItem, atlas_items, full_extent
from citymgr_desktop.export.print_map.layout import PageReport, PrintSettings, paint_page, plan_page
from citymgr_desktop.export.print_map.map_frame import MapSource
from citymgr_desktop.export.print_map.text import translator


@dataclass(frozen=True)
class AtlasResult:
    path: Path
    kind: str
    reports: list[PageReport]

    @property
    def pages(self) -> int:
        return len(self.reports)


ATLAS_TITLES = {"district": "Atlas by sub-district", "grid": "Atlas by grid cell",
                "workorder": "Atlas by work order"}  # the PDF's title, after the sheet's


def page_subtitle(item: AtlasItem, lang: str) -> str:
    tr = translator(lang)
    if item.kind == "district":
        text = tr("Sub-district: %1").replace("%1", item.key)
    elif item.kind == "grid":
        text = tr("Grid cell: %1").replace("%1", item.key)
    else:
        text = tr("Work order %1").replace("%1", item.key)
        if item.label:
            text += f" · {item.label}"
    return text + " · " + tr("%1 asset(s)").replace("%1", str(item.count))


def export_atlas(source: MapSource, settings: PrintSettings, kind: str,
                 out: str | os.PathLike[str], progress: Progress | None = None, *,
                 district: str | None = None, cases: Sequence[str] | None = None,
                 open_only: bool = False, items: Sequence[AtlasItem] | None = None
                 ) -> AtlasResult:
    """Write an atlas of ``kind`` (district, grid, workorder) to the PDF ``out``.

    With ``settings.scale`` every page uses that scale centred on its feature; without, each
    page is fitted to its feature and rounded to a nice scale. ``items`` (from
    :func:`~layout_areas.atlas_items`, possibly filtered) replaces the page list.
    """
    prog = ensure(progress)
    s = settings.validated()
    target = Path(out)
    if target.suffix.lower() != ".pdf":
        raise ValidationError("an atlas is written to one PDF; give an output ending in .pdf, "
                              "not {target!r}", target=target.name)
    if items is None:
        items = atlas_items(source.store, kind, source.layers, district=district, cases=cases,
                            open_only=open_only)
    if not items:
        raise NotFoundError("nothing to print: no {kind} has assets on the visible layers",
                            kind=kind)
    n = len(items)
    prog.update(0, n, msg("planning"))
    tr = translator(s.lang)
    dext = full_extent(source.store, source.layers)
    plans = [plan_page(source, s, item.bbox, subtitle=page_subtitle(item, s.lang),
                       highlight=item.highlight, district_extent=dext,
                       codes_of=item.key if item.kind == "district" else district,
                       page_label=tr("Page %1 of %2").replace("%1", str(i + 1))
                       .replace("%2", str(n)))
             for i, item in enumerate(items)]
    reports: list[PageReport] = []
    with atomic_path(target, verify=verify.pdf(n)) as tmp:
        writer = pages.pdf_writer(tmp, s.paper, s.orientation,
                                  title=plans[0].title + " – " + tr(ATLAS_TITLES[kind]),
                                  author=s.author)
        painter = QPainter(writer)
        try:
            for i, plan in enumerate(plans):
                prog.update(i, n, items[i].key)
                if i:
                    writer.newPage()
                reports.append(paint_page(painter, pages.PDF_RESOLUTION, source, plan))
        finally:
            finished = painter.end()
        if not finished:
            raise Incomplete("the PDF writer could not finish")
        prog.check()
        fix_pdf_tounicode(tmp)
    prog.update(n, n, msg("done"))
    return AtlasResult(target, kind, reports)
