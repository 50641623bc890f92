"""``citymgr sample --out FILE``: generate a realistic synthetic district."""

from __future__ import annotations

import argparse
import time

from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_overwrite,
    cli_language,
    print_json,
    refuse_overwrite,
    terminal_progress,
)

ORDER = 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="generate a synthetic sample district",
        description="Generate a synthetic district in CGCS2000 / 3-degree Gauss-Kruger CM 114E "
        "(EPSG:4547): streets with Chinese names, bridges over rivers, parks and green strips, "
        "litter bins, sub-districts and grid codes, maintenance history and work orders with "
        "deadlines on the official working calendar. The same seed gives the same file.")
    p.add_argument("--out", required=True, help="the new GeoPackage to write")
    p.add_argument("--features", type=int, default=4000,
                   help="number of assets, 100 to 1,500,000 (default 4000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--district-code", default="420106", help="6-digit district code "
                   "(default 420106)")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core import sample

    refuse_overwrite(args.out, args.overwrite)
    t0 = time.perf_counter()
    path = sample.generate(args.out, args.features, args.seed, args.district_code,
                           progress=terminal_progress("sample"))
    seconds = time.perf_counter() - t0
    if args.json:
        print_json({"file": str(path), "features": args.features, "seed": args.seed,
                    "seconds": round(seconds, 2)})
    else:
        from citymgr_desktop.core.messages import msg

        print(msg("wrote {path} ({features:,} assets, seed {seed}) in {seconds:.1f} s",
                  path=path, features=args.features, seed=args.seed,
                  seconds=seconds).render(cli_language()))
    return 0
