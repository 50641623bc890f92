"""Atlas benchmark: a 50-page maintenance-map atlas (one page per grid cell) to one PDF.

For each district size: load time, atlas time, seconds per page, PDF size and peak memory
(RSS of this process); with ``--qgis`` the same 50 pages (same sheet, frame and extents, built
from our plans) are printed by a QGIS 3.22 atlas for comparison. Data comes from the sample
generator under ``bench-data/`` (reused between runs).

Run: ``python benchmarks/bench_atlas.py [--sizes 10000,100000,1000000] [--pages 50]
[--paper A3] [--scale 2000] [--qgis]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import DATA, sample_file
from _qgis_print import qgis_available, qgis_print, spec_from_plans

from citymgr_desktop.core.model.schema import ASSET_TABLES
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.fonts import ensure_gui_application
from citymgr_desktop.export.print_map.areas import atlas_items, full_extent
from citymgr_desktop.export.print_map.atlas import export_atlas, page_subtitle
from citymgr_desktop.export.print_map.layout import PrintSettings, footer_text, plan_page
from citymgr_desktop.export.print_map.map_frame import MapSource
from citymgr_desktop.export.print_map.text import translator


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--paper", default="A3")
    ap.add_argument("--orientation", default="landscape")
    ap.add_argument("--scale", type=int, default=None, help="fixed scale (default: fit)")
    ap.add_argument("--lang", default="zh_CN")
    ap.add_argument("--qgis", action="store_true", help="also time a QGIS 3.22 atlas")
    ap.add_argument("--no-labels", action="store_true", help="without road names")
    args = ap.parse_args()
    ensure_gui_application()
    out_dir = DATA / "atlas"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        path = sample_file(n)
        store = Store.open(path, read_only=True)
        settings = PrintSettings(paper=args.paper, orientation=args.orientation,
                                 scale=args.scale, lang=args.lang, author="bench",
                                 labels=not args.no_labels,
                                 date="2026-11-26").validated()
        t0 = time.perf_counter()
        source = MapSource(store, None, args.lang)
        t_load = time.perf_counter() - t0
        items = atlas_items(store, "grid", source.layers)[: args.pages]
        out = out_dir / f"atlas-{n}.pdf"
        t0 = time.perf_counter()
        result = export_atlas(source, settings, "grid", out, items=items)
        t_atlas = time.perf_counter() - t0
        scales = sorted({r.plan.scale for r in result.reports})
        rows.append((f"citymgr {n:,}", t_load, t_atlas, result.pages, out.stat().st_size,
                     peak_rss_mb(), f"1:{scales[0]}-1:{scales[-1]}"))
        if args.qgis and qgis_available():
            dext = full_extent(store, source.layers)
            plans = [plan_page(source, settings, it.bbox, subtitle=page_subtitle(it, args.lang),
                               district_extent=dext) for it in items]
            qout = out_dir / f"atlas-{n}-qgis.pdf"
            legend_order = [t.name for t in ASSET_TABLES if t.name in source.layers]
            spec = spec_from_plans(path, plans, legend_order, plans[0].title,
                                   translator(args.lang)("Legend"),
                                   footer_text(source, plans[0]), qout)
            q = qgis_print(spec)
            rows.append((f"QGIS 3.22 {n:,}", q["open_s"], q["pdf_s"], len(plans),
                         qout.stat().st_size, float("nan"), ""))
        store.close()

    print(f"\n{args.pages}-page atlas (one page per grid cell), {args.paper} "
          f"{args.orientation}, {'fit' if args.scale is None else f'1:{args.scale}'}, "
          f"language {args.lang}\n")
    print("| run | load s | atlas s | pages | s/page | PDF MB | KB/page | peak RSS MB | scales |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, t_load, t_atlas, pages, size, rss, scales in rows:
        print(f"| {name} | {t_load:.2f} | {t_atlas:.2f} | {pages} | {t_atlas / pages:.3f} | "
              f"{size / 1e6:.1f} | {size / 1024 / pages:.0f} | {rss:.0f} | {scales} |")


if __name__ == "__main__":
    main()
