"""A file opened by a relative path (``citymgr-desktop sample_data/district.gpkg``) is
remembered and offered as an absolute one: the recent-files list reopens it from any
folder, and an export dialog offers the project's folder (it offered
``sample_data/….pdf``, relative to wherever the app happened to start)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from citymgr_desktop.ui.workorders.export_dialog import WorkOrderExportDialog
from tests.ui.driver import answer, menu_item


def test_a_relative_path_is_opened_as_an_absolute_one(qtbot, main_window, district,
                                                     monkeypatch):
    monkeypatch.chdir(district.parent.parent)
    relative = Path(district.parent.name) / district.name
    w = main_window
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(str(relative))
    assert w.store.path == district.resolve()
    recent = QSettings().value("files/recent", [])
    assert str(district.resolve()) in (recent if isinstance(recent, list) else [recent])

    def look(dialog):
        offered = Path(dialog.path.text())
        assert offered.is_absolute() and offered.parent == district.resolve().parent

    with answer(qtbot, "Cancel", fill=look, kind=WorkOrderExportDialog):
        menu_item(qtbot, w, "workorder", "Export work orders")
