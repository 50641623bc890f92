"""The app's questions, answered by clicking their real buttons: save/discard/cancel on
close, the restore offer after a crash (merged with a later change, field by field), the
user's name asked once, a plain GeoPackage that is not a project, a read-only file."""

from __future__ import annotations

import shutil
import sqlite3

import geopandas as gpd
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWizard,
)
from shapely.geometry import Point

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.editing.journal import journal_path
from citymgr_desktop.core.store import Store
from tests.ui.driver import CTRL, answer, choose_file, menu_item, pick, press, type_into
from tests.ui.scenarios.test_records_and_orders import select_bin, set_condition_in_form


def open_in(qtbot, w, path) -> None:
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        assert w.open_file(path)
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)


@pytest.mark.parametrize("button", ["Cancel", "Save", "Discard"])
def test_closing_with_unsaved_edits_asks(qtbot, opened_window, button):
    w = opened_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    set_condition_in_form(qtbot, w, 4)
    store = w.store
    with answer(qtbot, button, kind=QMessageBox, title="Unsaved edits") as asked:
        menu_item(qtbot, w, "file", "Close")
    assert "unsaved edits (Litter bins: 1 changed)" in asked.text  # what, not a row count
    assert (w.store is store) == (button == "Cancel")
    with Store.open(store.path, read_only=True) as again:
        assert again.get_row("litter_bin", uuid)["condition"] == (4 if button == "Save" else 1)
    if button != "Cancel":
        assert not journal_path(store.path).exists()


def test_restore_after_a_crash_merges_with_a_later_change(qtbot, main_window, district,
                                                          shots):
    with Store.open(district) as store:
        crashed = EditSession(store, "测试员")
        a, b = crashed.select("litter_bin", "condition = 1")[:2]
        crashed.set_values("litter_bin", a, {"condition": 5, "remarks": "恢复"})
        crashed.set_value("litter_bin", b, "condition", 4)
        crashed.journal.close(remove=False)  # the app was killed here
    conn = sqlite3.connect(district)  # then citymgr edit changed a's condition
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(fn, 1, lambda _g: 0)
    with conn:
        conn.execute("UPDATE litter_bin SET condition = 2 WHERE asset_uuid = ?", (a,))
    conn.close()
    w = main_window

    def fill(dialog):
        shots("restore-offer", dialog)
        assert dialog.table.rowCount() == 1
        assert dialog.table.item(0, 2).text() == "5 Critical"  # yours
        assert dialog.table.item(0, 3).text() == "2 Fair"  # the file's, later
        pick(qtbot, dialog.boxes[0], "theirs")

    with answer(qtbot, "Restore", fill=fill, title="Restore unsaved edits") as offer:
        open_in(qtbot, w, district)
    assert "changed in the file since" in offer.dialog.findChildren(
        QLabel)[0].text()
    s = w.edit_session
    assert s.row("litter_bin", a)["condition"] == 2 and s.row("litter_bin", a)["remarks"] == "恢复"
    assert s.row("litter_bin", b)["condition"] == 4
    assert w.windowTitle().startswith("* ")
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert w.store.get_row("litter_bin", a)["condition"] == 2  # the later change stayed


def test_restore_without_conflicts_is_the_default_answer(qtbot, main_window, district,
                                                        shots):
    """Nothing changed in the file since the crash: no field-by-field choices, no "all
    mine / all the file's" buttons, and Enter restores (the answer that loses nothing;
    the default button was "Do not restore")."""
    with Store.open(district) as store:
        crashed = EditSession(store, "测试员")
        a = crashed.select("litter_bin", "condition = 1")[0]
        crashed.set_value("litter_bin", a, "condition", 4)
        crashed.journal.close(remove=False)  # the app was killed here
    w = main_window

    def enter(dialog):
        shots("restore-offer-no-conflicts", dialog)
        shown = [b.text() for b in dialog.buttons.buttons() if b.isVisible()]
        assert sorted(shown) == ["Do not restore", "Restore"], shown
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)

    with answer(qtbot, None, fill=enter, title="Restore unsaved edits"):
        open_in(qtbot, w, district)
    assert w.edit_session.row("litter_bin", a)["condition"] == 4
    assert w.windowTitle().startswith("* ")


