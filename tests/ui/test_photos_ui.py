"""Photos synced from a field package, as the app shows them: the history dock's thumbnails
(every photo of the asset, or the chosen record's) with when and where they were taken, the
photo count per record, and the asset form's photo strip, in the real main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import create_package, sync_package
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog
from tests.core.photo_support import write_jpeg

RECORD = "aaaaaaaa-0000-4000-8000-000000000001"


@pytest.fixture
def synced(small_district, tmp_path):
    """The small district after a sync that brought a record with a photo and a photo of
    its asset; returns (master, asset uuid)."""
    pkg = tmp_path / "field" / "p.gpkg"
    pkg.parent.mkdir()
    with Store.open(small_district) as store:
        create_package(store, pkg, surveyor="李四", history_years=0)
    write_jpeg(pkg.parent / "DCIM" / "rec.jpg", colour=(220, 40, 40))
    write_jpeg(pkg.parent / "DCIM" / "bin.jpg", colour=(40, 40, 220), when="2026:11:24 09:00:00")
    conn = gpkg.connect(str(pkg))
    asset = conn.execute("SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, asset_uuid, "
                 "record_date, record_type, observation, condition_after, photo) VALUES "
                 "(?, 'litter_bin', ?, '2099-11-25', 'inspection', '盖板松动', 3, "
                 "'DCIM/rec.jpg')", (RECORD, asset))
    conn.execute("UPDATE litter_bin SET photo = 'DCIM/bin.jpg' WHERE asset_uuid = ?", (asset,))
    conn.commit()
    conn.close()
    with Store.open(small_district) as store:
        rep = sync_package(store, pkg)
    assert rep.photos["loaded"] == 2
    return small_district, asset


@pytest.fixture
def window(qtbot, main_window, synced):
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(synced[0])
    return main_window


def test_history_dock_shows_the_synced_photos(window, synced):
    panel = window.installed_features["history"].panel
    asset = synced[1]
    window.selection.set_selection("litter_bin", [asset])
    assert panel.thumbs.count() == 2  # the asset's photo and its record's, newest first
    names = [panel.thumbs.item(i).text() for i in range(2)]
    assert names == ["rec.jpg", "bin.jpg"]
    assert all(not panel.thumbs.item(i).icon().isNull() for i in range(2))
    tip = panel.thumbs.item(0).toolTip()
    assert "Taken 2026-11-25 10:30" in tip and "GPS 30.593000, 114.305000" in tip
    assert "李四" in tip
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "2099-11-25" and top.text(6) == "1"
    assert top.toolTip(0).startswith("Recorded by 李四, ")  # who, and when it came in
    panel.tree.setCurrentItem(top)  # a record chosen: the asset's own and the record's
    assert sorted(panel.thumbs.item(i).text() for i in range(panel.thumbs.count())) == \
        ["bin.jpg", "rec.jpg"]


def test_asset_form_shows_the_photos(window, synced, qtbot):
    i18n.install("zh_CN")
    try:
        row = window.store.get_row("litter_bin", synced[1])
        dlg = AssetFormDialog(window, sc.LITTER_BIN, row, lang="zh")
        qtbot.addWidget(dlg)
        box = dlg.findChild(type(dlg.findChild(object, "group_photos")), "group_photos")
        assert box is not None and box.title() == "照片（2）"
        assert dlg.photos.count() == 2
        assert dlg.photos.item(0).data(Qt.ItemDataRole.UserRole)
        new = AssetFormDialog(window, sc.LITTER_BIN, {}, new=True, lang="zh")
        qtbot.addWidget(new)
        assert new.findChild(type(box), "group_photos") is None
    finally:
        i18n.install("en")
