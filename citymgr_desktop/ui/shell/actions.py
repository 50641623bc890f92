"""The main window's own menus, actions, tool bar buttons and shortcuts.

Shortcuts follow QGIS where QGIS has one (Ctrl+Shift+F full extent, Ctrl+J zoom to
selection, Ctrl+Alt+A deselect), so GIS users feel at home; the map tools are Ctrl+Alt+P
(pan), Z (zoom box), S (select) and I (identify). Features must not reuse these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from citymgr_desktop.ui import i18n, icons
from citymgr_desktop.ui.map.measure_tool import MeasureTool
from citymgr_desktop.ui.shell import database, help_menu, map_image, settings
from citymgr_desktop.ui.shell.locate import LocateBox

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from citymgr_desktop.ui.shell.window import Window

FILE_ACTIONS = ("close", "export_image")  # enabled while a file is open
MENU_KEYS = ("file", "edit", "view", "layer", "asset", "workorder", "tools", "settings", "help")


def menu_titles() -> dict[str, str]:
    tr = i18n.tr
    return {"file": tr("&File"), "edit": tr("&Edit"), "view": tr("&View"), "layer": tr("&Layer"),
            "asset": tr("&Assets"), "workorder": tr("&Work Orders"), "tools": tr("&Tools"),
            "settings": tr("&Settings"), "help": tr("&Help")}


def _action(w: Window, name: str, text: str, slot, shortcut=None, icon=None,
            tip: str = "", checkable: bool = False) -> QAction:
    a = QAction(text, w)
    a.setObjectName(name)
    if shortcut is not None:
        if isinstance(shortcut, list):
            a.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            a.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        a.setIcon(icons.icon(icon))
    if tip:
        a.setStatusTip(tip)
        a.setToolTip(f"{text.replace('&', '')} ({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                     if a.shortcut() else text.replace("&", ""))
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    return a


def build(w: Window, recent_menu: QMenu, panels_menu: QMenu) -> dict[str, QAction]:
    """Create the window's actions, put them into menus and the tool bar (with the window's
    File > Open Recent and View > Panels menus); returns them."""
    tr = i18n.tr
    c = w.canvas
    acts = {
        "open": _action(w, "action_open", tr("&Open…"), lambda: settings.open_dialog(w), QKeySequence.StandardKey.Open,
                        "open", tr("Open a GeoPackage")),
        "open_database": _action(w, "action_open_database", tr("Open &Database…"),
                                 lambda: database.ask_database(w), None, None,
                                 tr("Open a project in a PostGIS database")),
        "close": _action(w, "action_close", tr("&Close"), w.close_file, ["Ctrl+W", "Ctrl+F4"],
                         None, tr("Close the open file")),
        "export_image": _action(w, "action_export_image", tr("Save Map as &Image…"),
                                lambda: map_image.export_map_image(w), None, None,
                                tr("Save the current map view as a PNG image")),
        "quit": _action(w, "action_quit", tr("&Quit"), w.close, "Ctrl+Q"),
        "zoom_in": _action(w, "action_zoom_in", tr("Zoom &In"), lambda: c.zoom_by(2.0),
                           ["Ctrl++", "Ctrl+="], "zoom_in", tr("Zoom in 2×")),
        "zoom_out": _action(w, "action_zoom_out", tr("Zoom &Out"), lambda: c.zoom_by(0.5),
                            ["Ctrl+-"], "zoom_out", tr("Zoom out 2×")),
        "zoom_full": _action(w, "action_zoom_full", tr("Zoom &Full"), c.zoom_full,
                             "Ctrl+Shift+F", "zoom_full", tr("Show all layers")),
        "zoom_selection": _action(w, "action_zoom_selection", tr("Zoom to &Selection"),
                                  w.zoom_to_selection, "Ctrl+J", "zoom_selection",
                                  tr("Show the selected features")),
        "zoom_layer": _action(w, "action_zoom_layer", tr("Zoom to &Layer"),
                              lambda: w.zoom_to_layer(w.current_layer()), "Ctrl+Shift+L",
                              "zoom_layer", tr("Show the whole current layer")),
        "zoom_previous": _action(w, "action_zoom_previous", tr("Zoom &Previous"), c.zoom_previous,
                                 "Alt+Left", "zoom_previous", tr("Back to the previous view")),
        "zoom_next": _action(w, "action_zoom_next", tr("Zoom &Next"), c.zoom_next, "Alt+Right",
                             "zoom_next", tr("Forward to the next view")),
        "refresh": _action(w, "action_refresh", tr("&Refresh"), c.refresh,
                           QKeySequence.StandardKey.Refresh, "refresh",
                           tr("Draw the map again")),
        "tool_pan": _action(w, "action_tool_pan", tr("&Pan"), lambda: c.set_tool("pan"),
                            "Ctrl+Alt+P", "pan", tr("Drag to move the map"), True),
        "tool_zoom": _action(w, "action_tool_zoom", tr("Zoom &Box"), lambda: c.set_tool("zoom_in"),
                             "Ctrl+Alt+Z", "zoom_box", tr("Drag a box to zoom in; click zooms in"),
                             True),
        "tool_select": _action(w, "action_tool_select", tr("&Select Features"),
                               lambda: c.set_tool("select"), "Ctrl+Alt+S", "select",
                               tr("Click or drag a box to select; Shift adds, Ctrl toggles"), True),
        "tool_identify": _action(w, "action_tool_identify", tr("&Identify Features"),
                                 lambda: c.set_tool("identify"), "Ctrl+Alt+I",
                                 "identify",
                                 tr("Click a feature to see its attributes"), True),
        "tool_measure": _action(w, "action_tool_measure", tr("&Measure Distance and Area"),
                                lambda: c.set_tool("measure"), "Ctrl+Alt+M", "measure",
                                tr("Click points to measure a distance; three or more give an "
                                   "area; double-click to finish"), True),
        "locate": _action(w, "action_locate", tr("&Locate…"), None, "Ctrl+F", None,
                          tr("Find an asset by its code or name, or a sub-district")),
        "clear_selection": _action(w, "action_clear_selection", tr("&Deselect All"),
                                   lambda: w.selection.clear(), "Ctrl+Alt+A", "deselect",
                                   tr("Clear the selection in every layer")),
        "user_name": _action(w, "action_user_name", tr("&User Name…"),
                             lambda: settings.ask_user_name(w), None, None,
                             tr("The name recorded with your edits")),
        "about": _action(w, "action_about", tr("&About citymgr-desktop"),
                         lambda: settings.about(w)),
    }
    c.tools.register(MeasureTool(
        lambda: bool(w.map_data and w.map_data.crs_geographic),
        lambda: w.map_data.metres_per_unit(sum(c.extent()[1::2]) / 2) if w.map_data else 1.0,
        lambda text: w.status(text, 0)))
    for key, tool in (("tool_pan", "pan"), ("tool_zoom", "zoom_in"), ("tool_select", "select"),
                      ("tool_identify", "identify"), ("tool_measure", "measure")):
        c.tools.add_action(tool, acts[key])  # one exclusive group with the features' tools
    locate_box = LocateBox(w)
    acts["locate"].triggered.connect(lambda: (locate_box.setFocus(), locate_box.selectAll()))

    f = w.menu("file")
    f.addAction(acts["open"])
    f.addAction(acts["open_database"])
    f.addMenu(recent_menu)
    f.addAction(acts["close"])
    f.addSeparator()
    f.addAction(acts["export_image"])
    w.menu("edit").addAction(acts["clear_selection"])
    v = w.menu("view")
    v.addActions([acts["tool_pan"], acts["tool_zoom"], acts["tool_select"], acts["tool_identify"],
                  acts["tool_measure"]])
    v.addSeparator()
    v.addActions([acts["zoom_in"], acts["zoom_out"], acts["zoom_full"], acts["zoom_selection"],
                  acts["zoom_layer"], acts["zoom_previous"], acts["zoom_next"]])
    v.addSeparator()
    v.addAction(acts["refresh"])
    v.addAction(acts["locate"])
    v.addSeparator()
    v.addMenu(panels_menu)
    w.menu("layer").addAction(acts["zoom_layer"])
    s = w.menu("settings")
    lang_menu = s.addMenu(tr("&Language"))
    langs = QActionGroup(w)
    current = i18n.chosen_language()
    for code, label in i18n.LANGUAGES.items():
        a = QAction(label, w, checkable=True)
        a.setObjectName(f"action_language_{code}")
        a.setChecked(code == current)
        a.triggered.connect(lambda _=False, lang=code: settings.set_language(w, lang))
        langs.addAction(a)
        lang_menu.addAction(a)
    s.addAction(acts["user_name"])
    tb = w.toolbar()
    tb.addActions([acts["open"]])
    tb.addSeparator()
    tb.addActions([acts["tool_pan"], acts["tool_zoom"], acts["tool_select"], acts["tool_identify"],
                   acts["tool_measure"]])
    tb.addSeparator()
    tb.addActions([acts["zoom_in"], acts["zoom_out"], acts["zoom_full"], acts["zoom_selection"],
                   acts["zoom_previous"], acts["zoom_next"], acts["refresh"]])
    tb.addSeparator()
    tb.addAction(acts["clear_selection"])
    tb.addSeparator()
    tb.addWidget(locate_box)
    w.setProperty("locate_box", locate_box)
    for key in FILE_ACTIONS:  # nothing to close or to draw without a file (trial 10)
        acts[key].setEnabled(False)
    w.storeChanged.connect(lambda store: [acts[key].setEnabled(store is not None)
                                          for key in FILE_ACTIONS])
    return acts


def finish(w: Window, acts: dict[str, QAction]) -> None:
    """Items that belong at the end of their menus, after the features added theirs."""
    f = w.menu("file")
    f.addSeparator()
    f.addAction(acts["quit"])
    h = w.menu("help")
    h.addActions(help_menu.actions(w, MENU_KEYS))
    h.addSeparator()
    h.addAction(acts["about"])
    for key in MENU_KEYS:  # a menu no feature filled stays out of the way
        m = w.menu(key)
        m.menuAction().setVisible(not m.isEmpty())


__all__ = ["MENU_KEYS", "QCoreApplication", "build", "finish", "menu_titles"]
