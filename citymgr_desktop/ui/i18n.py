"""Translations: Simplified Chinese and English, chosen from the system locale or settings.

Each feature ships a flat JSON map {"English source text": "中文"} under
``resources/i18n/zh_CN/<feature>.json``; all of them are merged into one ``QTranslator``
that answers every ``tr()`` call by its source text (the context is not needed: our source
strings are unique enough, and one map per feature keeps parallel work free of merges).

Qt's own file dialog (the widget one, where the platform has no native dialog: Linux without
a desktop portal, Xvfb) writes its sizes and dates in ``QLocale.system()``'s format, not the
default locale the interface sets: under ``LANG=C`` a date read "7 12 2026", and its columns,
sized for "128.88 GB", cut "120.56 KiB". :func:`install` also makes each such dialog, when
it takes the focus, write sizes in the interface's locale and dates as the app writes them
(``yyyy-MM-dd HH:mm``), in columns wide enough.
"""

from __future__ import annotations

import json

from PySide6.QtCore import (
    QAbstractProxyModel,
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QModelIndex,
    QSettings,
    QTranslator,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFileSystemModel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from citymgr_desktop.core import messages
from citymgr_desktop.core.resources import translations_dir

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
SETTINGS_KEY = "ui/language"


def load_catalogue(language: str) -> dict[str, str]:
    """The merged {source: translation} map for ``language`` (empty for English)."""
    folder = translations_dir(language)
    merged: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


class DictTranslator(QTranslator):
    """A QTranslator backed by a Python dict."""

    def __init__(self, catalogue: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self._catalogue = catalogue

    def translate(self, context, source_text, disambiguation=None, n=-1):
        # None (a null QString) means "not translated here": Qt then keeps the source text.
        # An empty str would be a non-null empty QString and blank out every string we do
        # not translate, Qt's own OK/Cancel buttons included.
        return self._catalogue.get(source_text)

    def isEmpty(self) -> bool:
        return not self._catalogue


def chosen_language() -> str:
    """The language in settings, else the system locale's (Chinese -> zh_CN, else English)."""
    value = QSettings().value(SETTINGS_KEY, "")
    if value in LANGUAGES:
        return str(value)
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


_installed: list[QTranslator] = []
_language = "en"  # what install() put in place: the one answer to "which language is shown"


def install(language: str | None = None) -> str:
    """Install the translators for ``language`` (default: :func:`chosen_language`): ours,
    and Qt's own (``qtbase_zh_CN``: standard buttons, dialogs, wizards). Ours is asked first
    and also fills the gaps of Qt's (``zh_CN/qtbase.json``: strings Qt 6.11 renamed, e.g. the
    file dialog's "&Look in:", that the ``.qm`` shipped with PySide6 does not have yet, and
    a word it gets wrong: the file dialog's "Size" is 大小, not 体积 "volume")."""
    global _language
    lang = language or chosen_language()
    app = QCoreApplication.instance()
    if app is None:
        return lang
    _language = lang
    while _installed:
        app.removeTranslator(_installed.pop())
    if lang != "en":
        qt_own = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_own.load(f"qtbase_{lang}", folder):
            app.installTranslator(qt_own)
            _installed.append(qt_own)
        ours = DictTranslator(load_catalogue(lang), app)
        app.installTranslator(ours)
        _installed.append(ours)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China)
                       if lang == "zh_CN" else QLocale(QLocale.Language.English,
                                                       QLocale.Country.UnitedStates))
    global _file_dialogs_followed
    if not _file_dialogs_followed and isinstance(app, QApplication):
        app.focusChanged.connect(localise_file_dialog)
        _file_dialogs_followed = True
    return lang


_file_dialogs_followed = False
FILE_DATE_FORMAT = "yyyy-MM-dd HH:mm"
# the widest size, type and date a column shows, as the dialog sizes its columns by samples
_COLUMN_SAMPLES = ((1, "1,023.9 MB"), (2, "GeoPackage data"), (3, "2026-12-31 23:59"))


class FileDialogTexts(QStyledItemDelegate):
    """The size and date columns of Qt's file dialog in the interface's locale."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        model, source = index.model(), index
        while isinstance(model, QAbstractProxyModel):
            source, model = model.mapToSource(source), model.sourceModel()
        if not isinstance(model, QFileSystemModel) or index.column() not in (1, 3):
            return
        if index.column() == 3:
            option.text = model.lastModified(source).toString(FILE_DATE_FORMAT)
        elif not model.isDir(source):
            option.text = QLocale().formattedDataSize(
                model.size(source), 1, QLocale.DataSizeFormat.DataSizeTraditionalFormat)


def localise_file_dialog(_old: QWidget | None, now: QWidget | None) -> None:
    """When a widget file dialog takes the focus the first time: its sizes and dates in the
    interface's locale, its columns wide enough for them."""
    dialog = now.window() if now is not None else None
    if not isinstance(dialog, QFileDialog) or dialog.property("citymgrLocalised"):
        return
    view = dialog.findChild(QTreeView, "treeView")
    if view is None:
        return
    dialog.setProperty("citymgrLocalised", True)
    view.setItemDelegate(FileDialogTexts(view))
    header, metrics = view.header(), view.fontMetrics()
    for column, sample in _COLUMN_SAMPLES:
        wanted = metrics.horizontalAdvance(sample) + 3 * metrics.averageCharWidth()
        if header.sectionSize(column) < wanted:
            header.resizeSection(column, wanted)
    # the name gives way (to 16 characters) before the date goes out of sight
    room = view.viewport().width() - sum(header.sectionSize(c) for c, _s in _COLUMN_SAMPLES)
    name = max(room, 16 * metrics.averageCharWidth())
    if name < header.sectionSize(0):
        header.resizeSection(0, name)


def language() -> str:
    """The interface language installed by :func:`install` (``en`` / ``zh_CN``); ``en``
    before anything is installed, as Qt then shows the English source text."""
    return _language


def label_language() -> str:
    """The language that class and field names and coded values are shown in: ``zh`` while
    the Chinese interface is installed, else ``en`` (the ``lang`` the core's labels take)."""
    return "zh" if _language.startswith("zh") else "en"


def render(text: object) -> str:
    """A core message, error or term (or plain text) in the interface language: what the UI
    shows of a ``CitymgrError`` (never ``str(exc)``, which is the English sentence)."""
    if isinstance(text, messages.Renderable):
        return messages.render(text, _language)
    return "" if text is None else str(text)


def tr(text: str) -> str:
    """Translate outside a QObject (module-level strings)."""
    return QCoreApplication.translate("citymgr", text)
