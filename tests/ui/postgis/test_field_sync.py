"""Field packages on a database from the app: checked out with File > New field package…,
edited in the field, synced back with File > Field sync…."""

from __future__ import annotations

import psycopg
import pytest
from PySide6.QtCore import Qt

from tests.ui.driver import menu_item, pick, type_into

pytestmark = pytest.mark.slow


def test_a_field_package_out_of_the_database_and_back_in_the_app(qtbot, db_window, shots,
                                                                 tmp_path):
    """File > New field package… and File > Field sync… on a database, with real clicks and
    typing: the package is written, edited in the field while another user commits a change
    of the same field of another bin, and synced back: the field's edit lands, the other
    user's value is kept and the conflict is in the summary."""
    from citymgr_desktop.core import gpkg
    from citymgr_desktop.ui.sync.dialog import SyncDialog
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_DISTRICT, FieldPackageDialog
    from tests.ui.driver import open_dialogs

    w = db_window
    url = w.store.target
    menu_item(qtbot, w, "file", "New field package…")
    qtbot.waitUntil(lambda: any(isinstance(d, FieldPackageDialog) for d in open_dialogs()),
                    timeout=5000)
    d = next(d for d in open_dialogs() if isinstance(d, FieldPackageDialog))
    out = tmp_path / "field" / "粮道.gpkg"
    out.parent.mkdir()
    type_into(qtbot, d.out, str(out))
    pick(qtbot, d.area, AREA_DISTRICT)
    pick(qtbot, d.district, text="粮道街道")
    type_into(qtbot, d.surveyor, "李四")
    with qtbot.waitSignal(d.created, timeout=120_000):
        qtbot.mouseClick(d.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    shots("checked-out", d)
    assert out.exists() and out.with_suffix(".qgz").exists()
    assert "粮道.gpkg" in d.message.text()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT name, surveyor FROM citymgr_field_package").fetchall() == \
            [("粮道.gpkg", "李四")]
    d.close()

    package = gpkg.connect(str(out))
    with package:
        mine, theirs = (r[0] for r in package.execute(
            "SELECT asset_uuid FROM litter_bin WHERE district = '粮道街道' ORDER BY fid LIMIT 2"))
        package.execute("UPDATE litter_bin SET remarks = '外业回传' WHERE asset_uuid = ?", (mine,))
        package.execute("UPDATE litter_bin SET remarks = '外业值' WHERE asset_uuid = ?",
                        (theirs,))
    package.close()
    with psycopg.connect(url) as other:  # another user meanwhile, the same field
        other.execute("UPDATE litter_bin SET remarks = '办公室值', version = version + 1 "
                      "WHERE asset_uuid = %s", (theirs,))

    menu_item(qtbot, w, "file", "Field sync…")
    qtbot.waitUntil(lambda: any(isinstance(d, SyncDialog) for d in open_dialogs()),
                    timeout=5000)
    s = next(d for d in open_dialogs() if isinstance(d, SyncDialog))
    assert not s.backup.isVisible() and not s.tabs.isTabEnabled(1)
    type_into(qtbot, s.package, str(out))
    with qtbot.waitSignal(s.synced, timeout=120_000):
        qtbot.mouseClick(s.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not s.busy(), timeout=60_000)
    shots("synced", s)
    assert s.report.status == "applied" and s.report.open_conflicts == 1
    notes = [s.summary.notes.item(i).text() for i in range(s.summary.notes.count())]
    assert any("办公室值" in n and "外业值" in n for n in notes), notes
    with psycopg.connect(url) as conn:
        remarks = dict(conn.execute("SELECT asset_uuid, remarks FROM litter_bin WHERE "
                                    "asset_uuid = ANY(%s)", ([mine, theirs],)).fetchall())
    assert remarks == {mine: "外业回传", theirs: "办公室值"}
    s.close()
