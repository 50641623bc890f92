"""Where the project's resource files are (translations): one finder for the app, the
exports and the command line."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # citymgr_desktop/


def resources_dir() -> Path:
    """``resources/``: inside the installed package, else beside it in a checkout."""
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE.parent / "resources"


def translations_dir(language: str) -> Path:
    """The folder of the flat JSON maps {English: translation} of one language."""
    return resources_dir() / "i18n" / language
