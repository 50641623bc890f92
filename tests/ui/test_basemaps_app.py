"""Base maps in the app, through the real window: Add… in the Map layers dock, typed into
the dialog, tiles fetched off the UI thread from a server started here and drawn under the
assets on the canvas; visibility and opacity by clicks, kept in the project; a refused file
is said in the dialog, a failing server in the status line."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from citymgr_desktop.core.basemaps import project_layers
from citymgr_desktop.core.store import Store
from tests.basemap_support import COLOURS, quadrant, tile_server, write_quadrant_geotiff


@pytest.fixture
def window(opened_window, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYMGR_TILE_CACHE", str(tmp_path / "tiles"))
    return opened_window


def _fill_add_dialog(qtbot, window, location: str, crs: str = "") -> list[str]:
    """Click Add…, type into the dialog and press OK; returns the dialog's error text."""
    seen: list[str] = []

    def interact():
        dialog = QApplication.activeModalWidget()
        assert dialog is not None and dialog.objectName() == "addLayerDialog"
        qtbot.keyClicks(dialog.findChild(QLineEdit, "layerLocation"), location)
        if crs:
            qtbot.keyClicks(dialog.findChild(QLineEdit, "layerCrs"), crs)
        ok = [b for b in dialog.findChildren(QPushButton) if b.text() in ("OK", "确定", "&OK")]
        qtbot.mouseClick(ok[0], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible() or ok[0].isEnabled(), timeout=20_000)
        seen.append(dialog.findChild(type(dialog.error), "addLayerError").text())
        if dialog.isVisible():
            dialog.reject()

    dock = window.dock("mapLayersDock")
    if dock.isHidden():  # closed until asked for: View > Panels > Map layers
        dock.toggleViewAction().trigger()
    dock.raise_()
    qtbot.waitUntil(lambda: window.findChild(QPushButton, "addMapLayer").isVisible(),
                    timeout=5000)
    QTimer.singleShot(0, interact)
    add = window.findChild(QPushButton, "addMapLayer")
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    return seen


def _canvas_pixels(window) -> np.ndarray:
    image = window.canvas.grab().toImage().convertToFormat(
        window.canvas.grab().toImage().Format.Format_RGB888)
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, bpl)[:, :w * 3].reshape(
        h, w, 3).copy()


def _wait_for_tiles(qtbot, canvas) -> None:
    """Until every tile asked for has come and the map drawn with it is settled."""
    qtbot.waitUntil(lambda: canvas.backdrop is not None and canvas.backdrop.pending == 0
                    and canvas.is_settled(), timeout=30_000)
    qtbot.wait(200)
    qtbot.waitUntil(canvas.is_settled, timeout=30_000)


def _quadrant_pixels(window, to_image: Transformer, centre: tuple[float, float]
                     ) -> dict[str, int]:
    """How many sampled canvas pixels well inside each quadrant round ``centre`` have that
    quadrant's colour (``to_image`` takes map coordinates to the CRS of ``centre``, the
    image's)."""
    canvas = window.canvas
    pixels = _canvas_pixels(window)
    dpr = canvas.devicePixelRatioF()
    found = {name: 0 for name in COLOURS}
    for row in range(10, pixels.shape[0] - 40, 9):
        for col in range(10, pixels.shape[1] - 10, 9):
            x, y = canvas.view().to_map(col * dpr, row * dpr)
            names = {quadrant(*to_image.transform(x + dx, y + dy), *centre)
                     for dx in (-30, 30) for dy in (-30, 30)}
            if len(names) == 1:
                name = names.pop()
                if (np.abs(pixels[row, col].astype(int) - COLOURS[name]) <= 3).all():
                    found[name] += 1
    return found


