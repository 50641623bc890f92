"""Editors from the domains and the asset form: drop-downs with Chinese/English labels, spin
boxes for ranges, date pickers, length limits, grouped fields, and invalid input refused
with a message naming the field and the allowed values; bulk edit and field calculator."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QGroupBox, QLineEdit

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog
from citymgr_desktop.ui.editing.bulk_edit_dialog import BulkEditDialog
from citymgr_desktop.ui.editing.field_calculator_dialog import FieldCalculatorDialog
from citymgr_desktop.ui.widgets.date_edit import DateEdit
from citymgr_desktop.ui.widgets.field_editors import create_editor, display_value
from citymgr_desktop.ui.widgets.number_edit import NumberEdit


@pytest.fixture
def store(small_district):
    s = Store.open(small_district)
    yield s
    s.close()


def test_editors_follow_the_domains(qtbot):
    bins = sc.LITTER_BIN
    kinds = {name: type(create_editor(bins.field(name), "zh").inner)
             for name in ("bin_type", "condition", "capacity_l", "install_date", "name")}
    assert kinds["bin_type"] is QComboBox and kinds["condition"] is QComboBox
    assert kinds["capacity_l"] is NumberEdit
    assert kinds["name"] is QLineEdit
    date = create_editor(bins.field("install_date"), "zh")
    assert isinstance(date.date, DateEdit) and date.value() is None
    combo = create_editor(bins.field("bin_type"), "zh").inner
    assert [combo.itemText(i) for i in range(combo.count())] == \
        ["(empty)", "可回收物", "厨余垃圾", "有害垃圾", "其他垃圾"]
    combo_en = create_editor(bins.field("bin_type"), "en").inner
    assert combo_en.itemText(2) == "Kitchen waste"
    cap = create_editor(bins.field("capacity_l"), "en")
    assert (cap.inner.domain.minimum, cap.inner.domain.maximum) == (5, 1100)
    assert cap.value() is None
    cap.set_value(240)
    assert cap.value() == 240
    pci = create_editor(sc.ROAD_SEGMENT.field("pci"), "en")
    assert isinstance(pci.inner, NumberEdit) and not pci.inner.whole
    assert pci.inner.domain.maximum == 100
    name = create_editor(bins.field("name"), "en")
    assert name.inner.maxLength() == 100
    for editor, value in ((date, "2024-05-01"), (combo_owner := create_editor(
            bins.field("bin_type"), "zh"), "kitchen"), (name, "中山路001号")):
        editor.set_value(value)
        assert editor.value() == value
    combo_owner.set_value(None)
    assert combo_owner.value() is None
    date.set_value(None)
    assert date.value() is None
    assert display_value(bins.field("condition"), 4, "zh") == "4 差"  # graded: with its number
    assert display_value(bins.field("capacity_l"), 240.0, "en") == "240"


def _row(store, where="1"):
    uuid = store.conn.execute(f"SELECT asset_uuid FROM litter_bin WHERE {where} LIMIT 1"
                              ).fetchone()[0]
    return store.get_row("litter_bin", uuid)


def test_form_groups_fields_and_returns_only_changes(qtbot, store):
    row = _row(store, "condition = 2")
    dlg = AssetFormDialog(None, sc.LITTER_BIN, row, lang="en")
    qtbot.addWidget(dlg)
    titles = [b.title() for b in dlg.findChildren(QGroupBox)]
    assert titles == ["Identity", "Location", "Management", "Condition", "Litter bin", "Other",
                      "Record"]
    assert not dlg.editors["updated_at"].inner.isEnabled() or \
        dlg.editors["updated_at"].inner.isReadOnly()
    dlg.editors["condition"].set_value(4)
    dlg.editors["remarks"].set_value("井盖松动")
    dlg.accept()
    assert dlg.result() == AssetFormDialog.DialogCode.Accepted
    assert dlg.values() == {"condition": 4, "remarks": "井盖松动"}


def test_form_refuses_invalid_input_naming_field_and_allowed_values(qtbot, store, chinese):
    row = _row(store)
    dlg = AssetFormDialog(None, sc.LITTER_BIN, row, lang="zh")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.editors["bin_type"].inner.itemText(2) == "厨余垃圾"
    assert next(b.title() for b in dlg.findChildren(QGroupBox)) == "标识"
    dlg.editors["bin_type"].set_value("compost")  # not in the domain (e.g. an old value)
    dlg.accept()
    assert dlg.result() != AssetFormDialog.DialogCode.Accepted and dlg.isVisible()
    assert dlg.error.isVisible()
    text = dlg.error.text()
    assert "垃圾分类 (bin_type)" in text and "compost" in text
    assert "kitchen (厨余垃圾)" in text and "允许的值" in text
    dlg.editors["bin_type"].set_value("kitchen")
    dlg.editors["obj_code"].set_value("12345")
    dlg.accept()
    assert "obj_code" in dlg.error.text() and "16 位数字" in dlg.error.text()  # in Chinese
    dlg.editors["obj_code"].set_value(row["obj_code"])
    dlg.accept()
    assert dlg.result() == AssetFormDialog.DialogCode.Accepted
    assert dlg.values() == {"bin_type": "kitchen"} or row["bin_type"] == "kitchen"


def test_new_asset_form_hides_system_fields(qtbot):
    dlg = AssetFormDialog(None, sc.BRIDGE, {"district": "粮道街道"}, new=True, lang="en")
    qtbot.addWidget(dlg)
    assert "asset_uuid" not in dlg.editors and "updated_at" not in dlg.editors
    assert dlg.editors["structure"].inner.count() == 7
    dlg.editors["structure"].set_value("arch")
    dlg.accept()
    assert dlg.values() == {"structure": "arch"}  # the district default is unchanged


def test_bulk_edit_dialog(qtbot, store):
    dlg = BulkEditDialog(None, sc.LITTER_BIN, 1200, "en")
    qtbot.addWidget(dlg)
    dlg.field_box.setCurrentIndex(dlg.field_box.findData("condition"))
    assert "1,200" in dlg.summary.text() and "Condition" in dlg.summary.text()
    dlg.accept()  # no value chosen
    assert dlg.result() != BulkEditDialog.DialogCode.Accepted
    assert "Choose a value" in dlg.error.text()
    dlg.editor.set_value(3)
    dlg.accept()
    assert dlg.values() == {"condition": 3}
    dlg2 = BulkEditDialog(None, sc.LITTER_BIN, 5, "en")
    qtbot.addWidget(dlg2)
    dlg2.field_box.setCurrentIndex(dlg2.field_box.findData("remarks"))
    dlg2.empty.setChecked(True)
    dlg2.accept()
    assert dlg2.values() == {"remarks": None}


def test_field_calculator_dialog_previews_and_refuses(qtbot, store):
    session = EditSession(store, journal=False)
    uuids = session.select("road_segment", "pci is not null")
    dlg = FieldCalculatorDialog(None, session, "road_segment", uuids, "en")
    qtbot.addWidget(dlg)
    dlg.target.setCurrentIndex(dlg.target.findData("pci"))
    dlg.expression.setPlainText("round(pci * 0.5, 1)")
    assert dlg.preview.text().count("→") == 5 and not dlg.error.text()
    dlg.expression.setPlainText("pci * ")
    assert "expression error" in dlg.error.text()
    dlg.expression.setPlainText("name")
    dlg.accept()
    assert dlg.result() != FieldCalculatorDialog.DialogCode.Accepted
    dlg.expression.setPlainText("round(pci * 0.5, 1)")
    dlg.accept()
    assert dlg.result_values() == ("pci", "round(pci * 0.5, 1)")
    cmd = session.calculate("road_segment", uuids, *dlg.result_values())
    assert cmd is not None and len(cmd.deltas) > 0
