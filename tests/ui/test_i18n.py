"""The one language source: what ``i18n.install`` put in place decides the language of
class names, field names and coded values everywhere in the UI."""

from __future__ import annotations

from citymgr_desktop.ui import i18n


def test_label_language_follows_the_installed_translation(qapp):
    try:
        i18n.install("zh_CN")
        assert (i18n.language(), i18n.label_language()) == ("zh_CN", "zh")
        i18n.install("en")
        assert (i18n.language(), i18n.label_language()) == ("en", "en")
    finally:
        i18n.install("en")
