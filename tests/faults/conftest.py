"""Fixtures of the fault-injection suite: a good project with a field package checked out of
it (made once per session), each test's own copy of both, and a small disk."""

from __future__ import annotations

import pytest

from tests.faults.project import Project, make_project
from tests.faults.support import SmallDisk, small_disk


@pytest.fixture(scope="session")
def fault_project(tmp_path_factory) -> Project:
    """Made once: do not modify (take a copy with ``project``)."""
    return make_project(tmp_path_factory.mktemp("fault-project"))


@pytest.fixture
def project(fault_project, tmp_path) -> Project:
    """This test's own copy of the project, its package and its .sync folder."""
    return fault_project.copy_to(tmp_path / "project")


@pytest.fixture(scope="session")
def disk() -> SmallDisk:
    with small_disk() as d:
        yield d