def test_a_copy_of_the_project_says_where_its_unsaved_edits_are(qtbot, main_window, district,
                                                                tmp_path):
    copy = tmp_path / "copy" / "district-copy.gpkg"
    copy.parent.mkdir()
    shutil.copyfile(district, copy)
    with Store.open(district) as store:
        crashed = EditSession(store)
        crashed.set_value("litter_bin", crashed.select("litter_bin", "true")[0], "condition", 5)
        crashed.journal.close(remove=False)
    QSettings().setValue("files/recent", [str(district)])
    with answer(qtbot, "OK", kind=QMessageBox, title="Unsaved edits elsewhere") as told:
        open_in(qtbot, main_window, copy)
    assert str(district) in told.text and "1 unsaved edit" in told.text


@pytest.mark.parametrize("lang, title, why", [("en", "Your name", "your first change"),
                                               ("zh_CN", "修改人", "第一处修改")])
def test_the_users_name_is_asked_at_the_first_change_and_kept(qtbot, window_in, district,
                                                              lang, title, why):
    """As the guide says: at the first change (trial 10: an asset-form edit went through
    without a word and the name was asked only at the save or a maintenance record); the
    prompt has a title and says why it comes after that change (trial 11)."""
    w = window_in(lang, district)
    QSettings().remove("user/name")
    select_bin(qtbot, w)
    seen = {}

    def fill(dialog):
        seen["title"], seen["text"] = dialog.windowTitle(), dialog.labelText()
        type_into(qtbot, dialog.findChild(QLineEdit), "王工")

    def change(condition: int) -> None:  # in the asset form, its OK in either language
        with answer(qtbot, QDialogButtonBox.StandardButton.Ok, fill=lambda form: pick(
                qtbot, form.editors["condition"].inner, condition)):
            press(qtbot, w, Qt.Key.Key_E, CTRL)

    with answer(qtbot, QDialogButtonBox.StandardButton.Ok, fill=fill, kind=QInputDialog,
                title=title):
        change(3)
    assert seen["title"] == title and why in seen["text"] and "修改人" in seen["text"]
    assert w.edit_session.user == "王工"
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # saved without asking again
    (uuid,) = w.selection.selected("litter_bin")
    assert w.store.get_row("litter_bin", uuid)["updated_by"] == "王工"
    assert QSettings().value("user/name") == "王工"
    change(4)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # not asked again
    assert w.store.get_row("litter_bin", uuid)["condition"] == 4


@pytest.fixture
def plain_gpkg(tmp_path):
    path = tmp_path / "survey.gpkg"
    gpd.GeoDataFrame({"name": ["A", "B"], "kind": [1, 2]},
                     geometry=[Point(528_800, 3_381_500), Point(528_900, 3_381_600)],
                     crs="EPSG:4547").to_file(path, layer="poles", driver="GPKG")
    return path


def test_a_plain_geopackage_is_shown_read_only(qtbot, main_window, plain_gpkg, shots):
    w = main_window
    with answer(qtbot, "Show read-only", kind=QMessageBox, title="Not a citymgr project") as b:
        open_in(qtbot, w, plain_gpkg)
    assert "survey.gpkg is a GeoPackage, but not a citymgr asset project" in b.text
    assert w.store.read_only and not w.is_project and w.edit_session is None
    assert w.map_data.names() == ["poles"]
    work = w.installed_features["workorders"]
    assert not work.new_action.isEnabled()
    assert w.status_bar.currentMessage().startswith("survey.gpkg is not a citymgr project")
    shots("read-only", w)


