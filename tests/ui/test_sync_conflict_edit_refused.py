"""Trial 11: an edited conflict value the field refuses (capacity 5000, at most 1,100) is
named in the asset form's words ("Capacity (L) (capacity_l): 5000 is outside the allowed
range [5, 1100] L", not "litter_bin.capacity_l (Capacity (L)): 5000 is not allowed…"),
nothing is written, and its cell stays marked until the value is one the field allows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor

from citymgr_desktop.ui.sync.conflict_model import CHOICE_COL, VALUE_COL
from citymgr_desktop.ui.sync.dialog import SyncDialog
from citymgr_desktop.ui.widgets.field_editors import FieldEditor
from citymgr_desktop.ui.widgets.number_edit import NumberEdit
from tests.core.sync_support import checkout, edit, row, uuids


@pytest.fixture
def conflict(qtbot, main_window, district, tmp_path):
    """A capacity changed in the field (500) and in the office (360), synced: one conflict."""
    pkg = tmp_path / "field" / "巡查.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, district="中华路街道", surveyor="张三")
    (a,) = uuids(pkg, "litter_bin", limit=1)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET capacity_l = 500 WHERE asset_uuid = ?", (a,))
    with edit(district) as c:
        c.execute("UPDATE litter_bin SET capacity_l = 360 WHERE asset_uuid = ?", (a,))
    QSettings().setValue("user/name", "办公室")
    window = main_window
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        window.open_file(district)
    d = SyncDialog(window)
    d.show()
    qtbot.waitExposed(d)
    d.package.setText(str(pkg))
    d.prefer.setCurrentIndex(0)  # leave conflicts open
    with qtbot.waitSignal(d.synced, timeout=60_000):
        d.sync_button.click()
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    assert d.model.rowCount() == 1
    yield window, d, a
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    d.close()


def _type_value(qtbot, dialog, text):
    view, cell = dialog.conflicts, dialog.model.index(0, VALUE_COL)
    view.setCurrentIndex(cell)
    view.edit(cell)
    qtbot.waitUntil(lambda: bool(view.findChildren(FieldEditor)), timeout=5_000)
    number = view.findChildren(FieldEditor)[-1].findChild(NumberEdit)
    qtbot.keyClick(number, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(number, text)
    qtbot.keyClick(number, Qt.Key.Key_Return)


def test_a_refused_edited_value_is_named_as_the_form_does_and_stays_marked(qtbot, conflict):
    window, dialog, a = conflict
    m = dialog.model
    assert m.setData(m.index(0, CHOICE_COL), "edit")
    _type_value(qtbot, dialog, "5000")
    cell = m.index(0, VALUE_COL)
    qtbot.waitUntil(lambda: m.data(cell, Qt.ItemDataRole.EditRole) == 5000, timeout=5_000)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    said = dialog.message.text()
    assert "Capacity (L) (capacity_l): 5000 is outside the allowed range [5, 1100] L" in said
    assert "litter_bin.capacity_l" not in said
    assert m.data(cell, Qt.ItemDataRole.BackgroundRole).color() == QColor(250, 214, 214)
    assert m.data(cell, Qt.ItemDataRole.ToolTipRole) == said
    assert row(window.store.path, "litter_bin", a)["capacity_l"] == 360 and m.rowCount() == 1

    _type_value(qtbot, dialog, "700")
    qtbot.waitUntil(lambda: m.data(cell, Qt.ItemDataRole.EditRole) == 700, timeout=5_000)
    assert m.data(cell, Qt.ItemDataRole.BackgroundRole) is None or \
        m.data(cell, Qt.ItemDataRole.BackgroundRole).color() != QColor(250, 214, 214)
    with qtbot.waitSignal(dialog.resolved, timeout=60_000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    assert row(window.store.path, "litter_bin", a)["capacity_l"] == 700
