"""Outside tools some tests need (QGIS, GDAL's validator, poppler, later PostgreSQL), and the
"require everything" switch.

A test that needs a tool skips where it is missing, through :func:`skip_missing` or a
:func:`needs` marker, so a developer's machine without QGIS still runs the rest. CI sets
``CITYMGR_REQUIRE_ALL=1`` (``.ci/run``): then the hook in ``tests/conftest.py`` turns every
such skip into a failure, so a tool that went missing on the CI machine cannot hide
behind "N skipped".
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_ALL_ENV = "CITYMGR_REQUIRE_ALL"
MISSING = "missing tool: "  # how every skip for a missing tool starts (the hook looks for it)


def require_all() -> bool:
    """True when a missing tool must fail the run instead of skipping (CI)."""
    return os.environ.get(REQUIRE_ALL_ENV) == "1"


def missing(tool: str, package: str) -> str:
    """The reason of a skip for ``tool`` (from the Debian ``package``)."""
    return f"{MISSING}{tool} (Debian package {package})"


def skip_missing(tool: str, package: str) -> None:
    """Skip the running test: ``tool`` is not installed."""
    pytest.skip(missing(tool, package))


def is_missing_tool(reason: str) -> bool:
    return MISSING in reason


def have_pdftotext() -> bool:
    return shutil.which("pdftotext") is not None


needs_poppler = pytest.mark.skipif(not have_pdftotext(),
                                   reason=missing("pdftotext", "poppler-utils"))
