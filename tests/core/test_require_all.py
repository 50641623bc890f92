"""The "require everything" switch: with ``CITYMGR_REQUIRE_ALL=1`` a test skipped for a missing
tool fails the run; without it the test skips; other skips stay skips either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import REQUIRE_ALL_ENV

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = '''
import pytest
from tests.tools import missing, skip_missing

def test_needs_qgis():
    skip_missing("PyQGIS", "python3-qgis")

@pytest.mark.skipif(True, reason=missing("pdftotext", "poppler-utils"))
def test_needs_poppler():
    pass

def test_skips_for_another_reason():
    pytest.skip("not on this platform")
'''


def _run(tmp_path: Path, require_all: bool) -> str:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop(REQUIRE_ALL_ENV, None)
    if require_all:
        env[REQUIRE_ALL_ENV] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:pytest-qt", "-rA", str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc.stdout


@pytest.mark.parametrize("require_all", [False, True])
def test_missing_tools_fail_only_when_everything_is_required(tmp_path, require_all):
    out = _run(tmp_path, require_all)
    summary = out.strip().splitlines()[-1]
    if require_all:
        assert "1 failed" in summary and "1 error" in summary and "1 skipped" in summary, out
        assert "missing tool: PyQGIS" in out and "missing tool: pdftotext" in out
    else:
        assert "3 skipped" in summary and "failed" not in summary, out
