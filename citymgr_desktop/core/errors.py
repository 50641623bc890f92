"""The error hierarchy: every failure a user can cause is one of these.

An error carries a message **template** in English with named fields and the **arguments**
that fill it: ``BadFileError("{path}: no such file", path=path)``. The template is the code
of the message: ``str(error)`` is the English sentence, ``error.render("zh_CN")`` the same
sentence from the Chinese catalogue (``resources/i18n/zh_CN/errors.json``, template ->
translated template), so the UI and the CLI show it in the user's language. The UI shows
one line, never a traceback; the CLI maps ``exit_code`` to the process exit status.
Categories follow Kart's ``exceptions.py``: bad file, CRS, geometry, validation, conflict.
"""

from __future__ import annotations

import functools
import json
import string
from typing import Any

from citymgr_desktop.core.resources import translations_dir


class CitymgrError(Exception):
    """Base class: a problem the user can understand and act on.

    ``CitymgrError(template, **args)``: ``template`` is a constant English sentence with
    ``{name}`` fields; a template without fields needs no arguments. Never format the
    sentence before raising (no f-strings): the template is what translations look up.
    """

    exit_code = 1
    category = "error"

    def __init__(self, template: str = "", /, **args: Any) -> None:
        self.template = template
        self.args_ = args
        super().__init__(fill(template, args))

    def render(self, lang: str = "en") -> str:
        """The message in ``lang`` (``en``, ``zh_CN``/``zh``): the catalogue's template for
        this one, filled with the same arguments; English where none is translated."""
        return fill(translate(self.template, lang), self.args_)


def fill(template: str, args: dict[str, Any]) -> str:
    """``template`` with its ``{name}`` fields filled; a field without an argument is kept
    as written (a template that is really a plain message with braces stays as it is)."""
    if not args:
        return template
    try:
        return string.Formatter().vformat(template, (), _Keep(args))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(template: str, lang: str) -> str:
    """The catalogue's translation of a message template (the template itself in English)."""
    if not lang or lang.lower().startswith("en"):
        return template
    return _catalogue("zh_CN").get(template, template)


@functools.cache
def _catalogue(lang: str) -> dict[str, str]:
    path = translations_dir(lang) / "errors.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class BadFileError(CitymgrError):
    """The file is missing, not a GeoPackage, truncated, corrupt or locked."""

    exit_code = 3
    category = "bad file"


class ReadOnlyError(CitymgrError):
    """A write was attempted on a file opened read-only."""

    exit_code = 4
    category = "read-only"


class SchemaError(CitymgrError):
    """The file is a GeoPackage but lacks (or differs from) the asset schema."""

    exit_code = 5
    category = "schema"


class CrsError(CitymgrError):
    """A coordinate reference system is missing, unknown or unsuitable."""

    exit_code = 6
    category = "CRS"


class GeometryError(CitymgrError):
    """A geometry is invalid, of the wrong type, or outside the area of use."""

    exit_code = 7
    category = "geometry"


class ValidationError(CitymgrError):
    """A value is outside its domain, too long, missing or of the wrong type."""

    exit_code = 8
    category = "validation"


class ExpressionError(ValidationError):
    """A filter or calculator expression does not parse or does not type-check."""

    category = "expression"


class ConflictError(CitymgrError):
    """Two changes to the same thing disagree and a person must choose."""

    exit_code = 9
    category = "conflict"


class NotFoundError(CitymgrError):
    """A named layer, asset, work order or sync does not exist."""

    exit_code = 10
    category = "not found"


class CancelledError(CitymgrError):
    """The user cancelled a long operation; nothing was changed."""

    exit_code = 130
    category = "cancelled"
