"""Trial 10, a keyboard user in the editing dialogs of the real window, in Chinese and English:

- a number typed outside its range (capacity 2000, at most 1,100; -5) stays as typed, is
  named with the allowed range, and OK (Enter) refuses it, in the asset form (Ctrl+E) and in
  Set field on selected (Ctrl+Shift+B): the spin box swallowed keys, 2000 became 200 and was
  saved, -5 became 5;
- the field calculator (Ctrl+I) brings back the last field with the last expression (it
  brought back the expression over "Name": one OK renamed the asset), Enter / Ctrl+Enter in
  the expression is OK, and a refused value reads "-5" with the field's label, not "-5.0"
  with ``litter_bin.capacity_l``.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.driver import CTRL, SHIFT, answer, pick, press

WORDS = {
    "en": {"capacity": "Capacity (L)", "outside": "is outside the allowed range",
           "remarks": "Remarks"},
    "zh_CN": {"capacity": "容量(升)", "outside": "超出允许范围", "remarks": "备注"},
}
LANGS = pytest.mark.parametrize("lang", ["zh_CN", "en"])


def _bins(w, n=1, where="capacity_l = 240"):
    uuids = w.edit_session.select("litter_bin", where)[:n]
    assert len(uuids) == n
    w.selection.set_selection("litter_bin", uuids)
    return uuids


def _retype(qtbot, edit, text):
    """Into a focused field: select all, type, as a person does."""
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(edit, text)


@LANGS
def test_a_capacity_out_of_range_stays_as_typed_and_is_refused(qtbot, window_in,
                                                                small_district, shots, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    (uuid,) = _bins(w)
    seen: dict[str, object] = {}

    def fill(form):
        edit = form.editors["capacity_l"].inner
        _retype(qtbot, edit, "2000")
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter: OK
        seen["2000"] = (edit.text(), form.isVisible(), form.error.text(), edit.styleSheet())
        shots(f"form-2000-{lang}", form)
        _retype(qtbot, edit, "-5")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        seen["-5"] = (edit.text(), form.isVisible(), form.error.text())
        _retype(qtbot, edit, "1100")
        seen["fixed"] = (form.error.isVisible(), edit.styleSheet())
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # now it closes

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    text, open_, error, style = seen["2000"]
    assert (text, open_) == ("2000", True)
    assert words["capacity"] in error and "2000" in error and words["outside"] in error
    assert "[5, 1100] L" in error and "border" in style
    text, open_, error = seen["-5"]
    assert (text, open_) == ("-5", True) and "-5 " in error and "[5, 1100] L" in error
    assert seen["fixed"] == (False, "")
    assert w.edit_session.row("litter_bin", uuid)["capacity_l"] == 1100


@LANGS
def test_set_field_on_selected_refuses_a_capacity_out_of_range(qtbot, window_in,
                                                                small_district, shots, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    uuids = _bins(w, 2)
    seen: dict[str, object] = {}

    def fill(dialog):
        pick(qtbot, dialog.field_box, "capacity_l")
        edit = dialog.editor.inner
        _retype(qtbot, edit, "2000")
        seen["live"] = dialog.error.text()
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        seen["2000"] = (edit.text(), dialog.isVisible(), dialog.error.text())
        shots(f"bulk-2000-{lang}", dialog)
        _retype(qtbot, edit, "-5")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        seen["-5"] = (edit.text(), dialog.isVisible(), dialog.error.text())
        _retype(qtbot, edit, "660")
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_B, CTRL | SHIFT)
    assert words["capacity"] in seen["live"] and "[5, 1100] L" in seen["live"]
    text, open_, error = seen["2000"]
    assert (text, open_) == ("2000", True) and "2000" in error and words["outside"] in error
    text, open_, error = seen["-5"]
    assert (text, open_) == ("-5", True) and "-5 " in error
    assert {w.edit_session.row("litter_bin", u)["capacity_l"] for u in uuids} == {660}


@LANGS
def test_the_calculator_brings_back_field_and_expression_and_enter_is_ok(
        qtbot, window_in, small_district, shots, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    first, second = w.edit_session.select("litter_bin", "capacity_l = 240")[:2]
    w.selection.set_selection("litter_bin", [first])
    names = {u: w.edit_session.row("litter_bin", u)["name"] for u in (first, second)}

    def set_remarks(dialog):
        pick(qtbot, dialog.target, "remarks")
        qtbot.mouseClick(dialog.expression.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.expression, "'repair ' || obj_code")
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Return)  # Enter: OK

    with answer(qtbot, fill=set_remarks):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    qtbot.waitUntil(lambda: str(w.edit_session.row("litter_bin", first)["remarks"] or "")
                    .startswith("repair "), timeout=20_000)

    w.selection.set_selection("litter_bin", [second])
    seen: dict[str, object] = {}

    def again(dialog):
        seen["restored"] = (dialog.target.currentData(), dialog.text())
        shots(f"calculator-restored-{lang}", dialog)
        pick(qtbot, dialog.target, "capacity_l")
        qtbot.mouseClick(dialog.expression.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog.expression, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(dialog.expression, "-5")
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Return, CTRL)  # Ctrl+Enter: OK, refused
        seen["refused"] = (dialog.isVisible(), dialog.error.text())
        shots(f"calculator-refused-{lang}", dialog)
        qtbot.keyClick(dialog.expression, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(dialog.expression, "660")
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Enter, CTRL)  # keypad Enter as well

    with answer(qtbot, fill=again):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    assert seen["restored"] == ("remarks", "'repair ' || obj_code")
    open_, error = seen["refused"]
    assert open_ and words["capacity"] in error and words["outside"] in error
    assert "-5 " in error and "-5.0" not in error and "litter_bin.capacity_l" not in error
    qtbot.waitUntil(lambda: w.edit_session.row("litter_bin", second)["capacity_l"] == 660,
                    timeout=20_000)
    assert {u: w.edit_session.row("litter_bin", u)["name"] for u in names} == names
    assert QApplication.activeModalWidget() is None


def test_shift_enter_is_a_new_line_in_the_expression(qtbot, small_window):
    w = small_window
    _bins(w)
    seen = {}

    def fill(dialog):
        pick(qtbot, dialog.target, "remarks")
        qtbot.mouseClick(dialog.expression.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.expression, "'a'")
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Return, SHIFT)
        seen["text"] = (dialog.expression.toPlainText(), dialog.isVisible())
        dialog.reject()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    assert seen["text"] == ("'a'\n", True)


def test_a_comma_is_a_thousands_separator_never_a_decimal_point(qtbot, window_in,
                                                                   small_district):
    """Review: ``1,250`` typed into a bridge's length became 1.25 m, inside the range, and
    was saved. A comma groups thousands (1,250 = 1250); elsewhere it is no number, refused."""
    w = window_in("en", small_district)
    uuid = w.edit_session.select("bridge", "length_m IS NOT NULL")[0]
    w.selection.set_selection("bridge", [uuid])
    seen: dict[str, object] = {}

    def fill(form):
        edit = form.editors["length_m"].inner
        _retype(qtbot, edit, "1,25")
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # refused: no number
        seen["1,25"] = (edit.text(), form.isVisible(), "border" in edit.styleSheet())
        _retype(qtbot, edit, "1,250")
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # 1250 m: OK closes

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert seen["1,25"] == ("1,25", True, True)
    assert w.edit_session.row("bridge", uuid)["length_m"] == 1250
