"""Small things the sixth trial's user met, driven through the real main window in Chinese:
what an inspection record's two conditions mean, ..."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout

from tests.ui.driver import answer, pick


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
