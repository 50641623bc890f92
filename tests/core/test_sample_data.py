"""The committed sample district still matches the model (regenerate it when it does not)."""

from __future__ import annotations

import shutil
from pathlib import Path

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store, validate_file

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"


def test_committed_sample_is_valid_and_current(tmp_path):
    copy = tmp_path / "district.gpkg"
    shutil.copyfile(SAMPLE, copy)
    assert SAMPLE.stat().st_size < 5 * 1024 * 1024
    assert validate_file(copy) == [], "regenerate: citymgr sample --out sample_data/district.gpkg --features 4000 --seed 1"
    with Store.open(copy, read_only=True) as store:
        assert store.meta("schema_hash") == sc.schema_hash()
        assert sum(li.count for li in store.layers() if li.is_asset) == 4000
