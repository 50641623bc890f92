"""No user-visible English literal in the UI bypasses ``tr()``: string literals given as the
text of a label, button, action, menu, tooltip, status message, combo item or message box
(read from the source, no Qt needed) are wrapped in ``tr``/``self.tr``; the few exceptions are
listed with their reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.core.source_support import call_name

UI = Path(__file__).resolve().parents[2] / "citymgr_desktop" / "ui"
TEXT_FIRST = {"setText", "setToolTip", "setStatusTip", "setWindowTitle", "setPlaceholderText",
              "addItem", "insertItem", "setItemText", "setTitle", "setSubTitle", "setLabelText",
              "addAction", "addMenu", "setWhatsThis", "QLabel", "QPushButton", "QCheckBox",
              "QRadioButton", "QGroupBox", "QAction", "QMenu", "QTableWidgetItem", "addRow",
              "addTab", "setTabText", "status", "showMessage", "setButtonText",
              "setCancelButtonText", "setSuffix", "setPrefix", "setSpecialValueText"}
MESSAGE_BOX = {"warning", "information", "critical", "question", "about"}  # (parent, title, text)
LOGGERS = {"log", "logger", "logging", "LOG", "_log", "LOGGER"}
ALLOWED = {
    "English",  # a language named in itself in a language chooser (as 简体中文 is)
    "round(pci * 0.97, 1)",  # an example of the expression syntax, typed in English
    "highway IS NOT NULL",  # an example of OGR SQL
    "osm:",  # an example of a source-id prefix
    " mm)", " dpi",  # units
    "YYYY-MM-DD",  # the date format typed
    "citymgr-desktop",  # the product's name, the same in every language (the start page)
}


def _literals(arg: ast.expr) -> list[str]:
    """The literal text of a text argument (an f-string's constant parts, a sum's pieces);
    what a ``tr()`` call returns is not literal."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.JoinedStr):
        return [v.value for v in arg.values if isinstance(v, ast.Constant)]
    if isinstance(arg, ast.BinOp):
        return _literals(arg.left) + _literals(arg.right)
    return []


def untranslated_texts(root: Path = UI) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node.func)
            receiver = call_name(node.func.value) if isinstance(node.func, ast.Attribute) else None
            if name in TEXT_FIRST:
                args = node.args[:1]
            elif name in MESSAGE_BOX and receiver not in LOGGERS:
                args = node.args[1:3]
            else:
                continue
            for arg in args:
                for text in _literals(arg):
                    words = re.sub(r"<[^>]*>", "", text)  # markup is not text
                    if re.search(r"[A-Za-z]{2,}", words) and text not in ALLOWED:
                        found.append(f"{path.relative_to(root)}:{node.lineno}: {name}({text!r})")
    return found


def test_no_user_visible_literal_bypasses_tr():
    found = untranslated_texts()
    assert not found, "text shown without tr():\n" + "\n".join(found)


def test_the_scan_sees_what_it_should(tmp_path):
    """Guard the guard: a literal label is found, a translated one is not."""
    (tmp_path / "w.py").write_text(
        "label = QLabel('Nothing here')\nok = QLabel(self.tr('Nothing here'))\n"
        "QMessageBox.warning(self, 'Import', f'{n} rows failed')\n", encoding="utf-8")
    found = untranslated_texts(tmp_path)
    assert found == ["w.py:1: QLabel('Nothing here')", "w.py:3: warning('Import')",
                     "w.py:3: warning(' rows failed')"]
