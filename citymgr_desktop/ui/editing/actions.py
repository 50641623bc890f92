"""The actions of the editing feature: undo/redo with labels, the add/move point map tools,
delete-or-retire, the asset form, bulk edit, field calculator and zoom to assets. A mixin of
:class:`~citymgr_desktop.ui.editing.feature.EditingFeature` (which owns the session)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shapely
from pyproj import Transformer
from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMessageBox

from citymgr_desktop.core.editing import EditSession
from citymgr_desktop.core.editing import commands as ec
from citymgr_desktop.core.editing.view import neighbour_values
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.asset_form_dialog import AssetFormDialog
from citymgr_desktop.ui.editing.attribute_table_widget import AttributeTableWidget
from citymgr_desktop.ui.editing.bulk_edit_dialog import BulkEditDialog
from citymgr_desktop.ui.editing.point_tools import AddPointTool, MovePointTool
from citymgr_desktop.ui.editing.toolbar_icons import toolbar_icon
from citymgr_desktop.ui.editing.write_guard import may_step, save_first
from citymgr_desktop.ui.shell.district_limits import refuse_others
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import database_guarded, run_task, show_error

BIG_EDIT = 2_000  # assets above which an edit is built in a worker thread (with progress)
REMEMBERED = ("bin_type", "capacity_l", "mount", "material", "structure", "maint_class")


class EditingActions(QObject):
    """The editing menu's actions; the host class (EditingFeature) provides the attributes
    and methods declared here."""

    window: Window
    session: EditSession | None
    lang: str
    table: AttributeTableWidget
    save: Callable[..., bool]
    pending_text: Callable[[], str]
    discard: Callable[[], None]
    show_table: Callable[..., None]
    update_title: Callable[[], None]

    def _action(self, text: str, slot: Any, *keys: Any, checkable: bool = False,
                name: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.setCheckable(checkable)
        guarded = database_guarded(self.window, text.replace("&", ""), slot)
        action.triggered.connect(lambda checked=False: guarded(checked) if checkable
                                 else guarded())
        return action

    def _make_actions(self) -> None:
        w = self.window
        w.add_write_guard(lambda parent, what, button: save_first(self, parent, what, button))
        self.undo_action = self._action(self.tr("Undo"), self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(self.tr("Redo"), self.redo, "Ctrl+Y", "Ctrl+Shift+Z")
        self.save_action = self._action(self.tr("Save edits"), self.save, "Ctrl+S")
        self.discard_action = self._action(self.tr("Discard edits…"), self.discard)
        self.add_action = self._action(self.tr("Add point asset"), self.toggle_add, "Ctrl+.",
                                       checkable=True, name="action_add_point")
        self.move_action = self._action(self.tr("Move point asset"), self.toggle_move, "Ctrl+,",
                                        checkable=True, name="action_move_point")
        self.add_tool = AddPointTool(self._add_clicked)
        self.move_tool = MovePointTool(self._pick, self._move_to,
                                       lambda: w.canvas.view().units_per_pixel)
        w.tools.register(self.add_tool, self.add_action)
        w.tools.register(self.move_tool, self.move_action)
        self.delete_action = self._action(self.tr("Delete selected assets…"), self.delete,
                                          "Del", name="action_delete_assets")
        self.form_action = self._action(self.tr("Asset form…"), self.form_of_selection,
                                        "Ctrl+E", name="action_asset_form")
        self.bulk_action = self._action(self.tr("Set field on selected…"), self.bulk_edit,
                                        "Ctrl+Shift+B", name="action_bulk_edit")
        self.calc_action = self._action(self.tr("Field calculator…"), self.field_calculator,
                                        "Ctrl+I", name="action_field_calculator")
        self.table_action = self._action(self.tr("Attribute table"), self.show_table, "F6",
                                         name="action_attribute_table")
        menu = w.menu("edit")
        first = menu.actions()[0] if menu.actions() else None  # ours go on top
        for a in (self.undo_action, self.redo_action, None, self.save_action,
                  self.discard_action, None, self.add_action, self.move_action,
                  self.delete_action, None, self.form_action, self.bulk_action,
                  self.calc_action, None):
            if a is None:
                menu.insertSeparator(first) if first else menu.addSeparator()
            else:
                menu.insertAction(first, a) if first else menu.addAction(a)
        w.menu("layer").addAction(self.table_action)
        for action, name in ((self.undo_action, "undo"), (self.redo_action, "redo"),
                             (self.save_action, "save"), (self.add_action, "add_point"),
                             (self.move_action, "move_point"), (self.table_action, "table")):
            action.setIcon(toolbar_icon(name))
        for action, name in ((self.undo_action, "action_undo"), (self.redo_action, "action_redo"),
                             (self.save_action, "action_save_edits"),
                             (self.discard_action, "action_discard_edits")):
            action.setObjectName(name)
        bar = w.toolbar()
        bar.addSeparator()
        for a in (self.undo_action, self.redo_action, self.save_action, self.add_action,
                  self.move_action, self.table_action):
            bar.addAction(a)
        self._moving: tuple[str, str] | None = None

    # -- state ----------------------------------------------------------------------------------
    def _label(self, cmd: Any) -> str:
        if cmd is None:
            return ""
        return i18n.render(cmd.label)

    def update_actions(self) -> None:
        stack = self.window.commands
        editable = self.session is not None
        dirty = editable and self.session.dirty
        self.undo_action.setEnabled(stack.can_undo())
        self.redo_action.setEnabled(stack.can_redo())
        undo = self._label(stack.undo_command())
        redo = self._label(stack.redo_command())
        self.undo_action.setText(self.tr("Undo %1").replace("%1", undo) if undo
                                 else self.tr("Undo"))
        self.redo_action.setText(self.tr("Redo %1").replace("%1", redo) if redo
                                 else self.tr("Redo"))
        self.save_action.setEnabled(bool(dirty))
        self.discard_action.setEnabled(bool(dirty))
        layer = self.layer()
        point_layer = layer is not None and sc.table(layer).geometry_type == "POINT"
        self.add_action.setEnabled(editable and point_layer)
        self.move_action.setEnabled(editable)
        chosen = bool(layer and self.selected(layer))
        for a in (self.delete_action, self.bulk_action):
            a.setEnabled(editable and chosen)
        self.form_action.setEnabled(chosen)  # read-only files get a read-only form
        self.calc_action.setEnabled(editable and layer is not None)
        self.update_title()

    def layer(self) -> str | None:
        """The asset layer edits apply to: the current layer of the window's one selection
        model (the layer panel, the attribute table and a selection on the map set it)."""
        layer = self.window.current_layer() if self.window.is_project else None
        return layer if layer in sc.ASSET_TABLES_BY_NAME else None

    def selected(self, layer: str) -> list[str]:
        return list(self.window.selection.selected(layer))

    def _run(self, title: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except CitymgrError as exc:
            show_error(self.window, title, exc)
            return None

    # -- undo / redo ------------------------------------------------------------------------------
    def undo(self) -> None:
        if may_step(self.window, self.window.commands.undo_command(), redo=False):
            self._run(self.tr("Undo"), self.window.commands.undo)

    def redo(self) -> None:
        if may_step(self.window, self.window.commands.redo_command(), redo=True):
            self._run(self.tr("Redo"), self.window.commands.redo)

    # -- map tools (the window's tool manager runs them) ------------------------------------------
    def toggle_add(self, on: bool) -> None:
        layer = self.layer()
        if on and (layer is None or sc.table(layer).geometry_type != "POINT"):
            self.window.status(self.tr("Choose a point layer (bridges or litter bins) first"))
            self.window.canvas.set_tool(self.window.canvas.tools.active)  # stay where we were
            return
        self.window.canvas.set_tool("add_point" if on else "pan")
        if on:
            self.window.status(self.tr("Click the map where the new asset stands"))

    def toggle_move(self, on: bool) -> None:
        self.window.canvas.set_tool("move_point" if on else "pan")
        if on:
            self.window.status(self.tr("Click the asset to move"))

    def set_tool(self, tool: str | None) -> None:
        """``"add"``, ``"move"`` or None (back to panning)."""
        if tool == "add":
            self.toggle_add(True)
        elif tool == "move":
            self.toggle_move(True)
        elif self.window.canvas.tools.active in ("add_point", "move_point"):
            self.window.canvas.set_tool("pan")

    @property
    def tool(self) -> str | None:
        return {"add_point": "add", "move_point": "move"}.get(self.window.canvas.tools.active)

    def _to_layer(self, layer: str, x: float, y: float, inverse: bool = False) -> tuple:
        map_crs = self.window.canvas.map_crs
        layer_crs = self.window.store.crs(layer)
        if map_crs is None or layer_crs.equals(map_crs):
            return x, y
        src, dst = (layer_crs, map_crs) if inverse else (map_crs, layer_crs)
        return Transformer.from_crs(src, dst, always_xy=True).transform(x, y)

    def _add_clicked(self, x: float, y: float) -> None:
        layer = self.layer()
        if self.session is None or layer is None or sc.table(layer).geometry_type != "POINT":
            self.window.status(self.tr("Choose a point layer (bridges or litter bins) first"))
            return
        self.add_point_at(layer, *self._to_layer(layer, x, y))

    def _pick(self, x: float, y: float, tolerance: float) -> tuple[float, float] | None:
        """The point asset under the click (any visible point layer, the top one first)."""
        hits = [(layer, key) for layer, key in self.window.hits_at(x, y)
                if layer in sc.ASSET_TABLES_BY_NAME
                and sc.table(layer).geometry_type == "POINT"]
        if self.session is None or not hits:
            self.window.status(self.tr("No asset here; click on the asset to move"))
            return None
        layer, uuid = hits[0]
        self.window.selection.replace_all({layer: [uuid]})
        self.window.selection.set_current_layer(layer)
        if refuse_others(self.window, self.session, layer, [uuid], self.tr("Move point asset")):
            return None
        self._moving = (layer, uuid)
        self.window.status(self.tr("Now click its new position"))
        data = self.window.map_data
        if data is None:
            return x, y
        geoms = data.layer(layer).geometries(data.layer(layer).indices_of([uuid]))
        return (geoms[0].x, geoms[0].y) if len(geoms) else (x, y)

    def _move_to(self, x: float, y: float) -> None:
        if self._moving is None or self.session is None:
            return
        layer, uuid = self._moving
        self._moving = None
        lx, ly = self._to_layer(layer, x, y)
        self._run(self.tr("Move point asset"), self.session.move_point, layer, uuid,
                  shapely.Point(lx, ly))
        self.window.status(self.tr("Click the asset to move"))

    def add_point_at(self, layer: str, x: float, y: float) -> str | None:
        table = sc.table(layer)
        settings = QSettings()
        defaults = {f: settings.value(f"editing/last/{layer}/{f}") for f in REMEMBERED
                    if f in table.field_names()}
        defaults = {k: v for k, v in defaults.items() if v not in (None, "")}
        defaults.update(neighbour_values(self.session, layer, x, y))
        values = self.ask_form(table, defaults, new=True)
        if values is None:
            return None
        uuid = self._run(self.tr("Add point asset"), self.session.add_point, layer,
                         shapely.Point(x, y), values)
        if uuid:
            for f in REMEMBERED:
                if values.get(f) is not None:
                    settings.setValue(f"editing/last/{layer}/{f}", values[f])
            self.window.selection.set_selection(layer, [uuid])
        return uuid

    def ask_form(self, table: sc.Table, values: dict, new: bool,
                 reread: Callable[[], dict | None] | None = None) -> dict | None:
        """The asset form (``reread``: follow others' saves); what changed, or None."""
        dlg = AssetFormDialog(self.window, table, values, new=new, lang=self.lang)
        if reread is not None:
            dlg.follow(self.window.dataChanged, reread)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        if new:  # defaults the person kept count as chosen
            return {**{k: v for k, v in values.items() if k in table.field_names()},
                    **dlg.values()}
        return dlg.values()

    # -- commands on the selection ----------------------------------------------------------------
    def form_of_selection(self) -> None:
        layer = self.layer()
        uuids = self.selected(layer) if layer else []
        if layer and uuids:
            self.open_form(layer, uuids[0])

    def open_form(self, layer: str, uuid: str) -> None:
        """The asset's form (read-only when the file is): the values through the edit
        session, so unsaved edits show."""
        store = self.window.store
        if store is None or not self.window.is_project:
            return
        if self.session is None:
            row = store.get_rows(layer, [uuid]).get(uuid)
            if row is not None:
                AssetFormDialog(self.window, sc.table(layer), row, lang=self.lang,
                                read_only=True).exec()
            return
        row = self.session.row(layer, uuid)
        if not self.session.is_new(layer, uuid) and store.unchangeable(layer, [uuid]):
            AssetFormDialog(self.window, sc.table(layer), row, lang=self.lang, read_only=True,
                            read_only_note=self.tr(
                                "The database lets you change only the assets of the "
                                "sub-districts (街道) granted to you: the form shows this "
                                "one's values only.")).exec()
            return
        session = self.session
        values = self.ask_form(sc.table(layer), row, False, lambda: session.row(layer, uuid))
        if values:
            self._run(self.tr("Asset form"), self.session.set_values, layer, uuid, values)

    def delete(self) -> None:
        layer = self.layer()
        uuids = self.selected(layer) if layer else []
        if self.session is None or not layer or not uuids or \
                refuse_others(self.window, self.session, layer, uuids, self.tr("Delete assets")):
            return
        cmd = self._run(self.tr("Delete assets"), ec.delete_or_retire, self.session, layer, uuids)
        if cmd is None or not self.confirm_delete(self._label(cmd)):
            return
        self._run(self.tr("Delete assets"), self.session.push, cmd)
        self.window.selection.set_selection(layer, [])

    def confirm_delete(self, label: str) -> bool:
        text = self.tr("%1?\nAssets with maintenance history or work orders are retired "
                       "(kept, hidden from the map) instead of deleted. Undo with Ctrl+Z.")
        return QMessageBox.question(self.window, self.tr("Delete assets"),
                                    text.replace("%1", label)) == QMessageBox.StandardButton.Yes

    def bulk_edit(self) -> None:
        layer = self.layer()
        uuids = self.selected(layer) if layer else []
        if self.session is None or not layer or not uuids or \
                refuse_others(self.window, self.session, layer, uuids, self.tr("Set field")):
            return
        dlg = BulkEditDialog(self.window, sc.table(layer), len(uuids), self.lang)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            values, session = dlg.values(), self.session
            self._build_and_push(self.tr("Set field"), len(uuids),
                                 lambda: ec.bulk_set(session, layer, uuids, values))

    def _build_and_push(self, title: str, count: int, build: Any) -> None:
        """Build an edit command and push it: a big one is built (values read and checked,
        its journal lines made) in a worker with progress, so the window never stalls."""
        session = self.session
        if session is None:
            return

        def push(cmd: ec.EditCommand | None) -> None:
            if cmd is None:
                self.window.status(self.tr("Nothing changed: the assets already had that "
                                           "value"))
            elif session is self.session:
                self._run(title, session.push, cmd)

        if count <= BIG_EDIT:
            try:
                push(build())
            except CitymgrError as exc:
                show_error(self.window, title, exc)
            return
        self.task = run_task(self.window, title,
                             lambda progress: (lambda c: c.prepare() if c else None)(build()),
                             uses=session.store, on_done=push)

    def field_calculator(self) -> None:
        layer = self.layer()
        if self.session is None or not layer:
            return
        uuids, scope = self.selected(layer), "selected"
        if not uuids:  # what the table shows (its filter) or the whole layer: the dialog says
            model = self.table.model if self.table.layer == layer else None
            scope = "shown" if model is not None and model.expression else "all"
            uuids = self.session.select(layer, model.expression if model else None)
        if refuse_others(self.window, self.session, layer, uuids, self.tr("Field calculator")):
            return
        # imported when asked for: it brings pandas (0.7 s at start-up otherwise)
        from citymgr_desktop.ui.editing.field_calculator_dialog import FieldCalculatorDialog

        dlg = FieldCalculatorDialog(self.window, self.session, layer, uuids, self.lang, scope)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        field, text = dlg.result_values()
        session = self.session
        self.task = run_task(
            self.window, self.tr("Field calculator"),
            lambda progress: (lambda c: c.prepare() if c else None)(
                ec.calculate(session, layer, uuids, field, text)),
            uses=session.store, on_done=lambda cmd: cmd is not None and self._run(
                self.tr("Field calculator"), session.push, cmd))

    def zoom_to(self, layer: str, uuids: list[str]) -> None:
        if self.session is None or not uuids:
            return
        rows = self.session.rows(layer, uuids[:5000], [sc.GEOMETRY_COLUMN])
        geoms = [r[sc.GEOMETRY_COLUMN] for r in rows.values() if r.get(sc.GEOMETRY_COLUMN)]
        if not geoms:
            return
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        x0, y0 = self._to_layer(layer, minx, miny, inverse=True)
        x1, y1 = self._to_layer(layer, maxx, maxy, inverse=True)
        self.window.canvas.zoom_to_features(x0, y0, x1, y1)
        self.window.identify_features([(layer, u) for u in uuids if u in rows])
