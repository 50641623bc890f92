"""Editing assets in the real main window with real input: add a bin by clicking the map and
filling the form, move it, change a condition and see its colour change on the map before
saving, bulk edit, save (issue 12, items 1-3)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from citymgr_desktop.core.model import symbology as sy
from tests.ui.driver import (
    CTRL,
    answer,
    click_map,
    drag_map,
    map_point,
    menu_item,
    pick,
    pixel,
    press,
    settle,
    type_into,
)
from tests.ui.scenarios.helpers import empty_spot, zoom_on_a_bin


def choose_layer(qtbot, window, name: str) -> None:
    """Click the layer's row in the layer panel."""
    panel = window.layer_panel
    for i in range(panel.topLevelItemCount()):
        item = panel.topLevelItem(i)
        if item.data(0, Qt.ItemDataRole.UserRole) == name:
            rect = panel.visualItemRect(item)
            qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton,
                             pos=rect.center())
            assert window.current_layer() == name
            return
    raise AssertionError(f"no layer row {name}")


def test_add_a_bin_by_clicking_the_map_and_filling_the_form(qtbot, opened_window, shots):
    w = opened_window
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    choose_layer(qtbot, w, "litter_bin")
    press(qtbot, w, Qt.Key.Key_Period, CTRL)  # Add point asset (Ctrl+.)
    assert w.canvas.tool == "add_point"
    assert "Click the map where the new asset stands" in w.status_bar.currentMessage()
    shots("add-tool-chosen", w)
    nx, ny = empty_spot(w, (x, y))

    def fill(form):
        shots("form-opened", form)
        type_into(qtbot, form.editors["name"].inner, "新垃圾箱")
        combo = form.editors["condition"].inner
        combo.setCurrentIndex(combo.findData(2))

    with answer(qtbot, "OK", fill=fill, title="New"):
        click_map(qtbot, w, nx, ny)
    assert w.canvas.tool == "add_point"  # the tool stays for the next one
    (uuid,) = w.selection.selected("litter_bin")
    row = w.edit_session.row("litter_bin", uuid)
    assert row["name"] == "新垃圾箱" and row["condition"] == 2 and row["district"]
    settle(qtbot, w)
    assert w.hits_at(nx, ny)[:1] == [("litter_bin", uuid)]  # drawn where it stands
    shots("bin-added", w)
    assert w.windowTitle().startswith("* ")


def colour_of(condition: int | None) -> tuple[int, int, int]:
    from PySide6.QtGui import QColor

    c = QColor(sy.CONDITION_COLOURS[condition])
    return c.red(), c.green(), c.blue()


def near(rgb: tuple[int, int, int], want: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want, strict=True))


def select_at(qtbot, window, x: float, y: float) -> None:
    """The select tool (Ctrl+Alt+S) and a click on the map."""
    press(qtbot, window, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.AltModifier)
    assert window.canvas.tool == "select"
    click_map(qtbot, window, x, y)


def test_move_a_bin_with_two_clicks(qtbot, opened_window, shots):
    w = opened_window
    uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_Comma, CTRL)  # Move point asset (Ctrl+,)
    assert w.canvas.tool == "move_point"
    click_map(qtbot, w, x, y)  # picks it
    assert w.selection.selected("litter_bin") == [uuid]
    nx, ny = empty_spot(w, (x, y))
    qtbot.mouseMove(w.canvas, pos=map_point(w, nx, ny))
    shots("moving", w)
    click_map(qtbot, w, nx, ny)  # puts it there
    geom = w.edit_session.row("litter_bin", uuid)["geom"]
    assert abs(geom.x - nx) < 1 and abs(geom.y - ny) < 1
    settle(qtbot, w)
    assert ("litter_bin", uuid) in w.hits_at(nx, ny)
    assert ("litter_bin", uuid) not in w.hits_at(x, y)  # drawn at its new place only
    assert w.canvas.tool == "move_point"
    assert w.edit_session.commands.undo_label().startswith("Move ")
    shots("moved", w)


def test_condition_edit_shows_its_colour_on_the_map_before_saving(qtbot, opened_window,
                                                                  shots):
    """Issue 12 item 3: the map, identify, the legend counts show the unsaved value."""
    w = opened_window
    uuid, x, y = zoom_on_a_bin(
        qtbot, w, where=lambda u: w.edit_session.row("litter_bin", u)["condition"] == 1)
    assert near(pixel(w, x, y), colour_of(1))
    legend_before = w.layer_panel.topLevelItem(0).child(0).text(0)
    select_at(qtbot, w, x, y)
    assert w.current_layer() == "litter_bin"

    def fill(form):
        pick(qtbot, form.editors["condition"].inner, 5)
        shots("form", form)

    with answer(qtbot, "OK", fill=fill):
        press(qtbot, w, Qt.Key.Key_E, CTRL)  # Asset form (Ctrl+E)
    press(qtbot, w, Qt.Key.Key_A, CTRL | Qt.KeyboardModifier.AltModifier)  # deselect
    settle(qtbot, w)
    assert near(pixel(w, x, y), colour_of(5)), pixel(w, x, y)  # red before saving
    assert w.store.get_row("litter_bin", uuid)["condition"] == 1  # the file is unchanged
    assert w.layer_panel.topLevelItem(0).child(0).text(0) != legend_before  # counts follow
    shots("critical-before-save", w)
    press(qtbot, w, Qt.Key.Key_I, CTRL | Qt.KeyboardModifier.AltModifier)  # identify
    click_map(qtbot, w, x, y)
    top = w.identify_panel.topLevelItem(0)
    values = {top.child(k).text(0): top.child(k).text(1) for k in range(top.childCount())}
    assert values["Condition"] == "5 Critical"
    assert w.canvas.highlight  # the identified bin is outlined on the map
    shots("identified", w)
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    assert w.store.get_row("litter_bin", uuid)["condition"] == 5
    qtbot.waitUntil(lambda: not w.windowTitle().startswith("* "))
    settle(qtbot, w)
    assert near(pixel(w, x, y), colour_of(5))  # still red once the file is read again


def test_bulk_edit_of_a_rectangle_selection_is_one_undo_step(qtbot, opened_window, shots):
    w = opened_window
    _uuid, x, y = zoom_on_a_bin(qtbot, w)
    press(qtbot, w, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.AltModifier)
    c = map_point(w, x, y)
    drag_map(qtbot, w, c - QPoint(150, 120), c + QPoint(150, 120))
    chosen = w.selection.selected("litter_bin")
    assert len(chosen) >= 1
    choose_layer(qtbot, w, "litter_bin")

    def fill(dialog):
        pick(qtbot, dialog.field_box, "remarks")
        type_into(qtbot, dialog.editor.inner, "bulk")
        shots("bulk-dialog", dialog)

    with answer(qtbot, "OK", fill=fill):
        menu_item(qtbot, w, "edit", "Set field on selected")
    assert len(w.commands) == 1
    assert all(w.edit_session.row("litter_bin", u)["remarks"] == "bulk" for u in chosen)
    press(qtbot, w, Qt.Key.Key_Z, CTRL)
    assert not w.edit_session.dirty
