"""Small things the sixth trial's user met, driven through the real main window in Chinese:
what an inspection record's two conditions mean, fields that refuse typing look it, ..."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLineEdit

from tests.ui.driver import answer, menu_item, pick


def _looks_read_only(edit: QLineEdit) -> bool:
    """No frame, no white box of its own: it reads like the labels beside it."""
    return edit.isReadOnly() and not edit.hasFrame() and \
        edit.palette().color(QPalette.ColorRole.Base).alpha() == 0


def _row_label(dialog, field) -> str:
    form = dialog.findChild(QFormLayout)
    return form.labelForField(field).text()


def test_an_inspection_record_says_which_condition_it_found(chinese, qtbot, small_window,
                                                             shots):
    w = small_window
    panel = w.installed_features["history"].panel
    uid = w.edit_session.select("litter_bin", "condition >= 1")[0]
    w.selection.set_selection("litter_bin", [uid])
    w.dock("history_dock").show()
    seen = {}

    def fill(dlg) -> None:
        asset = dlg.findChild(QFormLayout).itemAt(0, QFormLayout.ItemRole.FieldRole).widget()
        seen["asset read-only"] = _looks_read_only(asset)
        pick(qtbot, dlg.type, "inspection")
        seen["inspection"] = (_row_label(dlg, dlg.before), _row_label(dlg, dlg.after))
        shots("inspection", dlg)
        pick(qtbot, dlg.type, "repair")
        seen["repair"] = (_row_label(dlg, dlg.before), _row_label(dlg, dlg.after))
        pick(qtbot, dlg.type, "inspection")
        seen["again"] = (_row_label(dlg, dlg.before), _row_label(dlg, dlg.after))

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=fill,
                title="添加养护记录"):
        qtbot.mouseClick(panel.add_btn, Qt.MouseButton.LeftButton)
    assert seen["inspection"] == ("上次状况", "本次巡查状况"), seen
    assert seen["repair"] == ("处理前状况", "处理后状况"), seen
    assert seen["again"] == seen["inspection"], seen
    assert seen["asset read-only"], "the record's asset looks editable"


def test_the_asset_forms_read_only_fields_look_read_only(chinese, qtbot, small_window, shots):
    w = small_window
    uid = w.edit_session.select("litter_bin", "condition >= 1")[0]
    w.selection.set_selection("litter_bin", [uid])
    looks = {}

    def fill(dlg) -> None:
        for name in ("asset_uuid", "obj_code", "updated_by"):
            edit = dlg.editors[name].inner
            looks[name] = (_looks_read_only(edit), edit.hasFrame())
        shots("form", dlg)

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=fill, title="垃圾箱"):
        menu_item(qtbot, w, "edit", "资产表单…")
    assert looks["asset_uuid"] == (True, False), looks  # kept by the app
    assert looks["updated_by"] == (True, False), looks
    assert looks["obj_code"] == (False, True), looks  # typed by the user: an editor
