"""Finding and showing one asset, as the trials' fresh users did: an imported bin is found by
the colleague's own id (its source id) in the locate box and by ``citymgr locate``, which
exits 10 when nothing matches (docs/cli.md); zooming to one bin (Locate, a row of the
attribute table, an import) stops at 1:1,000 with its street around it (it went to 1:91 and
1:38, a dot on white); and the located bin's outline (the magenta ring) goes when the
selection moves to other bins (it stayed on the old bin)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import geopandas as gpd
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit

from citymgr_desktop.core.store import Store
from tests.faults.support import assert_one_line_error, run
from tests.ui.driver import settle, type_into

CLOSEST_FEATURE_SCALE = 1000  # the closest a zoom to one asset goes (docs/editing.md)
IDS = ["HW-LD-0001", "HW-LD-0002", "HW-LD-0003"]


@pytest.fixture
def delivered(small_district, tmp_path):
    """The small district with three bins of a colleague's file imported by ``citymgr
    import`` (their ids in the column BH become the source ids), 30 m beside bins the
    district has; returns the project and the imported bins' (uuid, x, y) by id."""
    with Store.open(small_district, read_only=True) as store:
        crs = store.project_crs()
        points = [store.get_row("litter_bin", r[0])["geom"] for r in store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 3 OFFSET 40").fetchall()]
    source = tmp_path / "huanwei_bins.gpkg"
    gpd.GeoDataFrame({"BH": IDS, "MC": ["环卫1号", "环卫2号", "环卫3号"]},
                     geometry=[shapely.Point(p.x + 30, p.y) for p in points],
                     crs=crs).to_file(source, layer="bins")
    run(["import", small_district, source, "--as", "litter_bin", "--id-field", "BH",
         "--map", "MC=name"]).ok()
    with Store.open(small_district, read_only=True) as store:
        found = {}
        for sid in IDS:
            uuid, = store.conn.execute("SELECT asset_uuid FROM litter_bin WHERE source_id = ?",
                                       (sid,)).fetchone()
            p = store.get_row("litter_bin", uuid)["geom"]
            found[sid] = (uuid, p.x, p.y)
    return small_district, found


def test_citymgr_locate_finds_the_source_id_and_exits_10_on_nothing(delivered):
    path, bins = delivered
    out = json.loads(run(["locate", path, "HW-LD-0002", "--json"]).ok())
    assert [r["asset_uuid"] for r in out] == [bins["HW-LD-0002"][0]]
    shown = run(["locate", path, "hw-ld-000"]).ok()  # its beginning, in any case
    assert "3 asset(s)" in shown
    nothing = run(["locate", path, "HW-LD-9999"])
    assert nothing.rc == 10  # docs/cli.md: nothing matches, exit 10 (it was 0)
    assert "HW-LD-9999" in assert_one_line_error(nothing, {10})
    chinese = run(["locate", path, "HW-LD-9999"], env={"CITYMGR_LANG": "zh_CN"})
    assert "没有与" in assert_one_line_error(chinese, {10})
    # the same search names an asset for --asset
    run(["history", "add", path, "--asset", "HW-LD-0003", "--type", "inspection",
         "--date", "2026-11-20", "--condition-after", "4"]).ok()


def test_the_locate_box_finds_the_colleagues_id_and_shows_its_street(qtbot, window_in,
                                                                    delivered, shots):
    path, bins = delivered
    w = window_in("zh_CN", path, size=(1600, 1000))  # trial 9's window
    uuid, x, y = bins["HW-LD-0002"]
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, "HW-LD-0002")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert w.selection.all() == {"litter_bin": [uuid]}  # it said 没有找到
    assert "HW-LD-0002" in w.status_bar.currentMessage()
    settle(qtbot, w)
    assert w.canvas.scale() == pytest.approx(CLOSEST_FEATURE_SCALE, rel=0.01)
    x0, y0, x1, y1 = w.canvas.extent()
    assert x0 < x < x1 and y0 < y < y1
    shots("located-source-id", w)


