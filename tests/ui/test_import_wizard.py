"""The import wizard and File > Import data…, in a window that offers exactly the documented
main-window contract: pages driven as a person would, the worker with progress and Cancel,
the import as one undo step, errors as one line, and the Chinese translation."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QWizard

from citymgr_desktop.core.store import Store
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.importing import feature, report_page
from citymgr_desktop.ui.importing import wizard as wizard_module
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.ui._edit_window import ContractWindow

SHOTS = Path(os.environ.get("CITYMGR_SHOTS", "/tmp/citymgr-shots"))


class ImportWindow(ContractWindow):
    """The documented main-window contract, with the importing engineer's name."""

    def user_name(self) -> str:
        return "导入员"


@pytest.fixture(autouse=True)
def own_settings(tmp_path, qapp):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "cfg"))
    QCoreApplication.setOrganizationName("citymgr-test")
    QCoreApplication.setApplicationName(f"import-{tmp_path.name}")
    QSettings().clear()
    yield
    i18n.install("en")


@pytest.fixture
def errors(monkeypatch):
    seen: list[BaseException] = []
    monkeypatch.setattr(wizard_module, "show_error", lambda parent, title, exc: seen.append(exc))
    return seen


@pytest.fixture
def window(qtbot, tmp_path):
    project = src.new_project(tmp_path / "project.gpkg")
    store = Store.open(project)
    win = ImportWindow(store)
    qtbot.addWidget(win)
    yield win
    store.close()


def _count(store, table):
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _to_page(qtbot, wiz: ImportWizard, page_id: int) -> None:
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentId() == page_id and not wiz.busy(), timeout=20000)


def _open(window, qtbot, path: Path) -> ImportWizard:
    action = feature.install(window)
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+I"
    wiz = feature.open_wizard(window)
    qtbot.addWidget(wiz)
    wiz.source_page.set_path(str(path))
    return wiz


def test_whole_import_through_the_wizard_is_one_undo_step(window, qtbot, tmp_path, errors):
    roads = src.geojson_roads(tmp_path)
    wiz = _open(window, qtbot, roads)
    assert wiz.source_page.layer_combo.currentData() == "roads"
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    page = wiz.mapping_page
    assert page.target_combo.currentData() == "road_segment"  # guessed from the lines
    m = page.current_mapping()
    assert (m.fields["name"], m.fields["condition"], m.fields["source_id"]) == (
        "名称", "技术状况", "编号")
    page.set_source("remarks", "路面类型")  # a person adds one
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    values = wiz.values_page
    assert ("condition", "差不多") in values.unmatched_rows()
    values.choose("condition", "差不多", 3)
    values.choose("road_class", "小街", "branch")
    assert values.unmatched_rows() == []
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    report = wiz.state.dry_run.report
    assert (report.inserted, report.skipped_count) == (6, 3) and not report.unmatched
    assert "New assets" in wiz.report_page.text.toPlainText()
    assert wiz.report_page.preview.counts() == {"insert": 6}
    assert _count(window.store, "road_segment") == 0  # the dry run wrote nothing
    SHOTS.mkdir(parents=True, exist_ok=True)
    wiz.resize(1100, 720)
    wiz.grab().save(str(SHOTS / "import_wizard_report.png"))

    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: len(window.commands) == 1, timeout=20000)
    assert not errors
    store = window.store
    rows = dict(store.conn.execute("SELECT source_id, condition FROM road_segment"))
    assert rows["R3#1"] == 3 and len(rows) == 6
    assert store.conn.execute("SELECT DISTINCT updated_by FROM road_segment").fetchall() == [
        ("导入员",)]
    assert window.changed[-1] == {"road_segment"} and window.canvas.zoomed is not None
    assert "6 new" in window.messages[-1]
    window.commands.undo()
    assert _count(store, "road_segment") == 0
    window.commands.redo()
    assert _count(store, "road_segment") == 6


def test_cancel_during_the_import_changes_nothing(window, qtbot, tmp_path, errors,
                                                  monkeypatch):
    real = report_page.run_import

    def cancelled_by_user(*args, progress=None, **kwargs):
        progress.cancel()  # the person pressed Cancel in the progress dialog
        return real(*args, progress=progress, **kwargs)

    bins = src.shapefile_bins(tmp_path)
    wiz = _open(window, qtbot, bins)
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    assert wiz.mapping_page.target_combo.currentData() == "litter_bin"
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    monkeypatch.setattr(report_page, "run_import", cancelled_by_user)
    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=20000)
    assert [type(e).__name__ for e in errors] == ["CancelledError"]
    assert _count(window.store, "litter_bin") == 0 and len(window.commands) == 0
    assert wiz.isVisible() and wiz.isEnabled()  # still there to try again


def test_bad_source_and_bad_constant_are_one_line_errors(window, qtbot, tmp_path, errors):
    broken = tmp_path / "broken.geojson"
    broken.write_text("{ not json", encoding="utf-8")
    wiz = _open(window, qtbot, broken)
    wiz.next()
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=20000)
    assert wiz.currentId() == ImportWizard.PAGE_SOURCE
    assert errors and "\n" not in str(errors[-1])

    wiz.source_page.set_path(str(src.shapefile_bins(tmp_path)))
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    page = wiz.mapping_page
    row = [page.table.item(r, 0).text() for r in range(page.table.rowCount())].index(
        "Capacity (L) (capacity_l)")
    page.set_source("capacity_l", None)
    page.table.cellWidget(row, 2).setText("huge")
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    wiz.next()
    qtbot.waitUntil(lambda: not wiz.busy() and errors[-1] is not errors[0], timeout=20000)
    assert "capacity_l" in str(errors[-1]) and "whole number" in str(errors[-1])
    assert not wiz.report_page.isComplete()  # no Import without a clean dry run


