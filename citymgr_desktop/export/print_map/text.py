"""The words printed on a layout, in English or Simplified Chinese.

The layout is drawn outside any widget (CLI, worker threads), so it cannot rely on the UI's
installed translator; it reads the same catalogue the print dialog's ``tr()`` uses,
``resources/i18n/zh_CN/printing.json`` (English source text -> Chinese), so one file holds
the feature's Chinese.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.resources import translations_dir

LANGUAGES = ("en", "zh_CN")


def normalise_lang(lang: str | None) -> str:
    """``zh``, ``zh_CN``, ``zh-CN`` -> ``zh_CN``; ``en``, ``en_US`` -> ``en``."""
    key = (lang or "en").replace("-", "_").strip()
    if key.lower().startswith("zh"):
        return "zh_CN"
    if key.lower().startswith("en"):
        return "en"
    raise ValidationError("language must be zh_CN or en, got {lang!r}", lang=lang)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """{English: translation} for the printing feature (empty for English)."""
    if normalise_lang(lang) == "en":
        return {}
    path = translations_dir("zh_CN") / "printing.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def translator(lang: str) -> Callable[[str], str]:
    """A ``tr(text)`` for ``lang``; unknown texts stay in English.

    A source text may carry a context after ``|`` to keep short words apart in the merged
    catalogue ("m|scale bar unit"); English prints the part before it.
    """
    cat = catalogue(normalise_lang(lang))
    return lambda text: cat.get(text) or text.split("|", 1)[0]


def core_lang(lang: str) -> str:
    """The language key the core's labels take (``zh`` or ``en``)."""
    return "zh" if normalise_lang(lang) == "zh_CN" else "en"
