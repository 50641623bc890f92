"""The import wizard and File > Import data… in the real main window: pages driven as a
person would, the worker with progress and Cancel, the import as one undo step, errors as
one line in a message box that is clicked away, and the Chinese translation."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWizard

from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.importing import feature, report_page
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.ui.driver import answer

SHOTS = Path(os.environ.get("CITYMGR_SHOTS", "/tmp/citymgr-shots"))


@pytest.fixture
def window(qtbot, main_window, tmp_path):
    """The real window on a new, empty project, with the importing engineer's name."""
    QSettings().setValue("user/name", "导入员")
    project = src.new_project(tmp_path / "project.gpkg")
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(project)
    main_window.changed = []
    main_window.dataChanged.connect(lambda tables: main_window.changed.append(set(tables)))
    yield main_window
    for wiz in main_window.findChildren(ImportWizard):  # close what the test opened
        qtbot.waitUntil(lambda w=wiz: not w.busy(), timeout=20_000)
        wiz.close()
    i18n.install("en")


def _count(store, table):
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _to_page(qtbot, wiz: ImportWizard, page_id: int) -> None:
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentId() == page_id and not wiz.busy(), timeout=20000)


def _open(window, qtbot, path: Path) -> ImportWizard:
    action = window.findChild(QAction, "action_import_data")
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+I"
    action.trigger()
    wiz = window.findChild(ImportWizard)
    wiz.source_page.set_path(str(path))
    return wiz


def _next_refused(qtbot, wiz: ImportWizard) -> str:
    """Next, refused with a one-line message that is clicked away; returns its text."""
    with answer(qtbot, "OK", kind=QMessageBox) as box:
        wiz.next()
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=20000)
    return box.text


def test_whole_import_through_the_wizard_is_one_undo_step(window, qtbot, tmp_path):
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

    before = window.canvas.extent()
    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: len(window.commands) == 1, timeout=20000)
    store = window.store
    rows = dict(store.conn.execute("SELECT source_id, condition FROM road_segment"))
    assert rows["R3#1"] == 3 and len(rows) == 6
    assert store.conn.execute("SELECT DISTINCT updated_by FROM road_segment").fetchall() == [
        ("导入员",)]
    assert window.changed[-1] == {"road_segment"} and window.canvas.extent() != before
    assert "6 new" in window.status_bar.currentMessage()
    window.commands.undo()
    assert _count(store, "road_segment") == 0
    window.commands.redo()
    assert _count(store, "road_segment") == 6


def test_cancel_during_the_import_changes_nothing(window, qtbot, tmp_path, monkeypatch):
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
    wiz.button(QWizard.WizardButton.FinishButton).click()  # a cancel is never an error box
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=20000)
    assert _count(window.store, "litter_bin") == 0 and len(window.commands) == 0
    assert wiz.isVisible() and wiz.isEnabled()  # still there to try again