def test_a_plain_geopackage_can_be_imported_into_a_new_project(qtbot, main_window,
                                                               plain_gpkg, tmp_path):
    w = main_window
    target = tmp_path / "new-project.gpkg"
    with answer(qtbot, None, fill=choose_file(qtbot, target), kind=QFileDialog), \
            answer(qtbot, "Import into a new project", kind=QMessageBox):
        w.open_file(plain_gpkg)
        qtbot.waitUntil(lambda: w.store is not None and w.store.path == target,
                        timeout=30_000)
    assert w.is_project and w.edit_session is not None
    wizard = w.findChild(QWizard)
    qtbot.waitUntil(lambda: wizard is not None and wizard.isVisible())
    assert wizard.source_page.path_edit.text() == str(plain_gpkg)
    qtbot.mouseClick(wizard.button(wizard.WizardButton.CancelButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible())


def test_a_read_only_file_shows_a_read_only_form(qtbot, main_window, district):
    w = main_window
    district.chmod(0o444)
    try:
        open_in(qtbot, w, district)
        assert w.store.read_only and w.edit_session is None
        select_bin(qtbot, w)
        with answer(qtbot, "Close", title="Litter bins") as form:
            press(qtbot, w, Qt.Key.Key_E, CTRL)
        assert form.dialog.read_only
        assert not form.dialog.editors["condition"].inner.isEnabled()
        assert not w.installed_features["editing"].add_action.isEnabled()
    finally:
        district.chmod(0o644)


def test_the_close_question_says_what_is_unsaved_in_chinese(qtbot, chinese, window_in,
                                                            district):
    """One inspection is a new record and its bin's new condition: the question names both
    (a fresh user read "有 2 处未保存的编辑" for the one thing they did)."""
    from citymgr_desktop.core import history

    w = window_in(None, district)
    session = w.edit_session
    uuid = session.select("litter_bin", "condition = 1")[0]
    deltas = history.plan_add(w.store, "litter_bin", uuid,
                              {"record_type": "inspection", "condition_after": 4,
                               "record_date": "2026-12-07", "observation": "桶身破损"},
                              user="测试员", update_condition=True, pending=session.pending)
    session.push_deltas(deltas, "巡查")
    with answer(qtbot, QMessageBox.StandardButton.Cancel, kind=QMessageBox) as asked:
        menu_item(qtbot, w, "file", "关闭(&C)")
    assert "有未保存的编辑（垃圾箱：修改 1；养护记录：新增 1）" in asked.text


@pytest.mark.parametrize(("lang", "restore", "said", "merged", "status"), [
    ("en", "Restore", "Unsaved edits of this file were found (Litter bins: 1 changed; "
     "Maintenance records: 1 added), last made at ",
     "They were merged with the file as it is now; nothing saved to the file since then "
     "conflicts with them.",
     "Restored the unsaved edits (Litter bins: 1 changed; Maintenance records: 1 added)"),
    ("zh_CN", "恢复", "发现此文件有未保存的编辑（垃圾箱：修改 1；养护记录：新增 1），最后一次编辑于",
     "已与文件的当前内容合并；此后保存到文件中的内容与它们均无冲突。",
     "已恢复未保存的编辑（垃圾箱：修改 1；养护记录：新增 1）"),
], ids=["en", "zh"])
def test_the_restore_offer_names_the_edits_as_the_close_question_does(
        qtbot, window_in, district, shots, lang, restore, said, merged, status):
    """One inspection left by a killed app is a new record and its bin's new condition: the
    offer names both per table, in the words of the close question (it said "2 unsaved
    edit(s)" for the one thing done)."""
    from citymgr_desktop.core import history

    with Store.open(district) as store:
        crashed = EditSession(store, "测试员")
        uuid = crashed.select("litter_bin", "condition = 1")[0]
        crashed.push_deltas(history.plan_add(
            store, "litter_bin", uuid, {"record_type": "inspection", "condition_after": 4,
                                        "record_date": "2026-12-07"},
            user="测试员", update_condition=True, pending=crashed.pending), "巡查")
        crashed.journal.close(remove=False)  # the app was killed here
    w = window_in(lang)
    with answer(qtbot, restore, fill=lambda dialog: shots(f"restore-offer-{lang}", dialog),
                title="Restore unsaved edits|恢复未保存的编辑") as offer:
        open_in(qtbot, w, district)
    assert offer.dialog.findChildren(QLabel)[0].text().startswith(said)
    text = offer.dialog.findChildren(QLabel)[0].text()
    assert merged in text  # trial 6: it was garbled
    # sentences follow each other as each language writes them: "。已与…", "). They…"
    assert text.split("\n\n")[0].endswith(("。" if lang == "zh_CN" else ". ") + merged), text
    assert w.status_bar.currentMessage() == status
    assert w.edit_session.row("litter_bin", uuid)["condition"] == 4
