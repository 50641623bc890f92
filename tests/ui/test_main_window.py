"""The main window as a user meets it: open the sample, the layer panel, pan and zoom, click
to select, identify, settings that persist, the feature contract, languages."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.shell import features
from citymgr_desktop.ui.shell.main_window import MainWindow
from citymgr_desktop.ui.shell.window import Window
from tests.ui.driver import answer


def window_members() -> list[str]:
    """The members of the :class:`Window` protocol: attributes, signals and methods."""
    names = set(Window.__annotations__)
    names |= {n for n, v in vars(Window).items() if callable(v) and not n.startswith("_")}
    return sorted(names)


def device_pos(window: MainWindow, x: float, y: float) -> QPoint:
    return window.canvas.view().point_to_device(x, y).toPoint()


def lonely_bin(window: MainWindow, gap_px: float = 14.0) -> int:
    """Index of a litter bin well inside the view, the only feature under the cursor there
    and with no other point feature (bin, bridge) within ``gap_px``."""
    data, view = window.map_data, window.canvas.view()
    bins = data.layer("litter_bin")
    upp = view.units_per_pixel
    tol, margin = gap_px * upp, 40 * upp
    ext = view.extent
    for i in range(bins.count):
        x, y = bins.pieces["point"].coords[i]
        if not (ext[0] + margin < x < ext[2] - margin and ext[1] + margin < y < ext[3] - margin):
            continue
        box = (x - tol, y - tol, x + tol, y + tol)
        if (window.hits_at(x, y) == [("litter_bin", bins.key(i))]
                and len(bins.query(box)) == 1 and len(data.layer("bridge").query(box)) == 0):
            return i
    raise AssertionError("no isolated bin in view")


def _in_view(window: MainWindow, x: float, y: float) -> bool:
    e = window.canvas.view().extent
    m = 20 * window.canvas.view().units_per_pixel
    return e[0] + m < x < e[2] - m and e[1] + m < y < e[3] - m


def zoom_in_on_bins(qtbot, window: MainWindow) -> None:
    ext = window.canvas.extent()
    cx, cy = (ext[0] + ext[2]) / 2, (ext[1] + ext[3]) / 2
    window.canvas.zoom_to_bbox(cx - 300, cy - 300, cx + 300, cy + 300)
    qtbot.waitUntil(window.canvas.is_settled, timeout=20_000)


def test_open_shows_layers_counts_and_legend(opened_window, district):
    w = opened_window
    panel = w.layer_panel
    assert w.store is not None and w.store.path == district
    assert panel.topLevelItemCount() == 4
    with Store.open(district, read_only=True) as store:
        counts = {li.name: li.count for li in store.layers() if li.geometry_type}
    texts = [panel.topLevelItem(i).text(0) for i in range(4)]
    assert texts[0].startswith(sc.LITTER_BIN.label("en"))  # points on top
    for name, count in counts.items():
        assert any(t.startswith(sc.ASSET_TABLES_BY_NAME[name].label("en")) and f"({count:,})" in t
                   for t in texts)
    bins = panel.topLevelItem(0)
    legend = [bins.child(i).text(0) for i in range(bins.childCount())]
    assert legend[0].startswith("1 Good") and any(t.startswith("Not assessed") for t in legend)
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")").replace(",", "")) for t in legend) == \
        counts["litter_bin"]
    assert "district.gpkg" in w.windowTitle()
    assert w.status_bar.crs.text().startswith("EPSG:4547  CGCS2000")
    assert w.status_bar.crs.toolTip() == "EPSG:4547  CGCS2000 / 3-degree Gauss-Kruger CM 114E"
    assert w.status_bar.scale.currentText().startswith("1:")


def test_layer_visibility_and_order_drive_the_canvas(qtbot, opened_window):
    w = opened_window
    panel = w.layer_panel
    assert w.canvas.layers == ["green_space", "road_segment", "bridge", "litter_bin"]
    panel.set_visible("litter_bin", False)
    assert w.canvas.layers == ["green_space", "road_segment", "bridge"]
    panel.move_layer("green_space", -3)  # to the top of the list: drawn last
    assert w.canvas.layers[-1] == "green_space"
    panel.set_current_layer("bridge")
    assert w.current_layer() == "bridge"
    w.zoom_to_layer("bridge")
    b = w.map_data.layer("bridge").bounds
    ext = w.canvas.extent()
    assert ext[0] <= b[0] and ext[2] >= b[2]
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_pan_and_zoom_change_the_extent_and_scale(qtbot, opened_window):
    w = opened_window
    ext0, scale0 = w.canvas.extent(), w.canvas.scale()
    w.actions_by_name["zoom_in"].trigger()
    assert w.canvas.scale() == pytest.approx(scale0 / 2)
    assert w.status_bar.scale.currentText() == f"1:{round(w.canvas.scale()):,}"
    qtbot.mousePress(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(w.canvas, QPoint(320, 300))
    qtbot.mouseMove(w.canvas, QPoint(340, 300))
    qtbot.mouseRelease(w.canvas, Qt.MouseButton.LeftButton, pos=QPoint(340, 300))
    assert w.canvas.extent()[0] < ext0[0] + (ext0[2] - ext0[0]) / 4
    w.actions_by_name["zoom_full"].trigger()
    assert w.canvas.scale() == pytest.approx(scale0)
    w.status_bar.scale.setEditText("1:2000")
    w.status_bar._scale_typed()
    assert w.canvas.scale() == pytest.approx(2000)
    qtbot.mouseMove(w.canvas, QPoint(100, 100))
    assert w.status_bar.coords.text().startswith("X ")
    assert "°E" in w.status_bar.lonlat.text() and "°N" in w.status_bar.lonlat.text()
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_click_selects_the_feature_under_the_cursor(qtbot, opened_window):
    w = opened_window
    zoom_in_on_bins(qtbot, w)
    bins = w.map_data.layer("litter_bin")
    i = lonely_bin(w)
    x, y = bins.pieces["point"].coords[i]
    w.actions_by_name["tool_select"].trigger()
    assert w.canvas.tool == "select"
    qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton, pos=device_pos(w, x, y))
    assert w.selection.all() == {"litter_bin": [bins.key(i)]}
    assert w.status_bar.selection.text() == "1 selected"
    # Shift adds another; Ctrl toggles it off again; a click on nothing clears
    others = [k for k in range(bins.count) if k != i]
    j = next(k for k in others if w.hits_at(*bins.pieces["point"].coords[k])[:1]
             == [("litter_bin", bins.key(k))] and _in_view(w, *bins.pieces["point"].coords[k]))
    xj, yj = bins.pieces["point"].coords[j]
    qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=device_pos(w, xj, yj))
    assert set(w.selection.selected("litter_bin")) == {bins.key(i), bins.key(j)}
    qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=device_pos(w, xj, yj))
    assert w.selection.selected("litter_bin") == [bins.key(i)]
    qtbot.waitUntil(lambda: w.canvas._frames["overlay"] is not None, timeout=20_000)
    w.actions_by_name["zoom_selection"].trigger()
    ext = w.canvas.extent()
    assert ext[0] < x < ext[2] and ext[1] < y < ext[3] and ext[2] - ext[0] < 200
    w.actions_by_name["clear_selection"].trigger()
    assert w.selection.count() == 0
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_identify_shows_the_assets_values(qtbot, opened_window, district):
    w = opened_window
    zoom_in_on_bins(qtbot, w)
    bins = w.map_data.layer("litter_bin")
    i = lonely_bin(w)
    x, y = bins.pieces["point"].coords[i]
    w.actions_by_name["tool_identify"].trigger()
    qtbot.mouseClick(w.canvas, Qt.MouseButton.LeftButton, pos=device_pos(w, x, y))
    panel = w.identify_panel
    assert panel.topLevelItemCount() == 1
    top = panel.topLevelItem(0)
    rows = {top.child(k).text(0): top.child(k).text(1) for k in range(top.childCount())}
    with Store.open(district, read_only=True) as store:
        row = store.get_row("litter_bin", bins.key(i))
    assert rows["Asset UUID"] == row["asset_uuid"]
    assert rows["Object code"] == row["obj_code"]
    if row["condition"] is not None:
        cond_label = sc.LITTER_BIN.field("condition").get_domain().label(row["condition"], "en")
        assert rows["Condition"] == f"{row['condition']} {cond_label}"
    if row["bin_type"] is not None:  # text codes read by their label only
        assert rows["Bin type"] == sc.LITTER_BIN.field("bin_type").get_domain().label(
            row["bin_type"], "en")
    assert w.dock("identifyDock").isVisible()
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_recent_files_and_layout_persist(qtbot, isolated_settings, district, sample_copy):
    w = MainWindow()
    w.resize(700, 500)
    w.show()
    for path in (district, sample_copy):
        with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
            w.open_file(path)
    assert w.recent_files()[:2] == [str(sample_copy), str(district)]
    assert [a.text() for a in w.recent_menu.actions()][:2] == ["&1 sample_copy.gpkg",
                                                               "&2 district.gpkg"]
    qtbot.wait(300)  # the first layout's timers (dock sizes, repair) have run
    w.resize(711, 533)  # the offscreen screen is 800x600: stay inside it
    # the docks' minimum may widen the window (beyond the screen when both side docks are
    # open); restoring keeps a window on its screen
    room = w.screen().availableGeometry()
    size = (min(w.width(), room.width() - 2), min(w.height(), room.height()))
    w.close()
    again = MainWindow()
    try:
        assert again.recent_files()[:2] == [str(sample_copy), str(district)]
        assert abs(again.width() - size[0]) <= 2 and again.height() == size[1], (
            again.width(), again.height(), size)
    finally:
        again.close()


def test_no_two_actions_share_a_shortcut(main_window):
    seen: dict[str, str] = {}
    for action in main_window.findChildren(type(main_window.actions_by_name["open"])):
        for seq in action.shortcuts():
            key = seq.toString()
            assert key not in seen, f"{key} is on {seen[key]!r} and {action.text()!r}"
            seen[key] = action.text()
    assert main_window.feature_errors == {}


def test_a_broken_feature_is_logged_not_fatal(qtbot, isolated_settings, monkeypatch, caplog):
    def boom(window):
        raise RuntimeError("feature exploded")

    bad = types.SimpleNamespace(__name__="citymgr_desktop.ui.features.broken", ORDER=1,
                                install=boom)
    monkeypatch.setattr(features, "discover", lambda errors=None: [bad])
    w = MainWindow()
    assert "citymgr_desktop.ui.features.broken" in w.feature_errors
    assert "feature exploded" in caplog.text
    assert w.menu("file") is not None
    w.close()


def test_main_window_satisfies_the_window_protocol(main_window):
    """Every member of the contract features are typed against (ui/shell/window.py)."""
    members = window_members()
    assert {"store", "storeChanged", "commands", "map_data", "hits_at", "lang"} <= set(members)
    assert [name for name in members if not hasattr(main_window, name)] == []
    assert [name for name in members if callable(getattr(Window, name, None))
            and not callable(getattr(main_window, name))] == []
    assert isinstance(main_window, Window)


def test_the_documented_contract_is_the_protocol():
    """docs/ui-architecture.md lists exactly the members of ui/shell/window.py (apart from
    the QMainWindow members, named in its text)."""
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs/ui-architecture.md").read_text("utf-8")
    section = doc.split("## The window contract")[1].split("### Window conventions")[0]
    documented = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            for code in re.findall(r"`([^`]+)`", line.split(" | ")[0]):
                name = re.match(r"[A-Za-z_]\w*", code)
                if name and not code[name.end():].startswith("."):  # not canvas.set_tool
                    documented.add(name.group())
    qt_own = {"windowTitle", "setWindowTitle", "windowTitleChanged", "setWindowModified",
              "findChild", "findChildren", "dockWidgetArea", "tabifiedDockWidgets",
              "tabifyDockWidget", "close", "activateWindow"}
    assert all(f"`{name}`" in section for name in qt_own)
    assert documented == set(window_members()) - qt_own


def test_contract_members(main_window):
    w = main_window
    for name in ("store", "storeChanged", "open_file", "commands", "dataChanged",
                 "notify_data_changed", "selection", "canvas", "current_layer", "menu",
                 "toolbar", "add_dock", "user_name", "status"):
        assert hasattr(w, name), name
    for key in ("file", "edit", "view", "layer", "asset", "workorder", "tools", "settings",
                "help"):
        assert w.menu(key) is not None
    assert w.user_name() == "测试员"  # asked once on a real first run (a scenario)
    QSettings().setValue("user/name", "王工")
    assert w.user_name() == "王工"
    for name in ("refresh", "zoom_to_bbox", "extent", "clicked"):
        assert hasattr(w.canvas, name), name


def test_open_errors_are_shown_and_nothing_changes(qtbot, main_window, tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("not a database")
    with answer(qtbot, "OK", kind=QMessageBox, title="Open") as shown:
        assert main_window.open_file(bad) is False
    assert main_window.store is None
    assert "not a GeoPackage" in shown.text and "\n" not in shown.text


def test_dropping_a_gpkg_opens_it(qtbot, main_window, district):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(district))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.dropEvent(event)
    assert main_window.store.path == district
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=20_000)


def test_data_changes_reload_the_layer(qtbot, opened_window):
    w = opened_window
    store = w.store
    bins = w.map_data.layer("litter_bin")
    key = bins.key(0)
    with store.session() as conn:
        conn.execute("UPDATE litter_bin SET retired_at='2026-11-26T00:00:00' WHERE asset_uuid=?",
                     (key,))
    with qtbot.waitSignal(w.canvas.renderFinished, timeout=30_000):
        w.notify_data_changed({"litter_bin"})
    assert w.map_data.layer("litter_bin").count == bins.count - 1
    assert len(w.map_data.layer("litter_bin").indices_of([key])) == 0
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_chinese_interface(window_in):
    w = window_in("zh_CN")
    assert w.menu("file").title() == "文件(&F)"
    assert w.actions_by_name["zoom_full"].text() == "全图显示(&F)"
    assert w.layer_panel.windowTitle() == "图层"


def test_closing_asks_the_close_guards(qtbot, opened_window):
    w = opened_window
    answers = [False]
    w.add_close_guard(lambda: answers[0])
    assert w.close_file() is False and w.store is not None
    answers[0] = True
    assert w.close_file() is True and w.store is None
    assert QMessageBox is not None
