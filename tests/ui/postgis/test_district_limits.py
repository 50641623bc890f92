"""A 街道-limited login (``db grant``) is refused, at the action, a delete of another 街道's
asset or a move of its work order, with a message naming the asset by code, name and 街道
(the order by case number): no edit is made that only the save would refuse (trial 8 fault 4: it was applied and failed at Ctrl+S, naming a uuid,
and stayed pending until Ctrl+Z)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from tests.pg.conftest import run_citymgr
from tests.ui.driver import answer, press, type_into
from tests.ui.scenarios.test_records_and_orders import select_bin

pytestmark = pytest.mark.slow


def test_delete_of_another_districts_asset_is_refused_at_the_action(
        qtbot, main_window, pg_cluster, published, shots):
    from citymgr_desktop.core.store.postgis.grant import grant

    w = main_window
    dbname = published.rsplit("/", 1)[1]
    role = "li_si_" + "_".join(dbname.rsplit("_", 2)[-2:])  # roles belong to the cluster: one per test
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-li'")
    grant(published, role, "粮道街道")
    made = run_citymgr("workorders", "create", published, "--layer", "litter_bin", "--where",
                       "district = '积玉桥街道'", "--priority", "normal", "--title", "巡查",
                       "--json")  # by the database's owner
    assert made.returncode == 0, made.stderr
    case = json.loads(made.stdout)["case_no"]
    prompt = []

    def type_password(dialog):
        prompt.append(dialog.labelText())
        type_into(qtbot, dialog.findChild(QLineEdit), "pw-li")

    with answer(qtbot, "OK", title="Database password", fill=type_password), \
            qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(pg_cluster.url(dbname, role))
    assert prompt[0].startswith(f"Password for login {role} (")  # the login, not only where
    qtbot.waitUntil(w.canvas.is_settled, timeout=30_000)
    district = lambda u: w.edit_session.row("litter_bin", u)["district"]  # noqa: E731
    other, _x, _y = select_bin(qtbot, w, where=lambda u: district(u) != "粮道街道")
    row = w.edit_session.row("litter_bin", other)
    seen = {}

    def read(box):
        seen["text"] = box.text()
        shots("delete-refused", box)

    with answer(qtbot, QMessageBox.StandardButton.Ok, fill=read, kind=QMessageBox):
        press(qtbot, w, Qt.Key.Key_Delete)
    assert f"{row['obj_code']} {row['name']} belongs to {row['district']}" in seen["text"]
    assert "Nothing was changed" in seen["text"]
    assert not w.edit_session.dirty
    assert w.edit_session.row("litter_bin", other) is not None
    orders = w.installed_features["workorders"]
    orders.list.select_case(case)
    seen.clear()
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox,
                fill=lambda box: seen.update(text=box.text())):
        orders.move_action.trigger()
    assert f"Work order {case} belongs to 积玉桥街道" in seen["text"]
    assert not w.edit_session.dirty
