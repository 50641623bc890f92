"""The merge dialog at a save says who made the other change and when, as the row in the
file records it (trial 5: "the merge dialog does not say who made the other change"). The
real window in Chinese: a bin edited in the form while another program (here sqlite, as QGIS
would) changes the same bin and stamps its editor; Ctrl+S; the dialog is read and answered."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from citymgr_desktop.core.clock import format_local
from citymgr_desktop.ui.editing.merge_dialog import COL_BY, COL_THEIRS
from tests.ui.driver import CTRL, answer, click_map, pick, press
from tests.ui.scenarios.helpers import zoom_on_a_bin

ALT = Qt.KeyboardModifier.AltModifier
OK = QDialogButtonBox.StandardButton.Ok
STAMP = "2026-12-07T02:10:00.000Z"


def test_the_merge_dialog_names_who_changed_the_row_and_when(qtbot, window_in, district,
                                                              shots):
    w = window_in("zh_CN", district)
    uuid, x, y = zoom_on_a_bin(qtbot, w, where=lambda u: w.edit_session.row(
        "litter_bin", u)["condition"] == 1)
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)
    click_map(qtbot, w, x, y)
    assert w.selection.selected("litter_bin") == [uuid]
    with answer(qtbot, OK, fill=lambda form: pick(qtbot, form.editors["condition"].inner, 4)):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    conn = sqlite3.connect(w.store.path)  # another editor changes the same bin meanwhile
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        conn.create_function(fn, 1, lambda _g: 0)
    with conn:
        conn.execute("UPDATE litter_bin SET condition = 3, updated_by = '李四', "
                     "updated_at = ? WHERE asset_uuid = ?", (STAMP, uuid))
    conn.close()
    seen: dict[str, str] = {}

    def read(dialog) -> None:
        dialog.resize(1000, 220)
        shots("merge-zh", dialog)
        head = dialog.table.horizontalHeaderItem(COL_BY).text()
        seen.update(head=head, theirs=dialog.table.item(0, COL_THEIRS).text(),
                    by=dialog.table.item(0, COL_BY).text())
        pick(qtbot, dialog.boxes[0], "theirs")

    with answer(qtbot, "合并并保存", fill=read, title="保存编辑"):
        press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert seen["head"] == "对方修改人及时间"
    assert seen["theirs"] == "3 较差"
    assert seen["by"] == f"李四  {format_local(STAMP)}", seen
    assert w.store.get_row("litter_bin", uuid)["condition"] == 3
