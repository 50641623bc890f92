"""The per-asset form: the fields of one asset in groups (identity, location, management,
condition, the class's own fields, other; system fields read-only), with editors built from
the domains. OK validates every value with the core's rules and refuses invalid input with
a message that names the field and the allowed values; a number typed outside its range
is named as it is typed. Esc asks before it drops typed changes. ``read_only`` shows the
same form with every editor locked and only a Close button (a read-only file).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core import history
from citymgr_desktop.core.editing.commands import to_value
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import joined
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui.widgets.discard_question import discard_asked
from citymgr_desktop.ui.widgets.field_editors import FieldEditor, create_editor, explain
from citymgr_desktop.ui.widgets.photo_strip import PhotoStripWidget

_GROUP_ORDER = ("identity", "location", "management", "condition")
_GROUP_TITLES = {
    "identity": "Identity", "location": "Location", "management": "Management",
    "condition": "Condition", "road": "Road", "bridge": "Bridge", "green": "Green space",
    "bin": "Litter bin", "other": "Other", "system": "Record",
}


class AssetFormDialog(QDialog):
    """Edit one asset (``values`` = its current row) or a new one (``new=True``)."""

    def __init__(self, parent: QWidget | None, table: sc.Table, values: dict[str, Any],
                 *, new: bool = False, lang: str = "en", read_only: bool = False,
                 read_only_note: str | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.new = new
        self.lang = lang
        self.read_only = read_only
        name = values.get("name") or values.get("obj_code") or ""
        title = self.tr("New %1") if new else self.tr("%1 %2")
        self.setWindowTitle(title.replace("%1", table.label(lang)).replace("%2", str(name)))
        self.setObjectName("asset_form")
        self.editors: dict[str, FieldEditor] = {}
        self._shown: dict[str, Any] = {}
        self._live_problem: str | None = None

        body = QWidget()
        column = QVBoxLayout(body)
        for group, fields in self._groups():
            box = QGroupBox(self.tr(_GROUP_TITLES.get(group, group.title())))
            box.setObjectName(f"group_{group}")
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for f in fields:
                editor = create_editor(f, lang, box)
                editor.setObjectName(f"edit_{f.name}")
                editor.set_value(values.get(f.name))
                editor.set_read_only(f.system or read_only)
                self._shown[f.name] = editor.value()
                self.editors[f.name] = editor
                editor.changed.connect(self._show_problem)
                label = QLabel(f.label(lang) + ("*" if f.required and not f.system else ""))
                label.setToolTip(f.name)
                label.setBuddy(editor)
                form.addRow(label, editor)
            column.addWidget(box)
        photos = self._photo_box(parent, values)
        if photos is not None:
            column.addWidget(photos)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.error = QLabel()
        self.error.setObjectName("form_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close if read_only else
                                   QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if read_only:
            note = QLabel(read_only_note or self.tr("The file is open read-only: the form "
                                                    "shows the values only."))
            note.setObjectName("form_read_only")
            note.setWordWrap(True)
            layout.addWidget(note)
        self.others = QLabel()  # another user's save while the form is open (follow())
        self.others.setObjectName("form_others_saved")
        self.others.setWordWrap(True)
        self.others.setStyleSheet("color: #8a5a00;")
        self.others.hide()
        layout.addWidget(self.others)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        geometry = QSettings().value("editing/form_geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(460, 640)
        self._values: dict[str, Any] = {}

    def _photo_box(self, parent: QWidget | None, values: dict[str, Any]) -> QGroupBox | None:
        """The asset's photos, read-only (its own and its records', synced ones included),
        when the window has the file open."""
        store = getattr(parent, "store", None)
        uuid = values.get("asset_uuid")
        rows = history.asset_photos(store, uuid) if store is not None and uuid else []
        if self.new or not rows:
            return None
        box = QGroupBox(self.tr("Photos (%1)").replace("%1", str(len(rows))))
        box.setObjectName("group_photos")
        self.photos = PhotoStripWidget(box)
        self.photos.show_attachments(store, rows)
        QVBoxLayout(box).addWidget(self.photos)
        return box

    def _groups(self) -> list[tuple[str, list[sc.Field]]]:
        groups: dict[str, list[sc.Field]] = {}
        for f in self.table.fields:
            if f.name == "asset_uuid" and self.new:
                continue
            if f.system and self.new:
                continue
            groups.setdefault(f.group, []).append(f)
        order = [g for g in _GROUP_ORDER if g in groups]
        order += [g for g in groups if g not in order and g not in ("other", "system")]
        order += [g for g in ("other", "system") if g in groups]
        return [(g, groups[g]) for g in order]

    # -- values ---------------------------------------------------------------------------------
    def changed_values(self) -> dict[str, Any]:
        """What the person changed (raw editor values; for a new asset, everything filled)."""
        out = {}
        for name, editor in self.editors.items():
            if editor.field.system:
                continue
            value = editor.value()
            if self.new and value is None:
                continue
            if value != self._shown.get(name):
                out[name] = value
        return out

    def values(self) -> dict[str, Any]:
        """The checked, converted values after OK (stored forms: codes, ISO dates)."""
        return dict(self._values)

    def validate(self) -> str | None:
        """The first problem as a one-line message naming the field, or None."""
        checked = {}
        for name, raw in self.changed_values().items():
            f = self.table.field(name)
            try:
                checked[name] = to_value(self.table, f, raw, self.lang)
            except ValidationError as exc:
                self.editors[name].setFocus()
                return explain(f, raw, exc, self.lang)
        self._values = checked
        return None

    def _show_problem(self) -> None:
        """A number outside its range is named as it is typed (and OK refuses it); the
        message goes when every field is right again."""
        problems = [p for e in self.editors.values() if (p := e.problem())]
        if problems:
            self.error.setText(problems[0])
            self.error.show()
        elif self.error.text() == self._live_problem:
            self.error.hide()
        self._live_problem = problems[0] if problems else None

    # -- others' saves while open -------------------------------------------------------------
    def follow(self, changed: Any, reread: Callable[[], dict[str, Any] | None]) -> None:
        """Follow the window's ``changed(tables)`` while open: when another user saved this
        asset (trial 8: the form kept showing the old values), see :meth:`others_saved`."""
        def on_change(tables: set[str]) -> None:
            row = reread() if self.table.name in tables else None
            if row is not None:
                self.others_saved(row)

        changed.connect(on_change)
        self.finished.connect(lambda _r: changed.disconnect(on_change))

    def others_saved(self, row: dict[str, Any]) -> None:
        """The asset as saved now: the fields not changed here show its values; a note says
        who changed which fields (fields changed here keep the person's value; the save
        merges them as ever)."""
        moved = []
        for name, editor in self.editors.items():
            if name not in row or editor.value() != self._shown.get(name):
                continue  # changed here: kept
            editor.set_value(row[name])
            if editor.value() != self._shown[name]:
                self._shown[name] = editor.value()
                if not editor.field.system:
                    moved.append(editor.field.label(self.lang))
        if moved:
            self.others.setText(self.tr("Changed by %1 since you opened this form: %2 (shown "
                                        "now; your changes here are kept).").replace(
                "%1", str(row.get("updated_by") or "?")).replace("%2", joined(moved).render(self.lang)))
            self.others.show()

    def accept(self) -> None:
        problem = self.validate()
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        QSettings().setValue("editing/form_geometry", self.saveGeometry())
        super().accept()

    def reject(self) -> None:
        QSettings().setValue("editing/form_geometry", self.saveGeometry())
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc with typed changes asks first (trial 10: a long form was dropped by one key);
        with none it closes at once."""
        if event.key() == Qt.Key.Key_Escape and not self.read_only and self.changed_values() \
                and not self.discard_asked():
            return
        super().keyPressEvent(event)

    def discard_asked(self) -> bool:
        """Ask whether to drop the typed changes; True to drop them."""
        return discard_asked(self, self.tr("Discard your changes to this asset?"))
