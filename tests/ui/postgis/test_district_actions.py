"""A 街道-limited login (``db grant``) is refused, at the action, a bulk edit (Set field on
selected), a new work order, a point move and a field calculation over another 街道's assets,
and the move of a work order whose assets are not all in its 街道, in English and in Chinese:
a message names
the asset (or counts them and names the first few), no dialog asks for values first and
nothing becomes a pending edit (these were refused only at Ctrl+S, after the work)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from tests.pg.conftest import run_citymgr
from tests.ui.driver import CTRL, answer, click_map, press
from tests.ui.scenarios.test_records_and_orders import select_bin

pytestmark = pytest.mark.slow
NOTHING = {"en": "Nothing was changed", "zh_CN": "未做任何更改"}


def limited_login(pg_cluster, published: str) -> tuple[str, str]:
    """A login of its own (roles belong to the cluster: one per test) granted 粮道街道, and
    the URL that opens the database as it."""
    from citymgr_desktop.core.store.postgis.grant import grant

    dbname = published.rsplit("/", 1)[1]
    role = "li_si_" + "_".join(dbname.rsplit("_", 2)[-2:])
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-li'")
    grant(published, role, "粮道街道")
    QSettings().setValue(f"user/name_of_login/{role}", "李四")  # asked at a first edit otherwise
    return dbname, pg_cluster.url(dbname, role, "pw-li")


def refusal(qtbot, shots, name: str, act) -> str:
    """``act()`` must bring a message box (not a dialog asking for values); its text (a
    screenshot ``name`` taken, OK clicked)."""
    seen: dict[str, object] = {}

    def read(dialog) -> None:
        seen["kind"] = type(dialog).__name__
        seen["text"] = dialog.text() if isinstance(dialog, QMessageBox) else ""
        shots(name, dialog)
        dialog.reject()

    with answer(qtbot, fill=read, kind=QDialog):
        act()
    assert seen["kind"] == "QMessageBox", seen  # refused before a dialog asked for values
    return str(seen["text"])


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_bulk_edit_move_and_calculation_of_another_districts_assets_are_refused_at_once(
        qtbot, window_in, pg_cluster, published, shots, lang):
    _dbname, url = limited_login(pg_cluster, published)
    w = window_in(lang, url)
    session = w.edit_session
    district = lambda u: session.row("litter_bin", u)["district"]  # noqa: E731
    other, x, y = select_bin(qtbot, w, where=lambda u: district(u) != "粮道街道")
    row = session.row("litter_bin", other)

    text = refusal(qtbot, shots, f"bulk-edit-refused-{lang}",
                   lambda: press(qtbot, w, Qt.Key.Key_B, CTRL | Qt.KeyboardModifier.ShiftModifier))
    assert f"{row['obj_code']} {row['name']}" in text and row["district"] in text
    assert NOTHING[lang] in text

    text = refusal(qtbot, shots, f"new-order-refused-{lang}",  # its links would be refused
                   lambda: press(qtbot, w, Qt.Key.Key_N, CTRL | Qt.KeyboardModifier.ShiftModifier))
    assert f"{row['obj_code']} {row['name']}" in text and NOTHING[lang] in text

    press(qtbot, w, Qt.Key.Key_Comma, CTRL)  # Move point asset (Ctrl+,), then the bin
    text = refusal(qtbot, shots, f"move-refused-{lang}", lambda: click_map(qtbot, w, x, y))
    assert f"{row['obj_code']} {row['name']}" in text and NOTHING[lang] in text
    assert w.installed_features["editing"].move_tool.picked is None  # no move under way
    press(qtbot, w, Qt.Key.Key_Escape)

    press(qtbot, w, Qt.Key.Key_A, CTRL | Qt.KeyboardModifier.AltModifier)  # deselect
    every = session.select("litter_bin", None)
    others = [u for u in every if district(u) != "粮道街道"]
    assert 5 < len(others) < len(every)
    text = refusal(qtbot, shots, f"calculation-refused-{lang}",
                   lambda: press(qtbot, w, Qt.Key.Key_I, CTRL))  # no selection: every bin
    assert f"{len(others)}" in text and f"{len(every)}" in text and NOTHING[lang] in text
    first = session.row("litter_bin", others[0])
    assert f"{first['obj_code']} {first['name']} ({first['district']})" in text
    assert text.count("\n") >= 5 + 2 and "…" in text  # five named, the rest counted
    assert not session.dirty and len(w.commands) == 0


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_an_order_of_its_district_over_another_districts_asset_is_refused_at_the_move(
        qtbot, window_in, pg_cluster, published, shots, lang):
    dbname, url = limited_login(pg_cluster, published)
    made = run_citymgr("workorders", "create", published, "--layer", "litter_bin", "--where",
                       "district = '积玉桥街道'", "--priority", "normal", "--title", "巡查",
                       "--json")  # by the database's owner
    assert made.returncode == 0, made.stderr
    case = json.loads(made.stdout)["case_no"]
    # reported in 粮道街道, its bins in 积玉桥街道: the database lets li_si change it only
    # when every asset of it is theirs
    pg_cluster.psql(dbname, f"UPDATE work_order SET district = '粮道街道' WHERE case_no = "
                            f"'{case}'")
    w = window_in(lang, url)
    orders = w.installed_features["workorders"]
    orders.list.select_case(case)
    text = refusal(qtbot, shots, f"order-move-refused-{lang}",
                   lambda: press(qtbot, w, Qt.Key.Key_M, CTRL))
    assert case in text and "积玉桥街道" in text and "粮道街道" not in text
    assert NOTHING[lang] in text
    assert not w.edit_session.dirty