def test_profile_loaded_in_the_wizard_replaces_the_suggestions(window, qtbot, tmp_path, errors):
    from citymgr_desktop.core.importing import ImportMapping
    from citymgr_desktop.core.importing.profile import save_profile
    from citymgr_desktop.core.importing.sources import SourceOptions

    bins = src.shapefile_bins(tmp_path)
    profile = tmp_path / "bins.toml"
    save_profile(profile, ImportMapping("litter_bin", fields={"source_id": "编号"},
                                        constants={"district": "首义街道"}),
                 SourceOptions(encoding="GBK"))
    wiz = _open(window, qtbot, bins)
    assert wiz.source_page.load_profile(str(profile))
    assert wiz.source_page.encoding_combo.currentData() == "GBK"
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    m = wiz.mapping_page.current_mapping()
    assert m.fields == {"source_id": "编号"} and m.constants == {"district": "首义街道"}
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    assert wiz.values_page.table.rowCount() == 0
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    out = tmp_path / "again.json"
    assert wiz.report_page.save_profile(str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["constants"] == {"district": "首义街道"}


def test_read_only_file_disables_the_action(qtbot, tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    with Store.open(project, read_only=True) as store:
        win = ImportWindow(store)
        qtbot.addWidget(win)
        action = feature.install(win)
        assert not action.isEnabled()
        assert feature.open_wizard(win) is None and "read-only" in win.messages[-1]


def test_chinese_wizard(window, qtbot, tmp_path, errors):
    i18n.install("zh_CN")
    root = Path(__file__).resolve().parents[2]
    catalogue = json.loads((root / "citymgr_desktop/resources/i18n/zh_CN/importer.json").read_text("utf-8"))
    assert catalogue["Import data"] == "导入数据"
    action = feature.install(window)
    assert action.text() == "导入数据…"
    wiz = feature.open_wizard(window)
    qtbot.addWidget(wiz)
    assert wiz.windowTitle() == "导入数据"
    wiz.source_page.set_path(str(src.csv_bridges(tmp_path)))
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    wiz.mapping_page.target_combo.setCurrentIndex(
        wiz.mapping_page.target_combo.findData("bridge"))
    assert wiz.mapping_page.target_combo.currentText() == "桥梁 (bridge)"
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    assert "新增资产" in wiz.report_page.text.toPlainText()
    SHOTS.mkdir(parents=True, exist_ok=True)
    wiz.resize(1100, 720)
    wiz.grab().save(str(SHOTS / "import_wizard_report_zh.png"))
    wiz.back()
    wiz.back()
    wiz.grab().save(str(SHOTS / "import_wizard_fields_zh.png"))


def test_table_columns_given_by_hand(window, qtbot, tmp_path, errors):
    path = tmp_path / "points.csv"
    e, n = src.xy(1, 1)
    path.write_text(f"编号,东,北\nA,{e:.2f},{n:.2f}\n", encoding="utf-8")
    wiz = _open(window, qtbot, path)
    assert wiz.source_page.x_edit.isEnabled()
    wiz.next()
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=20000)
    assert "no coordinates found" in str(errors[-1])  # 东/北 are not names it knows
    wiz.source_page.x_edit.setText("东")
    wiz.source_page.y_edit.setText("北")
    wiz.source_page.crs_edit.setText("EPSG:4547")
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    geom = wiz.state.data.geometries[0]
    assert abs(geom.x - e) < 0.01 and abs(geom.y - n) < 0.01


def test_the_report_page_lets_the_user_pick_another_transformation(qtbot, tmp_path, errors):
    """Slovakia (Natural Earth) into an S-JTSK project: PROJ's 1 m transformation for the data
    is used; choosing the 6 m one on the report page runs the check again with it."""
    import pyogrio
    from PySide6.QtCore import Qt

    from citymgr_desktop.core.store import create as project

    ne = Path(__file__).resolve().parents[1] / "data" / "naturalearth" / "naturalearth_lowres.shp"
    sk = tmp_path / "slovakia.shp"
    pyogrio.write_dataframe(pyogrio.read_dataframe(ne, where="name = 'Slovakia'"), sk)
    store = Store.open(project.create_project(tmp_path / "sk.gpkg", "EPSG:5514"))
    window = ImportWindow(store)
    qtbot.addWidget(window)
    wiz = _open(window, qtbot, sk)
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    page = wiz.report_page
    combo = page.transformation
    assert combo.isVisibleTo(wiz) and combo.count() >= 3
    assert "S-JTSK to WGS 84 (4)" in combo.currentText() and "(1 m)" in combo.currentText()
    assert "accuracy 1 m" in page.text.toPlainText()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the next one: S-JTSK to WGS 84 (3), 6 m
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None and not wiz.busy(), timeout=20000)
    assert wiz.state.mapping.transformation == 2
    assert "S-JTSK to WGS 84 (3)" in wiz.state.dry_run.report.crs["transformation"]
    assert "S-JTSK to WGS 84 (3)" in combo.currentText()
    assert not errors
    SHOTS.mkdir(parents=True, exist_ok=True)
    wiz.resize(1100, 720)
    wiz.grab().save(str(SHOTS / "import_wizard_transformation.png"))
    store.close()
