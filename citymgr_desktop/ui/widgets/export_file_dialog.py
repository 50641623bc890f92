"""The part every export dialog shares (work orders, asset layers): which items (the
selected, those the list's filter shows, or all; a scope with nothing in it is shown but
cannot be chosen), the format, and the file: its name suggested per scope until the person
types one of their own, its ending following the format, Browse…; the choices and the
folder are remembered under the dialog's settings key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

SCOPES = ("selected", "filtered", "all")
NOT_IN_NAMES = str.maketrans({c: "-" for c in '/\\:*?"<>|'})  # not allowed in a file name


def file_stem(*words: str) -> str:
    """A proposed file name's stem: the words joined by "-", lower case, no spaces and no
    character a file name cannot hold (垃圾箱-徐家棚街道, litter-bins-selected,
    maintenance-map-粮道街道), as the work orders' (workorders-12) and the monthly report's
    (monthly-report-2026-11) names."""
    return "-".join(" ".join(w for w in words if w).split()).lower().translate(NOT_IN_NAMES)


class ExportFileDialog(QDialog):
    """Scope, format and file of an export; a subclass names its settings key, formats and
    scope texts, adds its own rows to ``form`` and its own choices to :meth:`values` and
    :meth:`remembered`. The caller runs the export in a worker."""

    settings_key = ""  # where the choices are remembered
    formats: tuple[tuple[str, str], ...] = ()  # (key, file-dialog filter); the first: default
    default_name = "export"  # the file's name where ``names`` has none for the scope

    def scope_texts(self) -> tuple[str, dict[str, str]]:
        """The scope row's label and each scope's item, ``%1`` standing for its count."""
        raise NotImplementedError

    def __init__(self, parent: QWidget | None, counts: Mapping[str, int | None],
                 names: dict[str, str], folder: Path | None = None) -> None:
        """``counts``: how many items each scope exports (see :meth:`set_counts`);
        ``names``: the file name each scope suggests, without the ending; ``folder``: where
        the file goes until one was chosen."""
        super().__init__(parent)
        saved = QSettings().value(self.settings_key, {}) or {}
        self.saved: dict[str, Any] = saved if isinstance(saved, dict) else {}
        scope_row, self._scope_labels = self.scope_texts()
        self.names = names
        self.form = QFormLayout()
        self.scope = QComboBox()
        self._scope_chosen = False  # by the person: counts that come later leave it alone
        for key in SCOPES:
            self.scope.addItem("", key)
        self.scope.activated.connect(self._scope_activated)
        self.counts: dict[str, int | None] = {}
        self.set_counts(counts, announce=False)
        self.form.addRow(scope_row, self.scope)
        self.format = QComboBox()
        for key, label in self.formats:
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(self.format.findData(self.saved.get("format")), 0))
        self.form.addRow(self.tr("Format"), self.format)
        self.folder = Path(str(self.saved.get("folder") or folder or Path.home()))
        self.path = QLineEdit()
        self.path.setMinimumWidth(380)
        self._suggested = ""  # the stem last suggested: a path with another was typed
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.form.addRow(self.tr("File"), row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        for combo in (self.scope, self.format):
            combo.currentIndexChanged.connect(lambda _i: self._suggest())
            combo.currentIndexChanged.connect(lambda _i: self.choices_changed())
        self._suggest()

    def set_counts(self, counts: Mapping[str, int | None], *, announce: bool = True) -> None:
        """How many items each scope exports (None: still being counted, shown as "…"). A
        scope with nothing in it is shown but cannot be chosen; until the person chose a
        scope, the remembered one is chosen, or the first that exports something."""
        self.counts = dict(counts)
        model = self.scope.model()
        for i, key in enumerate(SCOPES):
            n = self.counts.get(key, 0)
            self.scope.setItemText(i, self._scope_labels[key].replace(
                "%1", "…" if n is None else f"{n:,}"))
            model.item(i).setEnabled(n != 0)  # type: ignore[attr-defined]
        if not self._scope_chosen or self.counts.get(self.scope.currentData(), 0) == 0:
            wanted = str(self.saved.get("scope", "selected"))
            order = [wanted, *SCOPES] if wanted in SCOPES else list(SCOPES)
            first = next((k for k in order if self.counts.get(k, 0) != 0), "all")
            self.scope.setCurrentIndex(max(self.scope.findData(first), 0))
        if announce:
            self.choices_changed()

    def _scope_activated(self, _index: int) -> None:
        self._scope_chosen = True

    def _suggest(self) -> None:
        """The file the scope suggests, in the folder shown, with the format's ending; a
        name the person typed stays (its ending follows the format)."""
        fmt = self.format.currentData()
        text = self.path.text().strip()
        current = Path(text) if text else None
        name = self.names.get(self.scope.currentData(), self.default_name)
        if current is None or current.stem == self._suggested:  # not a name typed
            folder = current.parent if current is not None else self.folder
            self.path.setText(str(folder / f"{name}.{fmt}"))
            self._suggested = name
        else:
            self.path.setText(str(current.with_suffix(f".{fmt}")))

    def choices_changed(self) -> None:
        """Called when the scope or the format changed (a subclass updates its notes; it
        calls this itself at the end of its ``__init__``)."""

    def _browse(self) -> None:
        fmt = self.format.currentData()
        name, _ = QFileDialog.getSaveFileName(self, self.windowTitle(), self.path.text(),
                                              dict(self.formats)[fmt])
        if name:
            self.path.setText(name)

    def values(self) -> dict[str, object]:
        """The choices: scope, format, path, and a subclass's own."""
        return {"scope": self.scope.currentData(), "format": self.format.currentData(),
                "path": self.path.text().strip()}

    def remembered(self, values: dict[str, object]) -> dict[str, object]:
        """What of ``values`` is remembered for the next time (the folder is, always)."""
        return {"scope": values["scope"], "format": values["format"]}

    def accept(self) -> None:
        v = self.values()
        if not v["path"]:
            return
        QSettings().setValue(self.settings_key, {
            **self.remembered(v), "folder": str(Path(str(v["path"])).parent)})
        super().accept()
