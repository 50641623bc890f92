"""The scenarios work on the small sample district (300 features): the real window opens it
in a third of the time of the 4,000-feature one, and every workflow finds what it needs."""

from __future__ import annotations

import pytest


@pytest.fixture
def district(small_district):
    return small_district
