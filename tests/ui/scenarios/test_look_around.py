"""Looking at the district with real input: open a file from the File menu, identify an
asset (office time, outlined on the map), locate one by its code or a sub-district by name,
measure a distance and an area."""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog
from shapely.geometry import Point

from citymgr_desktop.core.clock import format_local
from tests.ui.driver import (
    CTRL,
    answer,
    choose_file,
    click_map,
    map_point,
    menu_item,
    press,
    settle,
    type_into,
)
from tests.ui.scenarios.helpers import zoom_on_a_bin

ALT = Qt.KeyboardModifier.AltModifier


def test_open_a_file_from_the_file_menu(qtbot, main_window, district, shots):
    w = main_window
    QSettings().setValue("files/lastDir", str(district.parent))  # the folder used last time
    with answer(qtbot, None, fill=choose_file(qtbot, district), kind=QFileDialog):
        menu_item(qtbot, w, "file", "Open")
    qtbot.waitUntil(lambda: w.map_data is not None, timeout=30_000)
    settle(qtbot, w)
    assert w.store is not None and w.store.path == district
    assert w.windowTitle().startswith(district.name)
    assert w.current_layer() == w.layer_panel.all_layers()[-1]  # the top layer is current
    assert w.edit_session is not None and w.is_project
    shots("opened", w)


def test_identify_shows_office_time_and_outlines_the_asset(qtbot, opened_window, shots):
    w = opened_window
    uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_I, CTRL | ALT)
    click_map(qtbot, w, x, y)
    top = w.identify_panel.topLevelItem(0)
    values = {top.child(k).text(0): top.child(k).text(1) for k in range(top.childCount())}
    stored = w.store.get_row("litter_bin", uuid)["updated_at"]
    assert values["Updated at"] == format_local(stored)  # UTC in the file, office time shown
    assert "T" not in values["Updated at"]
    assert len(w.canvas.highlight) == 1 and w.canvas.highlight[0].distance(
        Point(x, y)) < 0.01
    shots("identified", w)


def test_locate_by_object_code_and_by_sub_district(qtbot, opened_window, shots):
    w = opened_window
    row = w.store.get_rows("litter_bin", [w.edit_session.select("litter_bin", "true")[7]])
    (uuid, values), = row.items()
    box = w.property("locate_box")
    press(qtbot, w, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(box.hasFocus)
    type_into(qtbot, box, values["obj_code"])
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert w.selection.all() == {"litter_bin": [uuid]}
    assert w.current_layer() == "litter_bin"
    geom = values["geom"]
    ext = w.canvas.extent()
    assert ext[0] < geom.x < ext[2] and ext[1] < geom.y < ext[3] and ext[2] - ext[0] < 500
    assert w.canvas.scale() >= 990  # its street around it (1:1,000 at the closest), not 1:93
    assert w.canvas.highlight
    settle(qtbot, w)
    shots("located-code", w)
    district = values["district"]
    type_into(qtbot, box, district)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    (bbox, _n), = w.store.asset_extents_by("district", w.map_data.names(),
                                           district=district).values()
    ext = w.canvas.extent()
    assert ext[0] <= bbox[0] and ext[2] >= bbox[2] and ext[1] <= bbox[1] and ext[3] >= bbox[3]
    settle(qtbot, w)
    shots("located-district", w)


def test_measure_a_distance_and_an_area(qtbot, opened_window, shots):
    w = opened_window
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_M, CTRL | ALT)
    assert w.canvas.tool == "measure"
    pts = [(x - 60, y - 40), (x + 60, y - 40), (x + 60, y + 40)]
    for px, py in pts:
        click_map(qtbot, w, px, py)
    qtbot.mouseDClick(w.canvas, Qt.MouseButton.LeftButton, pos=map_point(w, *pts[-1]))
    tool = w.tools.tool("measure")
    length, area = tool.length(), tool.area()
    assert math.isclose(length, 120 + 80, rel_tol=0.02)  # the CRS is in metres
    assert math.isclose(area, 120 * 80 / 2, rel_tol=0.03)
    message = w.status_bar.currentMessage()
    assert "Distance: 2" in message and "Area: 4" in message, message
    shots("measured", w)
    press(qtbot, w, Qt.Key.Key_Escape)  # a new measurement
    assert tool.points == []
    press(qtbot, w, Qt.Key.Key_Escape)  # and back to panning
    assert w.canvas.tool == "pan"
