"""A new work order's defaults in the real window (trial 9, shots 29 and 73): each new order
starts at the normal priority (一般) whatever the last one had, and is proposed the disposal
unit (处置单位) of its own class, said under the field - the class's last order's unit, so a
unit the user chose for roads comes back for the next road, never for a litter bin."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from tests.ui.driver import answer, pick, type_into

LEFT = Qt.MouseButton.LeftButton


def _uuids(window, layer: str, n: int = 2) -> list[str]:
    return [r[0] for r in window.store.conn.execute(
        f"SELECT asset_uuid FROM {layer} ORDER BY fid LIMIT {n}")]


def _select_only(window, layer: str, n: int = 2) -> None:
    window.selection.clear()
    window.selection.set_selection(layer, _uuids(window, layer, n))


def _new_order(qtbot, window, fill) -> None:
    """The toolbar's New work order button, the dialog answered by ``fill``."""
    feat = window.installed_features["workorders"]
    with answer(qtbot, fill=fill, kind=WorkOrderDialog):
        qtbot.mouseClick(window.toolbar().widgetForAction(feat.new_action), LEFT)


def _ok(qtbot, dlg: WorkOrderDialog) -> None:
    qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok), LEFT)


def test_each_new_order_gets_its_class_unit_and_the_normal_priority(chinese, window_in,
                                                                    small_district, qtbot,
                                                                    shots):
    window = window_in(None, small_district)
    feat = window.installed_features["workorders"]
    seen: dict[str, bool] = {}

    # a road order: the road unit proposed; the user makes it urgent and sends it to a crew
    _select_only(window, "road_segment")

    def road(dlg: WorkOrderDialog) -> None:
        assert dlg.priority.currentData() == 3 and dlg.priority.currentText() == "一般"
        assert dlg.assignee.currentText() == "区市政设施养护中心"
        assert dlg.unit_hint.text() == "道路路段：按该类最近一个工单建议"
        shots("new-order-road", dlg)
        type_into(qtbot, dlg.title, "路面坑槽")
        pick(qtbot, dlg.priority, 1)
        type_into(qtbot, dlg.assignee.lineEdit(), "区道路抢修队")
        assert not dlg.unit_hint.text()  # typed: no longer the proposal
        seen["road"] = True
        _ok(qtbot, dlg)

    _new_order(qtbot, window, road)
    road_case = feat.list.selected_cases()[0]
    order = wo.get_order(window.store, road_case, window.edit_session.pending)
    assert (order["priority"], order["assignee"]) == (1, "区道路抢修队")

    # right after it, a litter bin: normal priority, the bins' unit (shot 73 had the road's)
    _select_only(window, "litter_bin")

    def litter_bin(dlg: WorkOrderDialog) -> None:
        assert dlg.priority.currentData() == 3
        assert dlg.assignee.currentText() == "区环境卫生管理站"
        assert dlg.unit_hint.text() == "垃圾箱：按该类最近一个工单建议"
        shots("new-order-bin", dlg)
        # by expression instead: the unit follows the class chosen, until one is typed;
        # for roads it is the user's own last choice (the order above, not saved yet)
        radio = dlg.from_expression  # clicked on its round button (its row is wide)
        qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))
        assert radio.isChecked()
        pick(qtbot, dlg.layer, "road_segment")
        assert dlg.assignee.currentText() == "区道路抢修队"
        assert dlg.priority.currentData() == 3
        shots("new-order-road-by-expression", dlg)
        pick(qtbot, dlg.layer, "bridge")
        assert dlg.assignee.currentText() == "区桥梁管理所"
        type_into(qtbot, dlg.assignee.lineEdit(), "桥梁检测公司")
        pick(qtbot, dlg.layer, "green_space")
        assert dlg.assignee.currentText() == "桥梁检测公司"  # typed: kept
        seen["bin"] = True
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Cancel), LEFT)

    _new_order(qtbot, window, litter_bin)
    assert seen == {"road": True, "bin": True}


def test_a_class_without_a_unit_and_mixed_classes_say_so(chinese, window_in, small_district,
                                                          qtbot, shots):
    window = window_in(None, small_district)
    window.store.conn.execute("UPDATE work_order SET assignee = NULL "
                              "WHERE asset_class = 'litter_bin'")
    window.store.conn.commit()
    seen = {}
    window.selection.set_selection("litter_bin", _uuids(window, "litter_bin"))

    def empty(dlg: WorkOrderDialog) -> None:
        assert dlg.assignee.currentText() == ""
        assert dlg.unit_hint.text() == "垃圾箱：尚无工单指定处置单位"
        seen["empty"] = True
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Cancel), LEFT)

    _new_order(qtbot, window, empty)
    window.selection.set_selection("road_segment", _uuids(window, "road_segment", 1))
    assert set(window.selection.all()) == {"litter_bin", "road_segment"}  # a road added

    def mixed(dlg: WorkOrderDialog) -> None:
        assert dlg.assignee.currentText() == ""
        assert dlg.unit_hint.text() == "资产分属多个类别，未建议处置单位"
        seen["mixed"] = True
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Cancel), LEFT)

    _new_order(qtbot, window, mixed)
    assert seen == {"empty": True, "mixed": True}
