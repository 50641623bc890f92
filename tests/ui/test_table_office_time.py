"""The attribute table shows times as Identify and the exports do, in office time (UTC+8):
trial 10 read ``2026-12-07T16:46:34.246Z`` in the table and ``2026-12-08 00:46`` in Identify
and the CSV for the same record. Sorting still goes by the stored moment."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.core.sync_support import edit
from tests.ui.driver import LEFT, pick, press, type_into

LATE = "2026-12-06T17:30:00.000Z"  # 2026-12-07 01:30 in the office
EARLIER = "2026-12-06T15:10:00.000Z"  # 2026-12-06 23:10 in the office


def _two_bins(path) -> list[str]:
    with edit(path) as conn:
        codes = [r[0] for r in conn.execute(
            "SELECT obj_code FROM litter_bin WHERE retired_at IS NULL ORDER BY fid LIMIT 2")]
        for code, at in zip(codes, (LATE, EARLIER), strict=True):
            conn.execute("UPDATE litter_bin SET updated_at = ? WHERE obj_code = ?", (at, code))
    return codes


def test_the_table_shows_updated_at_in_office_time_and_sorts_by_the_moment(
        qtbot, window_in, small_district):
    codes = _two_bins(small_district)
    window = window_in(None, small_district)
    table = window.installed_features["editing"].table
    press(qtbot, window, Qt.Key.Key_F6)
    pick(qtbot, table.layer_box, "litter_bin")
    type_into(qtbot, table.filter, f"obj_code in ('{codes[0]}', '{codes[1]}')")
    qtbot.keyClick(table.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.model is not None and table.model.rowCount() == 2,
                    timeout=20_000)
    model = table.view.model()
    column = table.model.columns.index("updated_at")
    code_column = table.model.columns.index("obj_code")

    def shown() -> list[tuple[str, str]]:
        return [(model.index(r, code_column).data(), model.index(r, column).data())
                for r in range(model.rowCount())]

    assert sorted(shown()) == sorted([(codes[0], "2026-12-07 01:30"),
                                      (codes[1], "2026-12-06 23:10")])
    # the stored value is what an edit starts from (and what sorting compares)
    assert {model.index(r, column).data(Qt.ItemDataRole.EditRole)
            for r in range(2)} == {LATE, EARLIER}
    assert "UTC+8" in model.headerData(column, Qt.Orientation.Horizontal,
                                       Qt.ItemDataRole.ToolTipRole)

    header = table.view.horizontalHeader()
    table.view.scrollTo(model.index(0, column))
    x = header.sectionViewportPosition(header.visualIndex(column)) + 5
    with qtbot.waitSignal(table.model.loaded, timeout=20_000):
        qtbot.mouseClick(header.viewport(), LEFT, pos=QPoint(x, 5))
    order = [c for c, _t in shown()]
    expected = [codes[1], codes[0]]  # earlier first
    if header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder:
        expected.reverse()
    assert order == expected
