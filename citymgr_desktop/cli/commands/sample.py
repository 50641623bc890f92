"""``citymgr sample --out FILE``: generate a realistic synthetic district."""

from __future__ import annotations

import argparse
import time

from citymgr_desktop.cli.commands._common import terminal_progress
from citymgr_desktop.core import sample

ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="generate a synthetic sample district",
        description="Generate a synthetic district in CGCS2000 / 3-degree Gauss-Kruger CM 114E "
        "(EPSG:4547): streets with Chinese names, bridges over rivers, parks and green strips, "
        "litter bins, sub-districts and grid codes, maintenance history and work orders. The "
        "same seed gives the same file.")
    p.add_argument("--out", required=True, help="the new GeoPackage to write (replaced if it exists)")
    p.add_argument("--features", type=int, default=4000,
                   help="number of assets, 100 to 1,500,000 (default 4000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--district-code", default=sample.DISTRICT_CODE,
                   help=f"6-digit district code (default {sample.DISTRICT_CODE})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    path = sample.generate(args.out, args.features, args.seed, args.district_code,
                           progress=terminal_progress("sample"))
    print(f"wrote {path} ({args.features:,} assets, seed {args.seed}) in "
          f"{time.perf_counter() - t0:.1f} s")
    return 0
