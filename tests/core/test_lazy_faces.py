"""Packages whose face loads its modules on first use (``core/store/postgis``,
``core/basemaps``, ``core/store``, ``core/sync``: a GeoPackage command does not pay for the
PostGIS backend, a layer list not for NumPy, a drawing not for the file check or the
expression language, a check-in not for the check-out's package writer)
hand on the same names as before, whatever was imported first: ``publish`` is the function
even after its module ``publish`` was imported (Python sets a submodule as an attribute of
its package)."""

from __future__ import annotations

import subprocess
import sys

import pytest

FACES = {
    "citymgr_desktop.core.store.postgis": [
        "import citymgr_desktop.core.store.postgis.publish",
        "from citymgr_desktop.core.store.postgis import snapshot",
        "from citymgr_desktop.core.store.postgis import PostgisStore",
        "import citymgr_desktop.core.store.postgis.edit",
    ],
    "citymgr_desktop.core.basemaps": [
        "import citymgr_desktop.core.basemaps.raster",
        "from citymgr_desktop.core.basemaps import TileCache",
    ],
    "citymgr_desktop.core.store": [
        "import citymgr_desktop.core.store.check",
        "from citymgr_desktop.core.store import create",
        "from citymgr_desktop.core.store import select_assets",
        "from citymgr_desktop.core.store import Store",
    ],
    "citymgr_desktop.core.sync": [
        "import citymgr_desktop.core.sync.checkout",
        "from citymgr_desktop.core.sync import run",
        "from citymgr_desktop.core.sync import sync_package",
        "from citymgr_desktop.core.sync import registry",
    ],
}


@pytest.mark.parametrize("face", sorted(FACES))
def test_every_name_of_a_lazy_face_is_what_its_module_defines(face):
    for first in ["pass", *FACES[face]]:
        script = (
            f"{first}\n"
            "import importlib, types\n"
            f"face = importlib.import_module({face!r})\n"
            "wrong = []\n"
            "for name in face.__all__:\n"
            "    value = getattr(face, name)\n"
            "    home = importlib.import_module(getattr(value, '__module__', face.__name__))\n"
            "    if isinstance(value, types.ModuleType) or getattr(home, name, None) is not value:\n"
            "        wrong.append(name)\n"
            "print(wrong)\n")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[]", (first, run.stdout)


def test_the_postgis_backend_is_not_loaded_by_its_face():
    script = ("import sys\n"
              "from citymgr_desktop.core.store.postgis import is_database_target\n"
              "print(is_database_target('x.gpkg'), "
              "'citymgr_desktop.core.store.postgis.store' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.stdout.strip() == "False False", run.stderr


def test_opening_and_reading_a_file_loads_neither_the_check_nor_the_expression_language():
    script = ("import sys\n"
              "from citymgr_desktop.core.store import open_store\n"
              "print([m for m in ('citymgr_desktop.core.store.check', "
              "'citymgr_desktop.core.store.create', 'citymgr_desktop.core.store.selection', "
              "'citymgr_desktop.core.expression') if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.stdout.strip() == "[]", run.stderr


def test_a_sync_from_the_command_line_does_not_load_the_check_out(small_district, tmp_path):
    """``citymgr sync`` merges the package; the writer of packages (their QGIS forms, styles
    and project) is the check-out's, and is not imported for it."""
    from tests.core.sync_support import checkout, edit

    pkg = tmp_path / "pkg.gpkg"
    checkout(small_district, pkg, surveyor="李四", history_years=None)
    with edit(pkg) as conn:
        conn.execute("UPDATE litter_bin SET remarks = 'field' WHERE fid = "
                     "(SELECT min(fid) FROM litter_bin)")
    check_out = ["citymgr_desktop.core.sync.checkout", "citymgr_desktop.core.sync.package",
                 "citymgr_desktop.core.qgis.forms", "citymgr_desktop.core.qgis.styles"]
    script = ("import sys\n"
              "from citymgr_desktop.cli import main\n"
              f"code = main(['sync', {str(small_district)!r}, {str(pkg)!r}, '--json'])\n"
              f"print(code, [m for m in {check_out!r} if m in sys.modules])\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "0 []", run.stdout[-2000:]
    with edit(small_district) as conn:
        assert conn.execute("SELECT count(*) FROM litter_bin WHERE remarks = 'field'"
                            ).fetchone() == (1,)