def test_a_table_row_zooms_to_its_bin_no_closer_than_1_to_1000(qtbot, small_window):
    """Double-clicking a row number went to 1:91: one dot on white."""
    w = small_window
    feature = w.installed_features["editing"]
    feature.show_table("litter_bin")
    model = feature.table.model
    qtbot.waitUntil(lambda: model.rowCount() > 5, timeout=10_000)
    header = feature.table.view.verticalHeader()
    pos = QPoint(header.width() // 2, header.sectionViewportPosition(5)
                 + header.sectionSize(5) // 2)
    qtbot.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    settle(qtbot, w)
    assert w.canvas.scale() == pytest.approx(CLOSEST_FEATURE_SCALE, rel=0.01)
    # a long road is still shown whole, farther out
    feature.show_table("road_segment")
    qtbot.waitUntil(lambda: feature.table.model.rowCount() > 5, timeout=10_000)
    road = feature.table.model.uuid_at(5)
    pos = QPoint(header.width() // 2, header.sectionViewportPosition(5)
                 + header.sectionSize(5) // 2)
    qtbot.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    bx0, by0, bx1, by1 = w.store.get_row("road_segment", road)["geom"].bounds
    x0, y0, x1, y1 = w.canvas.extent()
    assert x0 < bx0 and bx1 < x1 and y0 < by0 and by1 < y1
    assert w.canvas.scale() >= CLOSEST_FEATURE_SCALE * 0.99
    settle(qtbot, w)


def test_the_locate_ring_goes_when_other_bins_are_selected(qtbot, small_window, shots):
    """Trial 10 (shots 33, 50): the ring stayed on bin 0007 after the table selected 23
    other bins. It goes when the selection moves on, and stays away when the data is drawn
    again; selecting the bin again from the identify panel brings it back."""
    w = small_window
    codes = [r[0] for r in w.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 4")]
    code7 = w.store.conn.execute(
        "SELECT obj_code FROM litter_bin ORDER BY fid LIMIT 1").fetchone()[0]
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, code7)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert len(w.canvas.highlight) == 1  # the ring on the located bin
    settle(qtbot, w)
    shots("ring-located", w)
    w.selection.set_selection("litter_bin", codes[:2], add=True)  # Shift: it stays selected
    assert len(w.canvas.highlight) == 1
    feature = w.installed_features["editing"]
    feature.show_table("litter_bin")
    view = feature.table.view
    qtbot.waitUntil(lambda: feature.table.model.rowCount() > 5, timeout=10_000)
    view.setFocus()
    view.selectRow(2)  # another bin chosen in the table
    qtbot.waitUntil(lambda: w.selection.all() == {"litter_bin": [codes[2]]}, timeout=5000)
    assert w.canvas.highlight == []
    settle(qtbot, w)
    shots("ring-gone", w)
    w.notify_data_changed({"litter_bin"})  # the map and the panel are drawn again
    settle(qtbot, w)
    assert w.canvas.highlight == []
    assert w.identify_panel.current_hit() == ("litter_bin", codes[0])  # values still shown
    panel = w.identify_panel  # a double-click on its name: "select it"
    rect = panel.visualItemRect(panel.topLevelItem(0))
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.selection.all() == {"litter_bin": [codes[0]]}
    assert len(w.canvas.highlight) == 1
    settle(qtbot, w)


def test_importing_one_bin_shows_it_with_its_street(qtbot, window_in, small_district,
                                                    tmp_path):
    """Trial 9: after the import wizard put in one bin, the map went to 1:38."""
    from PySide6.QtWidgets import QWizard

    from citymgr_desktop.ui.importing.wizard import ImportWizard
    from tests.ui.test_import_wizard import _open, _to_page

    with Store.open(small_district, read_only=True) as store:
        crs = store.project_crs()
        uuid = store.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        p = store.get_row("litter_bin", uuid)["geom"]
    source = tmp_path / "one_bin.gpkg"
    gpd.GeoDataFrame({"BH": ["HW-LD-0009"], "MC": ["环卫9号"]},
                     geometry=[shapely.Point(p.x + 30, p.y)], crs=crs).to_file(source)
    w = window_in(None, small_district)
    wiz = _open(w, qtbot, source)
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    assert wiz.mapping_page.target_combo.currentData() == "litter_bin"
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20_000)
    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: len(w.commands) == 1, timeout=20_000)
    settle(qtbot, w)
    assert w.canvas.scale() == pytest.approx(CLOSEST_FEATURE_SCALE, rel=0.01)
    x0, y0, x1, y1 = w.canvas.extent()
    assert x0 < p.x + 30 < x1 and y0 < p.y < y1
