"""The attribute table: lazy pages, sort and filter in SQL, pending edits shown and edited in
place as undoable commands, "selected only", selection shared both ways, zoom to a row."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from shapely.geometry import Point

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.editing.attribute_table_model import PAGE, AttributeTableModel
from citymgr_desktop.ui.editing.attribute_table_widget import AttributeTableWidget
from citymgr_desktop.ui.selection import SelectionModel


@pytest.fixture
def store(district):
    s = Store.open(district)
    yield s
    s.close()


@pytest.fixture
def session(store):
    s = EditSession(store, user="测试员")
    yield s
    s.close()


def _count(store, where="retired_at IS NULL"):
    return store.conn.execute(f"SELECT count(*) FROM litter_bin WHERE {where}").fetchone()[0]


def _load(qtbot, model, call=None):
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        (call or model.reload)()


@pytest.fixture
def model(qtbot, store, session):
    m = AttributeTableModel(store, "litter_bin", session, lang="zh")
    _load(qtbot, m)
    yield m
    m.close()


def test_rows_columns_and_labels(model, store):
    assert model.rowCount() == _count(store)
    assert model.columns[:3] == ["fid", "asset_uuid", "obj_code"]
    cond = model.columns.index("condition")
    assert model.headerData(cond, Qt.Orientation.Horizontal) == "技术状况"
    row = model.rows_of([model.uuid_at(0)])[0]
    value = model.data(model.index(row, cond), Qt.ItemDataRole.EditRole)
    shown = model.data(model.index(row, cond))
    labels = {1: "完好", 2: "较好", 3: "较差", 4: "差", 5: "危险"}
    assert shown == f"{value} {labels[value]}"  # graded codes read with their number
    bin_type = model.columns.index("bin_type")
    assert model.data(model.index(0, bin_type)) in ("可回收物", "厨余垃圾", "有害垃圾", "其他垃圾")


def test_pages_are_fetched_lazily(model, monkeypatch):
    fetched = []
    real = model._fetch
    monkeypatch.setattr(model, "_fetch", lambda fids: fetched.append(len(fids)) or real(fids))
    model._pages.clear()
    model.data(model.index(0, 3))
    model.data(model.index(5, 3))
    model.data(model.index(PAGE * 4 + 1, 3))
    assert fetched == [PAGE, PAGE]  # two pages of 256 rows, not the whole layer
    assert model.rowCount() > 8 * PAGE


def test_sort_by_any_column(qtbot, model):
    cond = model.columns.index("condition")
    _load(qtbot, model, lambda: model.sort(cond, Qt.SortOrder.DescendingOrder))
    values = [model.value(r, cond) for r in range(model.rowCount())]
    assert values == sorted(values, key=lambda v: (v is not None, v), reverse=True)
    name = model.columns.index("name")
    _load(qtbot, model, lambda: model.sort(name, Qt.SortOrder.AscendingOrder))
    names = [model.value(r, name) for r in range(50)]
    assert names == sorted(names, key=lambda v: (v is not None, v))


def test_filter_with_the_expression_language(qtbot, model, store):
    _load(qtbot, model, lambda: model.set_filter("技术状况 >= 4 and bin_type = '厨余垃圾'"))
    assert model.rowCount() == _count(
        store, "condition >= 4 AND bin_type = 'kitchen' AND retired_at IS NULL")
    rows = model.rowCount()
    with pytest.raises(ExpressionError):
        model.set_filter("condition >=")
    assert model.rowCount() == rows  # a bad filter leaves the rows as they were
    _load(qtbot, model, lambda: model.set_filter(""))
    assert model.rowCount() == _count(store)


def test_a_newer_query_wins(qtbot, model, store):
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_filter("condition = 1")
        model.set_filter("condition = 5")
    qtbot.wait(200)
    assert model.rowCount() == _count(store, "condition = 5 AND retired_at IS NULL")


def test_show_retired(qtbot, model, store, session):
    refd = store.conn.execute("SELECT DISTINCT asset_uuid FROM maintenance_record WHERE "
                              "asset_class='litter_bin' LIMIT 3").fetchall()
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        session.delete("litter_bin", [r[0] for r in refd])  # retired: they have history
    assert model.rowCount() == _count(store) - 3
    _load(qtbot, model, lambda: model.set_show_retired(True))
    assert model.rowCount() == _count(store, "1")
    row = int(model.rows_of([refd[0][0]])[0])
    assert model.data(model.index(row, 3), Qt.ItemDataRole.FontRole).italic()


def test_cells_edit_through_the_session_and_show_pending(qtbot, model, session):
    cond = model.columns.index("condition")
    index = model.index(0, cond)
    uuid = model.uuid_at(0)
    old = model.data(index, Qt.ItemDataRole.EditRole)
    new = 5 if old != 5 else 1
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, model.columns.index("updated_at"))) & \
        Qt.ItemFlag.ItemIsEditable
    assert model.setData(index, new)
    assert model.data(index, Qt.ItemDataRole.EditRole) == new
    assert model.data(index, Qt.ItemDataRole.BackgroundRole) is not None
    assert session.commands.undo_label().startswith("Edit Condition")
    errors = []
    model.failed.connect(errors.append)
    assert not model.setData(index, 9)
    assert "allowed: 1 (Good)" in errors[-1]
    session.commands.undo()
    assert model.data(index, Qt.ItemDataRole.EditRole) == old
    assert model.uuid_at(0) == uuid


def test_new_and_deleted_assets_appear_and_vanish(qtbot, model, session, store):
    rows = model.rowCount()
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        uuid = session.add_point("litter_bin", Point(528_800, 3_381_500), {"name": "新增"})
    assert model.rowCount() == rows + 1
    last = model.rowCount() - 1
    assert model.uuid_at(last) == uuid
    assert model.headerData(last, Qt.Orientation.Vertical) == "new"
    assert model.data(model.index(last, 3), Qt.ItemDataRole.BackgroundRole) is not None
    free = store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
        "maintenance_record) AND asset_uuid NOT IN (SELECT asset_uuid FROM work_order_asset) "
        "LIMIT 1").fetchone()[0]
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        session.delete("litter_bin", [free])
    assert model.rowCount() == rows
    assert len(model.rows_of([free])) == 0
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        session.save()
    assert model.rowCount() == rows
    assert model.headerData(model.rowCount() - 1, Qt.Orientation.Vertical) != "new"


def test_pending_values_count_in_the_filter(qtbot, model, session):
    _load(qtbot, model, lambda: model.set_filter("condition = 5"))
    rows = model.rowCount()
    target = session.select("litter_bin", "condition = 1")[0]
    session.set_value("litter_bin", target, "condition", 5)
    _load(qtbot, model)
    assert model.rowCount() == rows + 1 and len(model.rows_of([target])) == 1


@pytest.fixture
def widget(qtbot, store, session):
    selection = SelectionModel()
    w = AttributeTableWidget(selection, "en")
    qtbot.addWidget(w)
    w.show()
    w.set_store(store, session, "litter_bin")
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=10_000)
    yield w
    w.model.close()


def test_widget_filter_box_and_errors(qtbot, widget, store):
    with qtbot.waitSignal(widget.model.loaded, timeout=10_000):
        widget.filter.setText("condition >= 4")
        widget.filter.returnPressed.emit()
    assert widget.model.rowCount() == _count(store, "condition >= 4 AND retired_at IS NULL")
    assert "of" in widget.count.text()
    widget.filter.setText("condition >= 4 and")
    widget.filter.returnPressed.emit()
    assert widget.error.isVisibleTo(widget) and "expression error" in widget.error.text()


def test_selection_is_shared_both_ways(qtbot, widget):
    model, selection = widget.model, widget.selection
    chosen = [model.uuid_at(r) for r in (2, 3, 4, 10)]
    selection.set_selection("litter_bin", chosen)
    rows = sorted({i.row() for i in widget.view.selectionModel().selectedRows()})
    assert rows == [2, 3, 4, 10]
    widget.view.selectionModel().select(
        model.index(7, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    assert selection.selected("litter_bin") == [model.uuid_at(7)]
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        selection.set_selection("litter_bin", chosen)
        widget.selected_only.setChecked(True)
    assert model.rowCount() == 4
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        selection.set_selection("litter_bin", chosen[:2])
    assert model.rowCount() == 2


def test_zoom_to_a_rows_feature(qtbot, small_window):
    """Double-clicking a row number in the real window zooms the map to that asset."""
    w = small_window
    feature = w.installed_features["editing"]
    feature.show_table("litter_bin")
    model = feature.table.model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    uuid = model.uuid_at(3)
    x, y = w.store.get_row("litter_bin", uuid)["geom"].coords[0]
    header = feature.table.view.verticalHeader()
    pos = QPoint(header.width() // 2, header.sectionViewportPosition(3)
                 + header.sectionSize(3) // 2)
    qtbot.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    minx, miny, maxx, maxy = w.canvas.extent()
    assert minx < x < maxx and miny < y < maxy and maxx - minx < 200


def test_a_hidden_table_queries_nothing_until_shown(qtbot, store, session):
    w = AttributeTableWidget(SelectionModel(), "en")
    qtbot.addWidget(w)
    w.set_store(store, session, "bridge")
    assert w.model is None  # a closed dock costs nothing at file open
    w.show()
    qtbot.waitUntil(lambda: w.model is not None and w.model.rowCount() > 0, timeout=10_000)
    assert w.model.rowCount() == store.layer("bridge").count
    w.model.close()
