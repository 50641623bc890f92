"""psycopg is a dependency (the shared PostGIS store is part of the product); where it is
missing anyway (a distro package built without it, its libpq gone) a database command ends
in one line in the --lang asked for, exit code 11 like a database that cannot be reached,
never a traceback. Run as the user runs it: the CLI process, psycopg shadowed by a package
whose import fails as a missing one does."""

from __future__ import annotations

import os

import pytest

from tests.faults.support import ROOT, run


@pytest.fixture
def without_psycopg(tmp_path) -> dict[str, str]:
    """The environment of a ``citymgr`` process whose psycopg import fails."""
    shadow = tmp_path / "shadow" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    return {"PYTHONPATH": os.pathsep.join([str(shadow.parent), str(ROOT)])}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("command", ["info", "publish", "report"])
def test_a_missing_psycopg_is_one_line(without_psycopg, small_district, tmp_path, command,
                                       lang):
    url = "postgresql://citymgr@127.0.0.1:1/city"
    args = {"info": ["info", url], "publish": ["publish", str(small_district), "service=city"],
            "report": ["report", url, "--month", "2026-11", "--out",
                       str(tmp_path / "r.pdf")]}[command]
    result = run([*args, "--lang", lang], env=without_psycopg)
    assert result.rc == 11, result.err
    assert "Traceback" not in result.err and result.out == ""
    [line] = result.err.splitlines()
    words = "PostgreSQL 驱动 psycopg 未安装" if lang == "zh_CN" else "driver psycopg is not installed"
    assert line.startswith("citymgr: error: ") and words in line, line
    assert 'pip install "psycopg[binary]"' in line
