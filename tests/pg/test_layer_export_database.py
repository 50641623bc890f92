"""``citymgr export`` on a database: the same file as from the GeoPackage it was published
from (the assets a ``--where`` chooses, read back by GDAL)."""

from __future__ import annotations

import pyogrio

from tests.pg.conftest import run_citymgr


def test_export_from_a_database_matches_the_file(pg_url, small_district, tmp_path):
    assert run_citymgr("publish", str(small_district), pg_url).returncode == 0
    frames = []
    for source, name in ((pg_url, "db.geojson"), (str(small_district), "file.geojson")):
        r = run_citymgr("export", source, "--layer", "litter_bin", "--where",
                        "condition >= 4", "--out", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        frames.append(pyogrio.read_dataframe(tmp_path / name).set_index("asset_uuid"))
    db, file = frames
    assert len(db) > 0 and sorted(db.index) == sorted(file.index)
    assert (db.loc[file.index, "condition"] == file["condition"]).all()
    assert db.crs == file.crs and db.geom_equals_exact(file.geometry.loc[db.index], 1e-6).all()
