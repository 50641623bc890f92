"""Translations: Simplified Chinese and English, chosen from the system locale or settings.

Each feature ships a flat JSON map {"English source text": "中文"} under
``resources/i18n/zh_CN/<feature>.json``; all of them are merged into one ``QTranslator``
that answers every ``tr()`` call by its source text (the context is not needed: our source
strings are unique enough, and one map per feature keeps parallel work free of merges).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

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
    file dialog's "&Look in:", that the ``.qm`` shipped with PySide6 does not have yet)."""
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
    return lang


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
