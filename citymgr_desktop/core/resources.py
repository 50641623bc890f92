"""Where the project's resource files are (translations, the user guide): one finder for the app, the
exports and the command line. They live inside the package (``citymgr_desktop/resources/``)
so a built wheel carries them (``package-data`` in ``pyproject.toml``)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # citymgr_desktop/


def resources_dir() -> Path:
    """``citymgr_desktop/resources/``, in a checkout and in an installed wheel alike."""
    return _PACKAGE / "resources"


def translations_dir(language: str) -> Path:
    """The folder of the flat JSON maps {English: translation} of one language."""
    return resources_dir() / "i18n" / language


def guide_file(language: str) -> Path:
    """The user guide (Markdown) in ``language`` (``zh_CN`` / ``en``; English for any other)."""
    folder = resources_dir() / "guide"
    chosen = folder / f"{language}.md"
    return chosen if chosen.is_file() else folder / "en.md"
