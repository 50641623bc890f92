"""Wizard page 3: value words -> domain codes, for every coded field that has a source.

Each distinct source word is listed with how often it occurs and the code it will become:
the suggestion (code, label or synonym in English or Chinese) is pre-selected; a word that
matches nothing is highlighted and stays "no code" (left empty and counted in the report)
unless the person picks a code or "leave empty". The source's 街道 that the project does
not have are listed the same way: mapped to a known 街道, kept as a new one on purpose, or
left empty (then the nearest asset gives it, :mod:`core.importing.location`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from citymgr_desktop.core.importing import values as iv
from citymgr_desktop.core.importing.mapping import DISTRICT
from citymgr_desktop.core.importing.sources import is_empty
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.importing.state import ImportHost
from citymgr_desktop.ui.widgets.field_editors import add_code_items

UNSET = "__no_code__"
MAX_WORDS = 300  # per field; a free-text column mapped by mistake is not a value list
COL_FIELD, COL_WORD, COL_COUNT, COL_CODE = range(4)
UNMATCHED = QColor("#fde2c4")


class ImportValuesPage(QWizardPage):
    """Map the source's words onto codes."""

    def __init__(self, wizard: ImportHost) -> None:
        super().__init__()  # QWizard.setPage makes the wizard its parent
        self.wiz = wizard
        self.known: list[str] = []  # the project's 街道
        self.setTitle(self.tr("Value words"))
        self.setSubTitle(self.tr("Each word of the source becomes a code. Highlighted words "
                                 "match no code: choose one, or they stay empty and are "
                                 "counted in the report."))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("import_values")
        self.table.setHorizontalHeaderLabels([self.tr("Asset field"), self.tr("Source word"),
                                              self.tr("Count"), self.tr("Code")])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(COL_CODE,
                                                           QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel(self.tr("No coded field (condition, class, type…) has a "
                                          "source: nothing to map here."))
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.table, 1)

    def initializePage(self) -> None:  # Qt override
        state = self.wiz.state
        mapping, data = state.mapping, state.data
        assert mapping is not None and data is not None
        table = mapping.target()
        rows: list[tuple[str, str, int, Any, bool]] = []
        # 街道 is a controlled value too: the project's 街道 are the list (none yet: all new)
        self.known = self.wiz.store.districts() if DISTRICT in mapping.fields else []
        for name, src in mapping.fields.items():
            domain = table.field(name).get_domain()
            if name == DISTRICT and self.known:
                rows += self._district_rows(data.attributes[src],
                                            mapping.values.get(name, {}))
                continue
            if not isinstance(domain, dm.CodedDomain):
                continue
            counts = Counter(iv.value_key(v) for v in data.attributes[src]
                             if not is_empty(v) and not iv.is_null_word(v))
            explicit = {iv.normalise_word(w): c for w, c in mapping.values.get(name, {}).items()}
            for word, n in counts.most_common(MAX_WORDS):
                nword = iv.normalise_word(word)
                if nword in explicit:
                    rows.append((name, word, n, explicit[nword], True))
                else:
                    code = iv.match_code(domain, word)
                    rows.append((name, word, n, UNSET if code is None else code, False))
        self.table.setRowCount(len(rows))
        for r, (name, word, n, code, _explicit) in enumerate(rows):
            domain = table.field(name).get_domain()
            f_item = QTableWidgetItem(f"{table.field(name).label(label_language())} ({name})")
            f_item.setData(Qt.ItemDataRole.UserRole, name)
            w_item = QTableWidgetItem(word)
            c_item = QTableWidgetItem(str(n))
            c_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for it in (f_item, w_item, c_item):
                it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(r, COL_FIELD, f_item)
            self.table.setItem(r, COL_WORD, w_item)
            self.table.setItem(r, COL_COUNT, c_item)
            combo = (self._code_combo(domain, code) if isinstance(domain, dm.CodedDomain)
                     else self._district_combo(word, code))
            combo.currentIndexChanged.connect(lambda _i, row=r: self._highlight(row))
            self.table.setCellWidget(r, COL_CODE, combo)
            self._highlight(r)
        self.table.resizeColumnsToContents()
        self.empty_label.setVisible(not rows)
        self.table.setVisible(bool(rows))

    def _district_rows(self, column: list[Any], explicit: dict[str, Any]
                       ) -> list[tuple[str, str, int, Any, bool]]:
        """The source's 街道 that the project does not have: like a word that matches no
        code (map it to a known 街道, keep it as a new one, or leave it empty)."""
        known = set(self.known)
        counts = Counter(iv.value_key(v) for v in column
                         if not is_empty(v) and not iv.is_null_word(v))
        given = {iv.normalise_word(w): c for w, c in explicit.items()}
        rows: list[tuple[str, str, int, Any, bool]] = []
        for word, n in counts.most_common(MAX_WORDS):
            if word in known:
                continue
            nword = iv.normalise_word(word)
            rows.append((DISTRICT, word, n, given.get(nword, UNSET), nword in given))
        return rows

    def _district_combo(self, word: str, name: Any) -> QComboBox:
        combo = QComboBox()
        combo.addItem(self.tr("(not a 街道 of the file – kept, reported)"), UNSET)
        combo.addItem(self.tr("(leave empty – from the nearest asset)"), None)
        combo.addItem(self.tr("keep as a new 街道: %1").replace("%1", word), word)
        for district in self.known:
            combo.addItem(district, district)
        index = 1 if name is None or name == "" else combo.findData(name)
        combo.setCurrentIndex(max(index, 0))
        return combo

    def _code_combo(self, domain: dm.CodedDomain, code: Any) -> QComboBox:
        combo = QComboBox()
        combo.addItem(self.tr("(no code – left empty, reported)"), UNSET)
        combo.addItem(self.tr("(leave empty)"), None)
        add_code_items(combo, domain, label_language())
        if code == UNSET:
            combo.setCurrentIndex(0)
        elif code is None or code == "":
            combo.setCurrentIndex(1)
        else:
            combo.setCurrentIndex(max(combo.findData(code), 0))
        return combo

    def _highlight(self, row: int) -> None:
        combo = self.table.cellWidget(row, COL_CODE)
        unmatched = isinstance(combo, QComboBox) and combo.currentData() == UNSET
        brush = QBrush(UNMATCHED) if unmatched else QBrush()
        for col in (COL_FIELD, COL_WORD, COL_COUNT):
            item = self.table.item(row, col)
            if item is not None:
                item.setBackground(brush)

    def unmatched_rows(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.table.rowCount()):
            combo = self.table.cellWidget(r, COL_CODE)
            if isinstance(combo, QComboBox) and combo.currentData() == UNSET:
                out.append((self.table.item(r, COL_FIELD).data(Qt.ItemDataRole.UserRole),
                            self.table.item(r, COL_WORD).text()))
        return out

    def choose(self, field_name: str, word: str, code: Any) -> None:
        """Pick the code of one word (as a person would in the table)."""
        for r in range(self.table.rowCount()):
            if (self.table.item(r, COL_FIELD).data(Qt.ItemDataRole.UserRole) == field_name
                    and self.table.item(r, COL_WORD).text() == word):
                combo = self.table.cellWidget(r, COL_CODE)
                combo.setCurrentIndex(1 if code is None else max(combo.findData(code), 0))
                return
        raise KeyError((field_name, word))

    def validatePage(self) -> bool:  # Qt override
        mapping = self.wiz.state.mapping
        assert mapping is not None
        values: dict[str, dict[str, Any]] = {}
        for r in range(self.table.rowCount()):
            combo = self.table.cellWidget(r, COL_CODE)
            if not isinstance(combo, QComboBox) or combo.currentData() == UNSET:
                continue
            name = self.table.item(r, COL_FIELD).data(Qt.ItemDataRole.UserRole)
            values.setdefault(name, {})[self.table.item(r, COL_WORD).text()] = \
                combo.currentData()
        mapping.values = values
        self.wiz.state.dry_run = None
        return True
