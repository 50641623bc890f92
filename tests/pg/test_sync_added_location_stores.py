"""A bin added in the field from a whole-file package takes the 街道 and 单元网格 of its
nearest asset, in the file and in the database alike: ``citymgr field-package`` and ``citymgr
sync`` as processes, the bins added by PyQGIS through the package's .qgz (see
``tests/core/test_sync_added_location.py``)."""

from __future__ import annotations

import json

import pytest

from citymgr_desktop.core.store import open_store
from tests.core.test_sync_added_location import ADD_BINS
from tests.faults.support import run
from tests.gpkg_checks import run_pyqgis

pytestmark = [pytest.mark.qgis, pytest.mark.slow]


def test_a_bin_added_from_a_whole_file_package_takes_the_nearest_location(project_target,
                                                                         tmp_path):
    with open_store(project_target) as store:
        frame = store.read("litter_bin", include_retired=False)
        frame = frame[frame["district"].notna() & frame["bgid"].notna()]
        near = store.get_row("litter_bin", frame.sort_values("obj_code").iloc[0]["asset_uuid"])
    pkg = tmp_path / "whole.gpkg"
    run(["field-package", project_target, "--out", pkg, "--user", "孙七"]).ok()
    added = run_pyqgis(ADD_BINS, pkg.with_suffix(".qgz"), near["geom"].x, near["geom"].y)
    report = tmp_path / "sync.json"
    out = run(["sync", project_target, pkg, "--report", report, "--lang", "en"]).ok()
    assert "took them from the nearest asset" in out, out
    assert json.loads(report.read_text(encoding="utf-8"))["filled_from_nearest"] == {
        "district": 1, "bgid": 1}
    with open_store(project_target) as store:
        left = store.get_row("litter_bin", added["新增垃圾箱甲"][0])
        kept = store.get_row("litter_bin", added["新增垃圾箱乙"][0])
    assert (left["district"], left["bgid"]) == (near["district"], near["bgid"])
    assert (kept["district"], kept["bgid"]) == ("外地街道", "99999999")
