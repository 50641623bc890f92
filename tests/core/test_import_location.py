"""Imported assets get the 街道 and 单元网格 the source left empty from their nearest
neighbour, as an asset added on the map does (core/store/neighbours.py): the command line's
import, the file read back with pyogrio, the report's count."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from citymgr_desktop.cli import main
from citymgr_desktop.core.importing import run as importer
from citymgr_desktop.core.importing import suggest_mapping
from citymgr_desktop.core.importing.sources import describe_layer
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.neighbours import NEIGHBOUR_RADIUS

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg"


def _bins(path):
    return pyogrio.read_dataframe(path, layer="litter_bin",
                                  columns=["district", "bgid", "source_id", "retired_at"])


def _expected(bins, point):
    """The rule by brute force: the nearest live bin within the radius."""
    live = bins[bins.retired_at.isna()]
    dist = live.distance(point)
    if dist.min() > NEIGHBOUR_RADIUS:
        return None
    return live.loc[dist.idxmin()]


@pytest.fixture
def project_and_source(tmp_path):
    project = tmp_path / "district.gpkg"
    shutil.copy(SAMPLE, project)
    bins = _bins(project)
    a, b = bins.geometry.iloc[10], bins.geometry.iloc[200]
    x1 = bins.total_bounds[2]
    points = [shapely.Point(a.x + 3, a.y + 4),  # nothing given: both filled
              shapely.Point(b.x - 2, b.y + 1),  # 街道 given by the source: kept
              shapely.Point(x1 + 2_000, b.y),  # 2 km off the district: nothing near
              shapely.Point(x1 + 2_010, b.y)]  # beside another new bin only: still nothing
    source = gpd.GeoDataFrame(
        {"编号": ["N1", "N2", "N3", "N4"], "名称": ["新箱1", "新箱2", "新箱3", "新箱4"],
         "街道": [None, "源街道", "远街道", None]},
        geometry=points, crs="EPSG:4547")
    path = tmp_path / "new_bins.gpkg"
    source.to_file(path, layer="bins", driver="GPKG")
    return project, path, bins, points


def test_import_fills_empty_district_and_grid_from_the_nearest_asset(project_and_source,
                                                                     tmp_path, capsys):
    project, source, before, points = project_and_source
    report_path = tmp_path / "report.json"
    assert main(["import", str(project), str(source), "--as", "litter_bin",
                 "--report", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert "filled from the nearest asset (within 300 m):" in out
    after = _bins(project).set_index("source_id")
    n1, n2 = _expected(before, points[0]), _expected(before, points[1])
    assert (after.loc["N1", "district"], after.loc["N1", "bgid"]) == (n1.district, n1.bgid)
    assert (after.loc["N2", "district"], after.loc["N2", "bgid"]) == ("源街道", n2.bgid)
    assert after.loc["N3", "district"] == "远街道" and pd.isna(after.loc["N3", "bgid"])
    assert pd.isna(after.loc["N4", "district"]) and pd.isna(after.loc["N4", "bgid"])
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["filled_from_nearest"] == {"district": 1, "bgid": 2}
    assert report["left_empty"]["district"] == 1 and report["left_empty"]["bgid"] == 2
    assert len(after) == len(before) + 4


def test_dry_run_and_batches_fill_the_same(project_and_source, monkeypatch, capsys):
    project, source, _before, _points = project_and_source
    assert main(["import", str(project), str(source), "--as", "litter_bin", "--dry-run",
                 "--lang", "zh_CN"]) == 0
    assert "由最近的资产（300 米内）填写：" in capsys.readouterr().out
    monkeypatch.setattr(importer, "BATCH_FEATURES", 1)  # N4 comes after N3 is written
    mapping = suggest_mapping(describe_layer(source), "litter_bin")
    with Store.open(project) as store:
        dry = importer.run_import(store, source, mapping, dry_run=True)
        real = importer.run_import(store, source, mapping)
    assert dry.report.filled == real.report.filled == {"district": 1, "bgid": 2}
    after = _bins(project).set_index("source_id")
    assert pd.isna(after.loc["N4", "district"])  # never from an asset of the same import
