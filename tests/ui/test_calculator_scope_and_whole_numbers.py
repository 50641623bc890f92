"""Trial 11, a user in the real window, in Chinese and English:

- the field calculator (Ctrl+I) with nothing selected says it changes the whole layer and
  how many assets ("Applies to all 71 litter bins (nothing selected)", OK "Update 71"); with
  the expression brought back from last time Enter asks first (it re-ran the last formula
  on all 2,388 bins at one key); a click on OK, or Enter after typing, goes on; the
  placeholder is an expression on the chosen field, the preview rows are named by object
  code and name, not a cut uuid;
- a decimal typed into a whole-number field (capacity 12.5) stays 12.5, marked and named,
  and OK refuses it (the "." was dropped: 125 was saved);
- Esc in the maintenance-record dialog after typing asks, as the asset form does;
- an edited conflict value the field refuses is named in the asset form's words and its
  cell stays marked (tests/ui/test_sync_dialog.py has the conflict itself).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.driver import CTRL, SHIFT, answer, button_of, pick, press

WORDS = {
    "en": {"all": "Applies to all {n} litter bins (nothing selected)", "ok": "Update {n}",
           "selected": "Applies to the 1 selected litter bins", "back": "Back",
           "whole": "must be a whole number", "capacity": "Capacity (L)",
           "discard": "Discard", "keep": "Keep editing"},
    "zh_CN": {"all": "将计算全部 {n} 个垃圾箱（未选择要素）", "ok": "计算 {n} 个",
              "selected": "将计算选中的 1 个垃圾箱", "back": "返回", "whole": "须为整数",
              "capacity": "容量(升)", "discard": "放弃", "keep": "继续编辑"},
}
LANGS = pytest.mark.parametrize("lang", ["zh_CN", "en"])


def _retype(qtbot, edit, text):
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(edit, text)


@LANGS
def test_the_calculator_names_its_scope_and_enter_asks_on_a_whole_layer(
        qtbot, window_in, small_district, shots, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    s = w.edit_session
    every = s.select("litter_bin", None)
    first = every[0]
    n = f"{len(every):,}"
    w.selection.set_selection("litter_bin", [first])
    seen: dict[str, object] = {}

    def once(dialog):  # one bin selected, the expression typed: Enter is OK
        seen["selected"] = (dialog.scope_label.text(), dialog.ok_button.text())
        pick(qtbot, dialog.target, "remarks")
        seen["placeholder"] = dialog.expression.placeholderText()
        qtbot.mouseClick(dialog.expression.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.expression, "'checked ' || obj_code")
        seen["preview"] = dialog.preview.text()
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Return)

    with answer(qtbot, fill=once):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    qtbot.waitUntil(lambda: str(s.row("litter_bin", first)["remarks"] or "")
                    .startswith("checked "), timeout=20_000)
    assert seen["selected"] == (words["selected"], words["ok"].format(n=1))
    assert seen["placeholder"] == "'repair ' || obj_code" and "pci" not in seen["placeholder"]
    row = s.row("litter_bin", first)
    assert str(row["obj_code"]) in seen["preview"] and str(row["name"]) in seen["preview"]
    assert first[:8] not in seen["preview"]

    w.selection.set_selection("litter_bin", [])  # Deselect all, then Ctrl+I, Enter

    def whole_layer(dialog):
        seen["all"] = (dialog.scope_label.text(), dialog.ok_button.text(), dialog.text())
        shots(f"calculator-all-{lang}", dialog)
        with answer(qtbot, words["back"], kind=QMessageBox) as asked:
            qtbot.keyClick(dialog.expression, Qt.Key.Key_Return)
        seen["asked"] = (asked.text, asked.dialog.informativeText(), dialog.isVisible())
        with answer(qtbot, words["back"], kind=QMessageBox):  # Enter on the drop-down too
            qtbot.keyClick(dialog.target, Qt.Key.Key_Return)
        seen["still"] = dialog.isVisible()
        qtbot.mouseClick(button_of(dialog, words["ok"].format(n=n)), Qt.MouseButton.LeftButton)

    with answer(qtbot, fill=whole_layer):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    assert seen["all"] == (words["all"].format(n=n), words["ok"].format(n=n),
                           "'checked ' || obj_code")
    text, informative, open_ = seen["asked"]
    assert open_ and text == words["all"].format(n=n) and "'checked ' || obj_code" in informative
    assert seen["still"]
    qtbot.waitUntil(lambda: all(str(s.row("litter_bin", u)["remarks"] or "").startswith(
        "checked ") for u in every[1:4]), timeout=20_000)


def test_enter_after_typing_goes_on_with_nothing_selected(qtbot, small_window):
    w = small_window
    s = w.edit_session
    every = s.select("litter_bin", None)
    w.selection.set_selection("litter_bin", [])

    def typed(dialog):
        pick(qtbot, dialog.target, "remarks")
        qtbot.mouseClick(dialog.expression.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClick(dialog.expression, Qt.Key.Key_A, CTRL)
        qtbot.keyClicks(dialog.expression, "'typed'")
        qtbot.keyClick(dialog.expression, Qt.Key.Key_Return)  # no question: typed here

    with answer(qtbot, fill=typed):
        press(qtbot, w, Qt.Key.Key_I, CTRL)
    qtbot.waitUntil(lambda: {s.row("litter_bin", u)["remarks"] for u in every[:5]} ==
                    {"typed"}, timeout=20_000)
    assert QApplication.activeModalWidget() is None


@LANGS
def test_a_decimal_in_a_whole_number_field_stays_and_is_refused(qtbot, window_in,
                                                                small_district, shots, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    uuid = w.edit_session.select("litter_bin", "capacity_l = 240")[0]
    w.selection.set_selection("litter_bin", [uuid])
    seen: dict[str, object] = {}

    def fill(form):
        edit = form.editors["capacity_l"].inner
        _retype(qtbot, edit, "12.5")
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter: OK, refused
        seen["12.5"] = (edit.text(), form.isVisible(), form.error.text(), edit.styleSheet())
        shots(f"form-12.5-{lang}", form)
        _retype(qtbot, edit, "120")
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    text, open_, error, style = seen["12.5"]
    assert (text, open_) == ("12.5", True) and "border" in style
    assert words["capacity"] in error and "12.5" in error and words["whole"] in error
    assert w.edit_session.row("litter_bin", uuid)["capacity_l"] == 120


@LANGS
def test_esc_in_the_record_dialog_asks_before_dropping_typed_text(qtbot, window_in,
                                                                  small_district, lang):
    words = WORDS[lang]
    w = window_in(lang, small_district)
    uuid = w.edit_session.select("litter_bin", "true")[0]
    w.selection.set_selection("litter_bin", [uuid])
    seen: dict[str, object] = {}

    def fill(dialog):
        _retype(qtbot, dialog.crew, "crewB")
        qtbot.mouseClick(dialog.observation.viewport(), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.observation, "long observation text")
        with answer(qtbot, words["keep"], kind=QMessageBox) as asked:
            qtbot.keyClick(dialog.observation, Qt.Key.Key_Escape)
        seen["kept"] = (asked.text, dialog.isVisible(), dialog.crew.text())
        with answer(qtbot, words["discard"], kind=QMessageBox):
            qtbot.keyClick(dialog.crew, Qt.Key.Key_Escape)
        seen["gone"] = dialog.isVisible()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_H, CTRL | SHIFT)
    question, open_, crew = seen["kept"]
    assert question and open_ and crew == "crewB"
    assert seen["gone"] is False
    assert not w.edit_session.pending_for("maintenance_record")


def test_esc_in_an_untouched_record_dialog_closes_at_once(qtbot, small_window):
    w = small_window
    w.selection.set_selection("litter_bin", w.edit_session.select("litter_bin", "true")[:1])
    seen = {}

    def fill(dialog):
        qtbot.keyClick(dialog.date.line, Qt.Key.Key_Escape)
        seen["closed"] = not dialog.isVisible()

    with answer(qtbot, fill=fill):
        press(qtbot, w, Qt.Key.Key_H, CTRL | SHIFT)
    assert seen == {"closed": True}
