"""The app on a PostGIS database (issue 14), on the throwaway cluster of ``tests/pg`` (skipped
where PostgreSQL is missing): its fixtures, and ``db_window``, the real MainWindow with a
published copy of the small district open and its map drawn."""

from __future__ import annotations

import pytest

from tests.pg.conftest import (  # noqa: F401  (fixtures)
    database_journals,
    pg_cluster,
    pg_url,
    published,
)


@pytest.fixture
def db_window(qtbot, main_window, published):  # noqa: F811
    with qtbot.waitSignal(main_window.mapLoaded, timeout=60_000):
        assert main_window.open_file(published)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    return main_window