def test_tiles_added_in_the_dock_draw_under_the_assets(qtbot, window):
    canvas = window.canvas
    view = canvas.view()
    crs = canvas.map_crs
    cx, cy = (view.extent[0] + view.extent[2]) / 2, (view.extent[1] + view.extent[3]) / 2
    to_merc = Transformer.from_crs(crs, 3857, always_xy=True)
    with tile_server(to_merc.transform(cx, cy)) as server:
        errors = _fill_add_dialog(qtbot, window, server.url())
        assert errors == [""]
        # the first frame does not wait for the tiles; they come, and the map is drawn again
        qtbot.waitUntil(lambda: server.requests["quad"] > 0, timeout=10_000)
        _wait_for_tiles(qtbot, canvas)
    with Store.open(window.store.path, read_only=True) as store:
        assert [la.kind for la in project_layers(store)] == ["xyz"]
    found = _quadrant_pixels(window, to_merc, to_merc.transform(cx, cy))
    assert all(n > 20 for n in found.values()), found  # each quadrant where it belongs
    # hide it with its check box: the canvas is white under the assets again
    rows = window.findChild(type(window.findChild(QPushButton, "addMapLayer").parent()),
                            "mapLayersWidget").rows
    item = rows.item(0)
    rect = rows.visualItemRect(item)
    qtbot.mouseClick(rows.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.left() + 10, rect.center().y()))
    qtbot.waitUntil(lambda: item.checkState() == Qt.CheckState.Unchecked, timeout=2000)
    qtbot.waitUntil(canvas.is_settled, timeout=30_000)
    with Store.open(window.store.path, read_only=True) as store:
        assert project_layers(store)[0].visible is False
    qtbot.waitUntil(lambda: not any(
        (np.abs(_canvas_pixels(window)[::9, ::9].astype(int) - c) <= 3).all(axis=2).sum() > 50
        for c in COLOURS.values()), timeout=10_000)


def test_a_wmts_geographic_set_typed_into_the_dialog_draws_on_the_canvas(qtbot, window):
    canvas = window.canvas
    view = canvas.view()
    cx, cy = (view.extent[0] + view.extent[2]) / 2, (view.extent[1] + view.extent[3]) / 2
    to_merc = Transformer.from_crs(canvas.map_crs, 3857, always_xy=True)
    centre = to_merc.transform(cx, cy)
    with tile_server(centre) as server:
        caps = f"wmts:http://127.0.0.1:{server.httpd.server_address[1]}/wmts/capabilities"
        assert "roads" in _fill_add_dialog(qtbot, window, f"{caps}?layer=roads")[0]
        assert _fill_add_dialog(qtbot, window, f"{caps}?layer=quad&tilematrixset=c") == [""]
        qtbot.waitUntil(lambda: server.wmts_tiles["c"] > 0, timeout=10_000)
        _wait_for_tiles(qtbot, canvas)
    with Store.open(window.store.path, read_only=True) as store:
        assert [la.kind for la in project_layers(store)] == ["wmts"]
    found = _quadrant_pixels(window, to_merc, centre)
    assert all(n > 20 for n in found.values()), found  # each quadrant where it belongs


def test_a_file_without_crs_is_refused_in_the_dialog_and_accepted_with_one(qtbot, window,
                                                                          tmp_path):
    tif = write_quadrant_geotiff(tmp_path / "nocrs.tif", None, (0, 0, 10, 10), (5, 5))
    errors = _fill_add_dialog(qtbot, window, str(tif))
    assert "no coordinate reference system" in errors[0]
    errors = _fill_add_dialog(qtbot, window, str(tif), crs="EPSG:4547")
    assert errors == [""]
    with Store.open(window.store.path, read_only=True) as store:
        assert [(la.name, la.crs) for la in project_layers(store)] == [("nocrs", "EPSG:4547")]


def test_a_failing_server_is_one_status_line(qtbot, window):
    with tile_server((0.0, 0.0)) as server:
        _fill_add_dialog(qtbot, window, server.url("missing"))
        qtbot.waitUntil(lambda: "HTTP 404" in window.findChild(
            QPushButton, "addMapLayer").parent().status.text(), timeout=30_000)
    assert window.canvas.data is not None and window.canvas.last_render_seconds > 0


