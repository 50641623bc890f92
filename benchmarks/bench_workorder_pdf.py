"""Work-order PDF benchmark: 100 orders (1 to 40 neighbouring assets each) with
map extracts to one PDF; prints the time to load the map, to write the PDF, per order, pages
and file size, and the same batch without maps for comparison.

Generates its data with the sample generator under ``bench-data/`` (reused between runs).
Run: ``python benchmarks/bench_workorder_pdf.py [--features 20000] [--orders 100]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _data import DATA, sample_file

from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders.query import load_report
from citymgr_desktop.export.fonts import ensure_gui_application
from citymgr_desktop.export.workorders.map_extract import MapSource
from citymgr_desktop.export.workorders.pdf import export_pdf


def make_orders(path: Path, count: int) -> list[str]:
    """``count`` orders as engineers make them: one class, an asset and its nearest
    neighbours (a street's bins, a stretch of road); 1-11 assets, every tenth order 40."""
    rng = np.random.default_rng(5)
    cases = []
    with Store.open(path) as store:
        layers = {}
        for table in ("litter_bin", "road_segment", "green_space"):
            frame = store.read(table, columns=["asset_uuid", "district"])
            pts = frame.geometry.representative_point()
            layers[table] = (frame["asset_uuid"].to_numpy(), frame["district"].to_numpy(),
                             np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]))
        for i in range(count):
            table = ("litter_bin", "road_segment", "green_space")[i % 3]
            ids, districts, xy = layers[table]
            seed = int(rng.integers(len(ids)))
            k = 40 if i % 10 == 0 else int(rng.integers(1, 12))
            near = np.argsort(((xy - xy[seed]) ** 2).sum(axis=1))[:k]
            spec = wo.OrderSpec(f"{districts[seed] or ''}养护整改 {i + 1}",
                                int(rng.integers(1, 5)), [(table, ids[j]) for j in near],
                                description="基准测试工单", assignee="区市政设施养护中心")
            cases.append(wo.create_order(store, spec, "bench")["case_no"])
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=20_000)
    ap.add_argument("--orders", type=int, default=100)
    args = ap.parse_args()
    ensure_gui_application()
    master = sample_file(args.features)
    work = master.with_name(f"wo-{master.name}")
    shutil.copyfile(master, work)
    try:
        cases = make_orders(work, args.orders)
        out_dir = DATA / "workorder-pdf"
        out_dir.mkdir(exist_ok=True)
        rows = []
        with Store.open(work, read_only=True) as store:
            t0 = time.perf_counter()
            reports = load_report(store, cases)
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            maps = MapSource.open(store)
            t_load = time.perf_counter() - t0
            for label, source in (("with map extracts", maps), ("without maps", None)):
                out = out_dir / f"orders-{label.split()[0]}.pdf"
                t0 = time.perf_counter()
                export_pdf(reports, out, maps=source, source=work.name)
                t_pdf = time.perf_counter() - t0
                from pypdf import PdfReader

                pages = len(PdfReader(str(out)).pages)
                rows.append((label, t_pdf, pages, out.stat().st_size))
        n_assets = sum(len(r.assets) for r in reports)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{args.orders} work orders ({n_assets} assets) from a {args.features:,}-feature "
              f"district; read orders {t_read:.2f} s, load map {t_load:.2f} s, "
              f"peak RSS {peak:.0f} MB\n")
        print(f"| {'PDF':<18} | {'time s':>7} | {'ms/order':>8} | {'pages':>5} | {'size MB':>7} |")
        print(f"| {'-' * 18} | {'-' * 6}: | {'-' * 7}: | {'-' * 4}: | {'-' * 6}: |")
        for label, t, pages, size in rows:
            print(f"| {label:<18} | {t:>7.2f} | {t / args.orders * 1000:>8.0f} | {pages:>5} | "
                  f"{size / 1e6:>7.2f} |")
    finally:
        work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
