"""Every date and time a person sees is office time (China Standard Time, UTC+8), whatever
the computer's clock is set to: at 22:00 UTC on 6 December it is already 7 December in the
office, so a new record, a print and the sync history must say the 7th, as the work
orders' case numbers and timelines do (a repair record dated the day before its order)."""

from __future__ import annotations

import datetime as dt

import pytest

from citymgr_desktop.core import clock

LATE_EVENING_UTC = dt.datetime(2026, 12, 6, 22, 0)  # 2026-12-07 06:00 in the office


@pytest.fixture
def late_evening(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # the computer's own clock on UTC, as on this machine
    monkeypatch.setattr(clock, "utcnow", lambda: LATE_EVENING_UTC)


def test_office_today_is_the_office_date(late_evening):
    assert clock.office_today() == dt.date(2026, 12, 7)
    assert clock.office_today(dt.datetime(2026, 12, 6, 15, 59)) == dt.date(2026, 12, 6)
    assert clock.format_local("2026-12-06T22:07:00.000Z") == "2026-12-07 06:07"


def test_a_new_record_is_dated_in_office_time(qtbot, late_evening):
    from citymgr_desktop.ui.history.record_dialog import HistoryRecordDialog

    dlg = HistoryRecordDialog(None, asset_label="垃圾箱")
    qtbot.addWidget(dlg)
    assert dlg.date.value() == "2026-12-07"


def test_a_time_that_is_not_a_timestamp_is_shown_as_it_is():
    assert clock.format_local_or_text("2026-12-06T22:07:48.691Z") == "2026-12-07 06:07"
    assert clock.format_local_or_text("2026-12-06T22:07:48.691Z", with_time=False) == \
        "2026-12-07"
    assert clock.format_local_or_text("not a time") == "not a time"
    assert clock.format_local_or_text(None) == clock.format_local_or_text("") == ""


def _run(applied_at, undone_at=None):
    from citymgr_desktop.core.sync.registry import RunRecord

    return RunRecord("u", "S1", "sync", None, None, None, "field.gpkg", applied_at, "李四",
                     None, "undone" if undone_at else "applied", undone_at=undone_at,
                     undone_by="张三")


def test_the_sync_history_shows_office_time_or_the_text_as_it_is(qtbot, late_evening):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    from citymgr_desktop.ui.sync.history_model import SyncHistoryModel

    model = SyncHistoryModel()
    model.load([_run("2026-12-06T22:07:48.691Z"), _run("昨天下午", undone_at="2026-12-06T23:00")],
               [])
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    when = model.HEADERS.index("When")
    assert [view.model().index(r, when).data() for r in (0, 1)] == ["2026-12-07 06:07",
                                                                     "昨天下午"]
    tip = view.model().index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "2026-12-07 07:00" in tip


def test_the_asset_form_shows_when_it_was_updated_in_office_time(qtbot, small_district):
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog

    with Store.open(small_district) as s:
        uuid = s.conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
        row = s.get_row("litter_bin", uuid)
    row["updated_at"] = "2026-12-06T21:59:48.691Z"
    dlg = AssetFormDialog(None, sc.LITTER_BIN, row, lang="en")
    qtbot.addWidget(dlg)
    assert dlg.editors["updated_at"].inner.text() == "2026-12-07 05:59"
    dlg.accept()
    assert dlg.values() == {}  # shown differently, not changed
    # a damaged file's stamp is shown as it is (the same function as the sync history's)
    for stored, shown in (("2026/12/06 黄昏", "2026/12/06 黄昏"), (None, "")):
        dlg = AssetFormDialog(None, sc.LITTER_BIN, {**row, "updated_at": stored}, lang="en")
        qtbot.addWidget(dlg)
        assert dlg.editors["updated_at"].inner.text() == shown


def test_a_print_is_dated_in_office_time(late_evening, qapp, small_district, tmp_path):
    import subprocess

    from citymgr_desktop.cli import main
    from tests.tools import have_pdftotext, skip_missing

    if not have_pdftotext():
        skip_missing("pdftotext", "poppler-utils")
    pdf = tmp_path / "map.pdf"
    assert main(["--lang", "en", "print-map", str(small_district), "--out", str(pdf),
                 "--paper", "A4"]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Date: 2026-12-07" in text, text[-400:]
