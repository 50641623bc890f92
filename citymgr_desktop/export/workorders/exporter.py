"""One entry point for every work-order export, shared by the CLI and the app's worker:
load the chosen orders and write them as PDF, XLSX, CSV, GeoJSON or GeoPackage."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.workorders.query import load_report

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

FORMATS = ("pdf", "xlsx", "csv", "geojson", "gpkg")


def export_orders(store: Store, path: str | os.PathLike[str], fmt: str, *,
                  cases: Sequence[str] | None = None, states: Sequence[str] | None = None,
                  lang: str = "zh", with_map: bool = True, with_photos: bool = False,
                  csv_rows: str = "orders", progress: Progress | None = None,
                  pending: DeltaSet | None = None) -> dict[str, object]:
    """Write the orders chosen by ``cases``/``states`` (all when both are empty) to ``path``;
    returns a summary {out, format, orders, assets}. ``with_photos``: the PDF prints the
    latest photo of each asset. ``pending``: the app's unsaved edits, exported as if saved."""
    if fmt not in FORMATS:
        raise ValidationError("export format must be one of {formats}, got {fmt!r}",
                              formats=', '.join(FORMATS), fmt=fmt)
    prog = ensure(progress)
    store.require_asset_project()
    orders = load_report(store, list(cases) if cases else None, states=states, pending=pending)
    if not orders:
        raise ValidationError("no work order matches the chosen states/case numbers; "
                              "nothing was written")
    if fmt == "pdf":
        from citymgr_desktop.export.workorders.map_extract import MapSource
        from citymgr_desktop.export.workorders.pdf import export_pdf
        from citymgr_desktop.export.workorders.pdf_photos import PhotoSource

        maps = MapSource.open(store) if with_map else None
        source = str(store.path) if store.is_database else store.path.name
        export_pdf(orders, path, maps=maps, lang=lang, source=source,
                   photos=PhotoSource(store) if with_photos else None, progress=prog)
    elif fmt == "xlsx":
        from citymgr_desktop.export.workorders.xlsx import export_xlsx

        export_xlsx(orders, path, lang=lang, progress=prog)
    elif fmt == "csv":
        from citymgr_desktop.export.workorders.csv_file import export_csv

        export_csv(orders, path, rows=csv_rows, lang=lang, progress=prog)
    else:
        from citymgr_desktop.export.workorders import geo

        fn = geo.export_geojson if fmt == "geojson" else geo.export_gpkg
        fn(orders, path, store.project_crs(), lang=lang, progress=prog)
    return {"out": str(Path(path)), "format": fmt, "orders": len(orders),
            "assets": sum(len(o.assets) for o in orders)}
