"""Qt's own dialogs speak Chinese in the Chinese interface. Qt 6.11 renamed some of its own
source strings ("Look in:" became "&Look in:", "Files of type:" "Files of &type:") while the
``qtbase_zh_CN.qm`` shipped with PySide6 still has the old ones, so the file dialog showed
"Look in" and "Files of type" in English; ``resources/i18n/zh_CN/qtbase.json`` fills the gaps
and corrects a word (the size column is 大小, not qtbase_zh_CN's 体积, "volume").
"""

from __future__ import annotations

import contextlib
import os
import re

import pytest
from PySide6.QtCore import (
    QDate,
    QDateTime,
    QLibraryInfo,
    QSettings,
    Qt,
    QTime,
    QTranslator,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QWizard,
    QWizardPage,
)
from pytestqt.exceptions import TimeoutError

from citymgr_desktop.ui import i18n
from tests.ui.driver import answer, menu_item

LATIN = re.compile(r"[A-Za-z]{2,}")
# what Qt translates but never shows as words: a percentage format, an ellipsis button,
# the names of keys in a shortcut editor nobody opens, a paper size
NOT_WORDS = {("QProgressBar", "%p%"), ("QPrintWidget", "..."), ("QShortcut", "Control"),
             ("QShortcut", "Keyboard"), ("QPageSize", "A4")}
# the file dialog's detail view names file types from the system's MIME database (its own
# translations, where the system has them), not from Qt's catalogue
NOT_QTS = {"QMimeType"}


def test_the_open_dialog_from_the_file_menu_is_chinese(chinese, qtbot, main_window, shots):
    labels: dict[str, str] = {}

    def read(dialog) -> None:
        assert isinstance(dialog, QFileDialog)
        qtbot.waitExposed(dialog)
        labels.update({label.objectName(): label.text() for label in
                       dialog.findChildren(QLabel) if label.objectName()})
        shots("open-dialog", dialog)

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=read, kind=QFileDialog):
        menu_item(qtbot, main_window, "file", "打开(&O)…")
    assert {"lookInLabel", "fileNameLabel", "fileTypeLabel"} <= set(labels), labels
    english = {name: text for name, text in labels.items() if LATIN.search(text)}
    assert not english, f"English in the Chinese file dialog: {english}"
    assert labels["lookInLabel"].startswith("查找范围")


class _Asked(QTranslator):
    """Notes every (context, source) Qt asks to translate; answers none of them."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.asked: set[tuple[str, str]] = set()

    def translate(self, context, source_text, disambiguation=None, n=-1):
        self.asked.add((context, source_text))
        return None

    def isEmpty(self) -> bool:
        return False


def test_every_string_of_qts_own_dialogs_has_chinese(chinese, qapp):
    """The file dialogs (open, save, folder), a message box, a wizard, a progress dialog and
    the print dialog, in Chinese: each string Qt asks for is translated (a Qt upgrade that
    renames a string fails here, with the string to add to ``qtbase.json``)."""
    asked = _Asked(qapp)
    qapp.installTranslator(asked)
    try:
        for mode in ("open", "save", "folder"):
            d = QFileDialog(None, "t", ".", "GeoPackage (*.gpkg)")
            d.setOption(QFileDialog.Option.DontUseNativeDialog, True)
            if mode == "save":
                d.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            if mode == "folder":
                d.setFileMode(QFileDialog.FileMode.Directory)
            d.setViewMode(QFileDialog.ViewMode.Detail)
            d.show()
            QApplication.processEvents()
            d.close()
        box = QMessageBox(QMessageBox.Icon.Question, "t", "x",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes
                          | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Ok)
        box.setDetailedText("d")
        wizard = QWizard()
        wizard.addPage(QWizardPage())
        wizard.addPage(QWizardPage())
        progress = QProgressDialog("x", "", 0, 10)
        printer = QPrinter()  # kept: the dialog only points at it
        printing = QPrintDialog(printer)
        for dialog in (box, wizard, progress, printing):
            dialog.show()
            QApplication.processEvents()
            dialog.close()
        wizard.next()
    finally:
        qapp.removeTranslator(asked)
    qt_own = QTranslator()
    assert qt_own.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    ours = i18n.DictTranslator(i18n.load_catalogue("zh_CN"))
    missing = sorted((context, source) for context, source in asked.asked - NOT_WORDS
                     if context not in NOT_QTS and not qt_own.translate(context, source)
                     and not ours.translate(context, source))
    assert len(asked.asked) > 50
    assert not missing, f"Qt's own strings without Chinese: {missing}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_file_dialog_writes_dates_and_sizes_in_the_interface_language(
        qtbot, window_in, tmp_path, shots, lang):
    """Qt's widget file dialog formats dates and sizes with the *system* locale: under
    ``LANG=C`` (a trial under Xvfb) "7 12 2026", and "120.56 KiB" cut to "120...KiB" in a
    column sized for "128.88 GB". The detail view now shows the app's date format and the
    interface's sizes, whole."""
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "district.gpkg").write_bytes(b"\0" * 123_456)
    stamp = QDateTime(QDate(2026, 3, 5), QTime(14, 7)).toSecsSinceEpoch()
    os.utime(folder / "district.gpkg", (stamp, stamp))
    w = window_in(lang)
    QSettings().setValue("files/lastDir", str(folder))
    shown: dict[str, tuple[str, int, int]] = {}
    visible: list[bool] = []

    def read(dialog) -> None:
        qtbot.waitExposed(dialog)
        with contextlib.suppress(TimeoutError):  # the dialog has the focus: it is ready
            qtbot.waitUntil(lambda: dialog.property("citymgrLocalised") is True, timeout=3000)
        qtbot.mouseClick(dialog.findChild(QToolButton, "detailModeButton"),
                         Qt.MouseButton.LeftButton)
        view = dialog.findChild(QTreeView, "treeView")
        model = view.model()
        qtbot.waitUntil(lambda: model.rowCount(view.rootIndex()) == 1, timeout=10_000)
        metrics = view.fontMetrics()
        for column in (1, 3):
            index = model.index(0, column, view.rootIndex())
            option = QStyleOptionViewItem()
            view.itemDelegateForIndex(index).initStyleOption(option, index)
            shown[model.headerData(column, Qt.Orientation.Horizontal)] = (
                option.text, metrics.horizontalAdvance(option.text),
                view.header().sectionSize(column))
        header = view.header()
        visible.append(header.sectionViewportPosition(3) + header.sectionSize(3)
                       <= view.viewport().width())
        shots("detail", dialog)

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=read, kind=QFileDialog):
        menu_item(qtbot, w, "file", "打开(&O)…" if lang == "zh_CN" else "&Open…")
    size, date = ("大小", "修改日期") if lang == "zh_CN" else ("Size", "Date Modified")
    assert shown[date][0] == "2026-03-05 14:07", shown
    assert shown[size][0] == "120.6 kB", shown
    for _text, width, column in shown.values():
        assert width < column, shown  # the whole text, not "120...KiB"
    assert visible == [True], "the date column is out of sight"
