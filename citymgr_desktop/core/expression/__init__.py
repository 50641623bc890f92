"""A small, safe expression language for filters and the field calculator (docs/expressions.md).

Lexer -> parser -> type checker -> SQL or DataFrame back end; :class:`Expression` is the face.
"""

from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.expression.compiled import Expression, filter_fids, filter_rows
from citymgr_desktop.core.expression.fields import FieldInfo, Fields
from citymgr_desktop.core.expression.typecheck import FUNCTIONS

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "FieldInfo", "Fields", "filter_fids",
           "filter_rows"]
