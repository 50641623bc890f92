"""Print the same maintenance map with citymgr and with QGIS 3.22, and compare.

Both sheets get the same paper, map frame, extent and scale (QGIS's layout is built from our
plan: see ``_qgis_print.py``). The script times both PDF and PNG exports, prints a table
(time, size, searchable text, fonts) and leaves the PDFs and 100-dpi PNGs of both in
``--out-dir`` to be looked at side by side.

Run: ``python benchmarks/compare_print_qgis.py [--features 4000] [--scale 2000]
[--paper A3] [--lang zh_CN] [--out-dir bench-data/print-compare]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
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
from citymgr_desktop.export.print_map import layout as lay
from citymgr_desktop.export.print_map.map_frame import MapSource
from citymgr_desktop.export.print_map.text import translator


def _print_sample(n: int) -> Path:
    return sample_file(n, seed=7, prefix="print-district")


def pdf_facts(pdf: Path) -> tuple[int, int, str]:
    """(characters of extractable text, embedded fonts, first page size)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    size = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                 if ln.startswith("Page size")), "?")
    return len("".join(text.split())), max(len(fonts.splitlines()) - 2, 0), size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=4000)
    ap.add_argument("--scale", type=int, default=2000)
    ap.add_argument("--paper", default="A3")
    ap.add_argument("--orientation", default="landscape")
    ap.add_argument("--lang", default="zh_CN")
    ap.add_argument("--out-dir", type=Path, default=DATA / "print-compare")
    args = ap.parse_args()
    ensure_gui_application()
    gpkg = _print_sample(args.features)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    store = Store.open(gpkg, read_only=True)
    ext = store.layer("road_segment").extent
    cx, cy = (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2
    settings = lay.PrintSettings(paper=args.paper, orientation=args.orientation,
                                 scale=args.scale, bbox=(cx - 200, cy - 150, cx + 200, cy + 150),
                                 lang=args.lang, author="benchmark", date="2026-11-26").validated()
    t0 = time.perf_counter()
    source = MapSource(store, None, args.lang)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_pdf = out / "citymgr.pdf"
    report = lay.export_map(source, settings, ours_pdf)
    t_pdf = time.perf_counter() - t0
    t0 = time.perf_counter()
    lay.export_map(source, settings.__class__(**{**settings.__dict__, "dpi": 100}),
                   out / "citymgr.png")
    t_png = time.perf_counter() - t0
    rows = [("citymgr", t_load, t_pdf, t_png, ours_pdf, report.plan.scale)]

    if qgis_available():
        tr = translator(args.lang)
        legend_order = [t.name for t in ASSET_TABLES if t.name in source.layers]
        spec = spec_from_plans(gpkg, [report.plan], legend_order,
                               report.plan.title, tr("Legend"),
                               lay.footer_text(source, report.plan), out / "qgis.pdf",
                               out / "qgis.png")
        q = qgis_print(spec)
        rows.append(("QGIS 3.22", q["open_s"], q["pdf_s"], q["png_s"], out / "qgis.pdf",
                     round(q["scale"])))
    else:
        print("QGIS (python3-qgis under /usr/bin/python3) not found: only citymgr measured")

    print(f"\n{args.paper} {args.orientation}, 1:{args.scale}, {args.features:,}-feature "
          f"district, language {args.lang}\n")
    print("| tool | open/load s | PDF s | PNG 100 dpi s | PDF KB | text chars | fonts | page | "
          "scale |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for name, t_open, t_p, t_i, pdf, scale in rows:
        chars, fonts, size = pdf_facts(pdf)
        print(f"| {name} | {t_open:.2f} | {t_p:.2f} | {t_i:.2f} | "
              f"{pdf.stat().st_size / 1024:.0f} | {chars} | {fonts} | {size} | 1:{scale} |")
        stem = pdf.with_suffix("")
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf),
                        f"{stem}-pdf"], check=True)
    print(f"\npages as PNG: {out}/citymgr-pdf.png, {out}/qgis-pdf.png")


if __name__ == "__main__":
    main()
