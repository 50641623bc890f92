"""Data shared by the benchmark scripts: sample districts under ``bench-data/`` (git-ignored),
generated once with the sample generator and reused by every script and run."""

from __future__ import annotations

import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "bench-data"


def sample_file(n: int, seed: int = 42, prefix: str = "district") -> Path:
    """``bench-data/<prefix>-N.gpkg``: an N-feature sample district, generated if missing."""
    path = DATA / f"{prefix}-{n}.gpkg"
    if not path.exists():
        from citymgr_desktop.core import sample

        DATA.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        sample.generate(path, n, seed=seed)
        print(f"generated {path.name} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path