def test_bad_source_and_bad_constant_are_one_line_errors(window, qtbot, tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text("{ not json", encoding="utf-8")
    wiz = _open(window, qtbot, broken)
    message = _next_refused(qtbot, wiz)
    assert wiz.currentId() == ImportWizard.PAGE_SOURCE
    assert message and "\n" not in message

    wiz.source_page.set_path(str(src.shapefile_bins(tmp_path)))
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    page = wiz.mapping_page
    row = [page.table.item(r, 0).text() for r in range(page.table.rowCount())].index(
        "Capacity (L) (capacity_l)")
    page.set_source("capacity_l", None)
    page.table.cellWidget(row, 2).setText("huge")
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    message = _next_refused(qtbot, wiz)
    assert "capacity_l" in message and "whole number" in message
    assert not wiz.report_page.isComplete()  # no Import without a clean dry run


def test_profile_loaded_in_the_wizard_replaces_the_suggestions(window, qtbot, tmp_path):
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


def test_read_only_file_disables_the_action(qtbot, main_window, tmp_path):
    project = src.new_project(tmp_path / "p.gpkg")
    project.chmod(0o444)
    try:
        with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
            main_window.open_file(project)
        assert not main_window.findChild(QAction, "action_import_data").isEnabled()
        assert feature.open_wizard(main_window) is None
        assert "read-only" in main_window.status_bar.currentMessage()
    finally:
        project.chmod(0o644)


def test_chinese_wizard(window, qtbot, tmp_path):
    i18n.install("zh_CN")
    root = Path(__file__).resolve().parents[2]
    catalogue = json.loads((root / "citymgr_desktop/resources/i18n/zh_CN/importer.json").read_text("utf-8"))
    assert catalogue["Import data"] == "导入数据"
    assert i18n.tr("Import data…") == "导入数据…"
    wiz = feature.open_wizard(window)
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


def test_table_columns_given_by_hand(window, qtbot, tmp_path):
    path = tmp_path / "points.csv"
    e, n = src.xy(1, 1)
    path.write_text(f"编号,东,北\nA,{e:.2f},{n:.2f}\n", encoding="utf-8")
    wiz = _open(window, qtbot, path)
    assert wiz.source_page.x_edit.isEnabled()
    assert "no coordinates found" in _next_refused(qtbot, wiz)  # 东/北: names it does not know
    wiz.source_page.x_edit.setText("东")
    wiz.source_page.y_edit.setText("北")
    wiz.source_page.crs_edit.setText("EPSG:4547")
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    geom = wiz.state.data.geometries[0]
    assert abs(geom.x - e) < 0.01 and abs(geom.y - n) < 0.01


def test_the_report_page_lets_the_user_pick_another_transformation(qtbot, main_window,
                                                                  tmp_path):
    """Slovakia (Natural Earth) into an S-JTSK project: PROJ's 1 m transformation for the data
    is used; choosing the 6 m one on the report page runs the check again with it."""
    import pyogrio
    from PySide6.QtCore import Qt

    from citymgr_desktop.core.store import create as project

    ne = Path(__file__).resolve().parents[1] / "data" / "naturalearth" / "naturalearth_lowres.shp"
    sk = tmp_path / "slovakia.shp"
    pyogrio.write_dataframe(pyogrio.read_dataframe(ne, where="name = 'Slovakia'"), sk)
    window = main_window
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        window.open_file(project.create_project(tmp_path / "sk.gpkg", "EPSG:5514"))
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
    SHOTS.mkdir(parents=True, exist_ok=True)
    wiz.resize(1100, 720)
    wiz.grab().save(str(SHOTS / "import_wizard_transformation.png"))
    wiz.close()


def test_the_report_page_says_how_many_were_given_their_neighbours_district(
        qtbot, main_window, tmp_path):
    """Bins imported beside the sample's bins take their 街道 and 单元网格 (the dry run's
    report says how many); the import writes them."""
    import shutil

    import geopandas as gpd
    import shapely

    project = tmp_path / "district.gpkg"
    shutil.copy(Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg", project)
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(project)
    near = main_window.store.read("litter_bin", columns=["district"]).geometry.iloc[:3]
    source = tmp_path / "bins.gpkg"
    gpd.GeoDataFrame({"编号": ["N1", "N2", "N3"]}, crs="EPSG:4547", geometry=[
        shapely.Point(p.x + 2, p.y + 2) for p in near]).to_file(source, layer="bins")
    wiz = _open(main_window, qtbot, source)
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    assert wiz.mapping_page.target_combo.currentData() == "litter_bin"
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    assert wiz.state.dry_run.report.filled == {"district": 3, "bgid": 3}
    text = wiz.report_page.text.toPlainText()
    assert "Filled from the nearest asset (within 300 m)" in text
    assert "Sub-district (district): 3" in text
    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: len(main_window.commands) == 1, timeout=20000)
    got = main_window.store.read("litter_bin", columns=["district", "source_id"])
    assert got[got.source_id.isin(["N1", "N2", "N3"])].district.notna().all()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_swapped_columns_are_explained_with_the_wizards_fields(window, qtbot, tmp_path, lang):
    """A survey table (X = north) is taken the other way round; the report's note says to
    choose the columns under Table columns on the first page, not with the command line's
    ``--x/--y`` (which the wizard does not have)."""
    i18n.install(lang)
    wiz = _open(window, qtbot, src.csv_survey_xy(tmp_path))
    wiz.source_page.crs_edit.setText("EPSG:4547")
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    wiz.mapping_page.target_combo.setCurrentIndex(
        wiz.mapping_page.target_combo.findData("litter_bin"))
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    text = wiz.report_page.text.toPlainText()
    assert "--x" not in text
    assert ("X and Y columns were swapped (survey convention: X = north); to choose them "
            "yourself: the X and Y fields of Table columns on the first page" if lang == "en"
            else "X、Y 列已对调（测量习惯：X 指北）；如需自行指定：第一页“表格坐标列”的 X、Y 栏") in text


def test_swapped_columns_on_the_command_line_name_its_options(tmp_path):
    """The command line's own words for the same note: its --x/--y options."""
    import subprocess
    import sys

    project = src.new_project(tmp_path / "p.gpkg")
    proc = subprocess.run([sys.executable, "-m", "citymgr_desktop", "import", str(project),
                           str(src.csv_survey_xy(tmp_path)), "--as", "litter_bin",
                           "--source-crs", "EPSG:4547", "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "to choose them yourself: give --x/--y" in proc.stdout + proc.stderr


def test_a_district_the_file_does_not_have_is_shown_and_warned(qtbot, main_window, tmp_path):
    """"火星街道" is listed on the values page like a word that matches no code, and the
    dry run's report warns about it and about a 街道 its nearest assets do not share; left
    empty on the values page, the nearest asset gives the 街道."""
    import shutil

    project = tmp_path / "district.gpkg"
    shutil.copy(Path(__file__).resolve().parents[2] / "sample_data" / "district.gpkg", project)
    source, (_agrees, other, other_near, filled) = src.bins_csv(project, tmp_path / "bins.csv")
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(project)
    known = main_window.store.districts()
    wiz = _open(main_window, qtbot, source)
    _to_page(qtbot, wiz, ImportWizard.PAGE_MAPPING)
    wiz.mapping_page.set_source("district", "所属街道")
    _to_page(qtbot, wiz, ImportWizard.PAGE_VALUES)
    assert wiz.values_page.unmatched_rows() == [("district", "火星街道")]  # known ones: not
    SHOTS.mkdir(parents=True, exist_ok=True)
    wiz.grab().save(str(SHOTS / "import_wizard_district_values.png"))
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    text = wiz.report_page.text.toPlainText()
    assert f"街道 '火星街道' is not one of the file's {len(known)} 街道: 1 asset(s)" in text
    assert (f"1 asset(s) of 街道 '{other}' lie nearest to assets of another 街道 "
            f"(within 300 m): '{other_near}' ×1") in text
    wiz.grab().save(str(SHOTS / "import_wizard_district_report.png"))

    wiz.back()
    qtbot.waitUntil(lambda: wiz.currentId() == ImportWizard.PAGE_VALUES, timeout=5000)
    wiz.values_page.choose("district", "火星街道", None)  # leave empty: the nearest gives it
    _to_page(qtbot, wiz, ImportWizard.PAGE_REPORT)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=20000)
    assert "火星街道" not in wiz.report_page.text.toPlainText()
    wiz.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: len(main_window.commands) == 1, timeout=20000)
    got = main_window.store.read("litter_bin", columns=["district", "source_id"])
    got = dict(zip(got.source_id, got.district, strict=True))
    assert "火星街道" not in main_window.store.districts()
    assert got["T3"] == filled and got["T1"] in known
