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


@pytest.fixture(autouse=True)
def superuser_named(user_named, pg_cluster):  # noqa: F811
    """The name recorded with the edits of the cluster's own login (the one ``published``
    and ``db_window`` use) is known: a database login's name is its own (settings.py)."""
    from PySide6.QtCore import QSettings

    QSettings().setValue(f"user/name_of_login/{pg_cluster.superuser}", user_named)
    return user_named
