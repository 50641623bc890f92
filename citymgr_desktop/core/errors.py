"""The error hierarchy: every failure a user can cause is one of these.

An error carries a message **template** in English with named fields and the **arguments**
that fill it: ``BadFileError("{path}: no such file", path=path)``. The template is the code
of the message: ``str(error)`` is the English sentence, ``error.render("zh_CN")`` the same
sentence from the Chinese catalogue (``resources/i18n/zh_CN/errors.json``, template ->
translated template), so the UI and the CLI show it in the user's language (the
:class:`~citymgr_desktop.core.messages.Message` every error carries). The UI shows
one line, never a traceback; the CLI maps ``exit_code`` to the process exit status.
Categories follow Kart's ``exceptions.py``: bad file, CRS, geometry, validation, conflict.
"""

from __future__ import annotations

from typing import Any

from citymgr_desktop.core.messages import Message


class CitymgrError(Exception):
    """Base class: a problem the user can understand and act on.

    ``CitymgrError(template, **args)``: ``template`` is a constant English sentence with
    ``{name}`` fields; a template without fields needs no arguments. Never format the
    sentence before raising (no f-strings): the template is what translations look up.
    An argument may itself be a Message, a Term or another error (rendered in the same
    language).
    """

    exit_code = 1
    category = "error"

    def __init__(self, template: str = "", /, **args: Any) -> None:
        self.message = Message(template, args)
        super().__init__(self.message.render("en"))

    @property
    def template(self) -> str:
        return self.message.template

    @property
    def args_(self) -> dict[str, Any]:
        return dict(self.message.args)

    def render(self, lang: str = "en") -> str:
        """The message in ``lang`` (``en``, ``zh_CN``/``zh``): the catalogue's template for
        this one, filled with the same arguments; English where none is translated."""
        return self.message.render(lang)


class BadFileError(CitymgrError):
    """The file is missing, not a GeoPackage, truncated, corrupt or locked."""

    exit_code = 3
    category = "bad file"


class InUseError(BadFileError):
    """The file is open in another citymgr window, which holds its journal slot: this one may
    view it, not edit it, until that window closes it."""


class DatabaseError(CitymgrError):
    """A PostgreSQL server cannot be reached, refuses the login, or dropped the connection."""

    exit_code = 11
    category = "database"


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


class StaleStepError(ConflictError):
    """An undo or redo step can no longer be taken because the file changed under it (a
    sync undone and synced again outside this window). The undo stack drops the step, as
    Qt's ``QUndoCommand.setObsolete``; the message says what happened and what to do."""


class NotFoundError(CitymgrError):
    """A named layer, asset, work order or sync does not exist."""

    exit_code = 10
    category = "not found"


class CancelledError(CitymgrError):
    """The user cancelled a long operation; nothing was changed."""

    exit_code = 130
    category = "cancelled"
