"""psycopg is a dependency (the shared PostGIS store is part of the product); where it is
missing anyway (a distro package built without it, its libpq gone) a database command ends
in one line in the --lang asked for, exit code 11 like a database that cannot be reached,
never a traceback. Run as the user runs it: the CLI process, psycopg shadowed by a package
whose import fails as a missing one does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def without_psycopg(tmp_path):
    shadow = tmp_path / "shadow" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CITYMGR_LANG", "LC_ALL",
                                                             "LC_MESSAGES", "LANG")}
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), str(ROOT)])

    def citymgr(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "citymgr_desktop", *args],
                              capture_output=True, text=True, encoding="utf-8", timeout=120,
                              env=env)
    return citymgr


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("command", ["info", "publish", "report"])
def test_a_missing_psycopg_is_one_line(without_psycopg, small_district, tmp_path, command,
                                       lang):
    url = "postgresql://citymgr@127.0.0.1:1/city"
    args = {"info": ["info", url], "publish": ["publish", str(small_district), "service=city"],
            "report": ["report", url, "--month", "2026-11", "--out",
                       str(tmp_path / "r.pdf")]}[command]
    run = without_psycopg(*args, "--lang", lang)
    assert run.returncode == 11, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    [line] = run.stderr.splitlines()
    words = "PostgreSQL 驱动 psycopg 未安装" if lang == "zh_CN" else "driver psycopg is not installed"
    assert line.startswith("citymgr: error: ") and words in line, line
    assert 'pip install "psycopg[binary]"' in line
