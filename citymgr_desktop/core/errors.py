"""The error hierarchy: every failure a user can cause is one of these.

The UI shows ``str(error)`` (one line, no traceback); the CLI maps ``exit_code`` to the
process exit status. Categories follow Kart's ``exceptions.py``: bad file, CRS, geometry,
validation, conflict.
"""

from __future__ import annotations


class CitymgrError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1
    category = "error"


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