def test_the_dock_and_the_refusal_in_chinese(chinese, qtbot, window, tmp_path):
    dock = window.dock("mapLayersDock")
    assert dock is not None and dock.windowTitle() == "底图与参考图层"
    assert window.findChild(QPushButton, "addMapLayer").text() == "添加…"
    tif = write_quadrant_geotiff(tmp_path / "nocrs_zh.tif", None, (0, 0, 10, 10), (5, 5))
    errors = _fill_add_dialog(qtbot, window, str(tif))
    assert "没有坐标参考系" in errors[0] and "no coordinate" not in errors[0]
    errors = _fill_add_dialog(qtbot, window, "https://webrd01.is.autonavi.com/{z}/{x}/{y}.png")
    assert "GCJ-02" in errors[0] and "偏移" in errors[0]


def test_an_orthophoto_added_in_the_dock_lands_at_its_place(qtbot, window, tmp_path):
    canvas = window.canvas
    view = canvas.view()
    cx, cy = (view.extent[0] + view.extent[2]) / 2, (view.extent[1] + view.extent[3]) / 2
    to_lonlat = Transformer.from_crs(canvas.map_crs, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(cx, cy)
    tif = write_quadrant_geotiff(tmp_path / "ortho.tif", "EPSG:4326",
                                 (lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05), (lon, lat))
    assert _fill_add_dialog(qtbot, window, str(tif)) == [""]
    qtbot.waitUntil(lambda: canvas.backdrop is not None and canvas.is_settled(), timeout=30_000)
    qtbot.wait(100)
    qtbot.waitUntil(canvas.is_settled, timeout=30_000)
    found = _quadrant_pixels(window, to_lonlat, (lon, lat))
    assert all(n > 20 for n in found.values()), found


@pytest.mark.dialog_patience(90)  # a held answer and a cancel: slow on a loaded machine
def test_a_slow_wmts_server_never_freezes_the_window_and_cancel_adds_nothing(qtbot, window):
    """The capabilities are read off the UI thread: while the server holds its answer the
    window keeps painting (timer ticks arrive), the progress dialog's Cancel returns to the
    Add dialog with nothing added; once the server answers, OK adds the layer."""
    from PySide6.QtWidgets import QDialog, QProgressDialog

    with tile_server((0.0, 0.0)) as server:
        caps = (f"wmts:http://127.0.0.1:{server.httpd.server_address[1]}/wmts/slowcaps"
                "?layer=quad&tilematrixset=c")
        seen: dict[str, object] = {}
        ticks: list[int] = []
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))

        def interact():
            dialog = QApplication.activeModalWidget()
            assert dialog is not None and dialog.objectName() == "addLayerDialog"
            dialog.findChild(QLineEdit, "layerLocation").setText(caps)  # typed: tests above
            ok = dialog.ok_button
            timer.start(20)
            qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
            assert not ok.isEnabled()  # one check at a time
            qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(),
                                               QProgressDialog), timeout=5000)
            progress = QApplication.activeModalWidget()
            qtbot.wait(300)
            seen["ticks while waiting"] = len(ticks)
            cancel = progress.findChildren(QPushButton)[0]
            qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
            server.release_slow.set()  # the answer arrives after the cancel: dropped
            qtbot.waitUntil(ok.isEnabled, timeout=60_000)
            seen["after cancel"] = (dialog.isVisible(), dialog.layer, dialog.error.text())
            qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # now the server answers at once
            qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60_000)
            seen["result"] = dialog.result()
            timer.stop()

        dock = window.dock("mapLayersDock")
        if dock.isHidden():
            dock.toggleViewAction().trigger()
        dock.raise_()
        QTimer.singleShot(0, interact)
        qtbot.mouseClick(window.findChild(QPushButton, "addMapLayer"), Qt.MouseButton.LeftButton)
    assert seen["ticks while waiting"] > 5, seen
    assert seen["after cancel"] == (True, None, ""), seen
    assert seen["result"] == QDialog.DialogCode.Accepted
    with Store.open(window.store.path, read_only=True) as store:
        assert [la.kind for la in project_layers(store)] == ["wmts"]
