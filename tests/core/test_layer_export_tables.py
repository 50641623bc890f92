"""``citymgr export`` to XLSX and CSV as a real process, read back by openpyxl and pandas:
the workbook's header row (bold, shaded, frozen, filtered) and every chosen row; a text a
spreadsheet would take for a formula stays text, a character XML cannot hold does not break
the file; with ``--codes`` the headings are the field names. And a selection is read by fid,
not the whole layer."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3

import pytest

from tests.faults.support import run

pytestmark = pytest.mark.e2e


def _bad_bins(path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT fid, asset_uuid FROM litter_bin WHERE retired_at IS NULL "
                            "AND condition >= 4 ORDER BY fid").fetchall()


def test_xlsx_reads_back_with_its_header_and_text_stays_text(small_district, tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    bad = _bad_bins(small_district)
    fid, uuid = bad[0]
    assert run(["edit", small_district, "--layer", "litter_bin", "--where", f"fid = {fid}",
                "--set", "name==1+1 & <b>", "--set", "remarks=bell\x07here"]).rc == 0
    book, table = tmp_path / "bad.xlsx", tmp_path / "bad.csv"
    for out in (book, table):
        r = run(["export", small_district, "--layer", "litter_bin", "--out", out,
                 "--where", "condition >= 4", "--lang", "en"])
        assert r.rc == 0, r.err

    ws = load_workbook(book)["Litter bins"]
    width = ws.max_column
    assert ws.max_row == len(bad) + 1 and ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, width).column_letter}{len(bad) + 1}"
    assert ws["A1"].value == "Asset UUID" and ws["A1"].font.b
    assert ws["A1"].fill.fgColor.rgb.endswith("DDE6F0")
    assert ws.column_dimensions["A"].width == 38
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == uuid)
    by_heading = {ws.cell(1, c.column).value: c for c in row}
    assert by_heading["Name"].value == "=1+1 & <b>" and by_heading["Name"].data_type == "s"
    assert by_heading["Remarks"].value == "bellhere"
    assert by_heading["Condition"].value in ("Poor", "Critical")
    assert isinstance(by_heading["Longitude (WGS 84)"].value, float)

    # the same cells as the CSV of the same choice (which keeps the bell)
    with open(table, encoding="utf-8-sig", newline="") as fh:
        records = [[v.replace("\x07", "") for v in r] for r in csv.reader(fh)]
    frame = pd.read_excel(book, dtype=str, keep_default_na=False)
    assert list(frame.columns) == records[0]
    assert len(frame) == len(records) - 1 == len(bad)
    cells = [[_as_csv_text(c) for c in r[:-2]] for r in ws.iter_rows(min_row=2)]
    assert cells == [r[:-2] for r in records[1:]]


def _as_csv_text(cell) -> str:
    """A cell as the CSV writes it: a date or time (an Excel date) as its text."""
    value = cell.value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M" if "hh" in cell.number_format else "%Y-%m-%d")
    return "" if value is None else str(value)


def test_xlsx_dates_and_times_are_excel_dates_in_office_time(small_district, tmp_path):
    """Times (更新时间) are Excel dates in office time (UTC+8, as the heading says), dates
    (建成日期) Excel dates at midnight: openpyxl reads them as datetimes, with Excel's date
    formats, and Excel sorts and filters them as dates. The CSV keeps them as text."""
    from openpyxl import load_workbook

    with sqlite3.connect(small_district) as conn:
        fid, uuid, installed, updated = conn.execute(
            "SELECT fid, asset_uuid, install_date, updated_at FROM litter_bin WHERE "
            "retired_at IS NULL AND install_date IS NOT NULL ORDER BY fid").fetchone()
    utc = dt.datetime.fromisoformat(updated.replace("Z", "+00:00"))
    office = utc.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    book, table = tmp_path / "bins.xlsx", tmp_path / "bins.csv"
    for out in (book, table):
        assert run(["export", small_district, "--layer", "litter_bin", "--out", out,
                    "--where", f"fid = {fid}"]).rc == 0
    ws = load_workbook(book).active
    head = [c.value for c in ws[1]]
    updated_cell = ws.cell(2, head.index("更新时间（办公时间 UTC+8）") + 1)
    installed_cell = ws.cell(2, head.index("建成日期") + 1)
    assert ws.cell(2, 1).value == uuid
    assert updated_cell.is_date and updated_cell.value == office.replace(microsecond=0)
    assert updated_cell.number_format == "yyyy-mm-dd hh:mm"
    assert installed_cell.is_date and installed_cell.number_format == "yyyy-mm-dd"
    assert installed_cell.value == dt.datetime.fromisoformat(installed[:10])
    with open(table, encoding="utf-8-sig", newline="") as fh:
        row = dict(zip(*csv.reader(fh), strict=True))
    assert row["更新时间（办公时间 UTC+8）"] == office.strftime("%Y-%m-%d %H:%M")
    assert row["建成日期"] == installed[:10]


def test_codes_give_the_field_names_as_headings(small_district, tmp_path):
    from openpyxl import load_workbook

    out, book = tmp_path / "bins.csv", tmp_path / "bins.xlsx"
    for path in (out, book):
        assert run(["export", small_district, "--layer", "litter_bin", "--out", path,
                    "--codes"]).rc == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        headings = next(csv.reader(fh))
    assert headings[:3] == ["asset_uuid", "obj_code", "name"]
    assert "condition" in headings and "bin_type" in headings
    assert headings[-2:] == ["longitude_wgs84", "latitude_wgs84"]
    ws = load_workbook(book).active
    assert [c.value for c in ws[1]] == headings
    column = headings.index("condition") + 1
    assert {ws.cell(r, column).value for r in range(2, ws.max_row + 1)} <= {1, 2, 3, 4, 5, None}


def test_the_store_reads_the_rows_asked_by_fid(small_district):
    from citymgr_desktop.core.store import open_store

    bad = _bad_bins(small_district)
    wanted = [fid for fid, _ in bad[:3]]
    with open_store(small_district, read_only=True) as store:
        frame = store.read("litter_bin", fids=wanted)
        nothing = store.read("litter_bin", fids=[])
    assert sorted(frame.index) == wanted
    assert sorted(frame["asset_uuid"]) == sorted(u for _, u in bad[:3])
    assert len(nothing) == 0 and "asset_uuid" in nothing.columns


def test_a_cell_longer_than_a_spreadsheet_holds_is_cut_and_says_so(tmp_path):
    """An order of thousands of assets lists their codes in one cell: beyond the 32,767
    characters a cell holds, the text is cut with "…" (a longer one makes Excel call the
    book damaged); a carriage return stays one, a lone surrogate is left out."""
    from openpyxl import load_workbook

    from citymgr_desktop.export.writers import CELL_CHARS, Sheet, write_xlsx

    codes = ",".join(f"42010603040{i:05d}" for i in range(3000))  # 50,999 characters
    rows = [[codes, "a\r\nb", "x\ud800y", 7]]
    book = write_xlsx([Sheet("Orders", ["Assets", "Note", "Odd", "N"], rows, [20] * 4)],
                      tmp_path / "long.xlsx", "t")
    ws = load_workbook(book)["Orders"]
    cut = ws["A2"].value
    assert len(cut) == CELL_CHARS == 32_767 and cut.endswith("…")
    assert cut[:-1] == codes[:CELL_CHARS - 1]
    assert ws["B2"].value == "a\r\nb" and ws["C2"].value == "xy" and ws["D2"].value == 7
