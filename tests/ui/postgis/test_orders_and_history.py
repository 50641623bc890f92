"""Work orders and maintenance history on a database: an order made, moved, given a photo,
saved in one transaction and exported; a photo attached to a record in the history panel."""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QListWidget,
    QPushButton,
    QTreeWidget,
)

from tests.ui.driver import answer, choose_file, menu_item, pick, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL, select_bin

pytestmark = pytest.mark.slow


def test_a_work_order_made_moved_with_a_photo_and_exported_on_a_database(qtbot, db_window,
                                                                        tmp_path, shots):
    from pypdf import PdfReader

    from tests.ui.driver import drag_map, map_point
    from tests.ui.scenarios.helpers import zoom_on_a_bin
    from tests.ui.scenarios.test_records_and_orders import ALT, PNG, order_row

    w = db_window
    url = w.store.target
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)
    c = map_point(w, x, y)
    drag_map(qtbot, w, c - QPoint(120, 100), c + QPoint(120, 100))
    n = sum(len(v) for v in w.selection.all().values())
    assert n >= 2
    with answer(qtbot, "OK", fill=lambda d: type_into(qtbot, d.title, "垃圾箱清洗"),
                title="New work order"):
        menu_item(qtbot, w, "workorder", "New work order")
    case = w.edit_session.commands.undo_label().split()[-1]
    w.dock("workorders_dock").show()
    w.dock("workorders_dock").raise_()
    table, pos = order_row(w, case)
    qtbot.waitUntil(table.isVisible)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.findChild(QDialog, "workOrderDetail") is not None)
    detail = w.findChild(QDialog, "workOrderDetail")
    for target in ("filed", "dispatched"):
        with answer(qtbot, "OK", fill=lambda d, t=target: pick(qtbot, d.target, t)):
            qtbot.mouseClick(detail.move_button, Qt.MouseButton.LeftButton)
    photo = tmp_path / "dispatch.png"
    photo.write_bytes(PNG)
    QSettings().setValue("workorders/photo_dir", str(tmp_path))
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(detail.attach_button, Qt.MouseButton.LeftButton)
    assert detail.photos.count() == 1
    shots("order-detail", detail)
    qtbot.mouseClick(detail.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)
    press(qtbot, w, Qt.Key.Key_S, CTRL)  # order, events, links, photo: one transaction
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(url) as conn:
        order_uuid, state = conn.execute("SELECT work_order_uuid, state FROM work_order "
                                         "WHERE case_no = %s", (case,)).fetchone()
        links = conn.execute("SELECT count(*) FROM work_order_asset WHERE "
                             "work_order_uuid = %s", (order_uuid,)).fetchone()[0]
        events = conn.execute("SELECT count(*) FROM work_order_event WHERE "
                              "work_order_uuid = %s", (order_uuid,)).fetchone()[0]
        photos = conn.execute("SELECT count(*) FROM attachment WHERE owner_uuid = %s",
                              (order_uuid,)).fetchone()[0]
    assert (state, links, events, photos) == ("dispatched", n, 3, 1)
    table, pos = order_row(w, case)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    out = tmp_path / "orders.pdf"

    def fill(dialog):
        dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
        type_into(qtbot, dialog.path, str(out))
        dialog.with_map.setChecked(True)

    with answer(qtbot, "OK", fill=fill, title="Export work orders"):
        menu_item(qtbot, w, "workorder", "Export work orders")
    qtbot.waitUntil(lambda: "Exported" in w.status_bar.currentMessage(), timeout=60_000)
    text = "".join(page.extract_text() for page in PdfReader(str(out)).pages)
    assert case in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out),
                    str(shots.folder / "order-pdf")], check=True)  # to look at


def test_a_photo_attached_to_a_record_in_the_history_panel_on_a_database(qtbot, db_window,
                                                                         tmp_path, shots):
    from citymgr_desktop.core import history
    from tests.ui.scenarios.test_records_and_orders import PNG, add_record

    w = db_window
    uuid, _x, _y = select_bin(qtbot, w, where=lambda u: bool(history.records(w.store, u)))
    tree = w.findChild(QTreeWidget, "historyRecords")
    w.dock("history_dock").show()
    w.dock("history_dock").raise_()
    qtbot.waitUntil(tree.isVisible)
    before = tree.topLevelItemCount()
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    record = tree.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole)
    photo = tmp_path / "site-photo.png"
    photo.write_bytes(PNG)
    QSettings().setValue("history/attach_dir", str(tmp_path))
    with answer(qtbot, None, fill=choose_file(qtbot, photo), kind=QFileDialog):
        qtbot.mouseClick(w.findChild(QPushButton, "historyAttach"), Qt.MouseButton.LeftButton)
    thumbs = w.findChild(QListWidget, "history_photos")
    assert "site-photo.png" in [thumbs.item(i).text() for i in range(thumbs.count())]
    add_record(qtbot, w, shots, after=2)
    assert tree.topLevelItemCount() == before + 1
    shots("history-panel", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not w.edit_session.dirty, timeout=10_000)
    with psycopg.connect(w.store.target) as conn:
        names = [r[0] for r in conn.execute("SELECT file_name FROM attachment WHERE "
                                            "owner_uuid = %s", (record,))]
        records = conn.execute("SELECT count(*) FROM maintenance_record WHERE asset_uuid = "
                               "%s", (uuid,)).fetchone()[0]
    assert "site-photo.png" in names and records == before + 1
    assert w.findChild(QTreeWidget, "historyRecords").topLevelItemCount() == before + 1
