"""Type checker of the expression language: resolves field names, gives every node a value type
and converts literals so both back ends (SQL and pandas) see exactly the same values.

Friendly conversions happen here, once: ``'3'`` compared with a number becomes ``3``; a
coded-value label such as ``'厨余垃圾'`` or ``'Kitchen waste'`` becomes its code
``'kitchen'``; ``'2024/5/1'`` or ``'2024年5月1日'`` compared with a date becomes
``'2024-05-01'``; ``today()`` and ``now()`` become constants. Anything that would be
ambiguous or mean nothing is refused with a message naming the field and what it accepts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from citymgr_desktop.core.clock import format_iso, now_iso, office_today
from citymgr_desktop.core.expression.fields import (
    BOOL,
    DATE,
    DATETIME,
    NULL,
    NUMBER,
    TEXT,
    FieldInfo,
    Fields,
)
from citymgr_desktop.core.expression.lexer import error
from citymgr_desktop.core.expression.parser import (
    Between,
    Binary,
    Call,
    In,
    IsNull,
    Like,
    Literal,
    Name,
    Node,
    Unary,
)
from citymgr_desktop.core.messages import Message, Term, msg

_DATE_RE = re.compile(
    r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]+(\d{1,2})[:时](\d{2})(?:[:分](\d{2})(?:\.(\d{1,6}))?)?秒?\s*(Z|[+-]\d{2}:?\d{2})?)?\s*$")

# name -> (min args, max args, result type or None when it follows the arguments)
FUNCTIONS: dict[str, tuple[int, int, str | None]] = {
    "lower": (1, 1, TEXT), "upper": (1, 1, TEXT), "trim": (1, 1, TEXT),
    "length": (1, 1, NUMBER), "substr": (2, 3, TEXT), "abs": (1, 1, NUMBER),
    "round": (1, 2, NUMBER), "coalesce": (2, 8, None), "if": (3, 3, None),
    "year": (1, 1, NUMBER), "month": (1, 1, NUMBER), "day": (1, 1, NUMBER),
    "date": (1, 1, DATE), "today": (0, 0, DATE), "now": (0, 0, DATETIME),
}
_COMPARABLE = {(NUMBER, NUMBER), (TEXT, TEXT), (BOOL, BOOL), (DATE, DATE), (DATETIME, DATETIME),
               (DATE, DATETIME), (DATETIME, DATE)}


def parse_date(text: str) -> tuple[str, str] | None:
    """(normalised ISO text, DATE or DATETIME) for a date typed by a person; None if not one."""
    m = _DATE_RE.match(text)
    if not m:
        return None
    y, mo, d, hh, mm, ss, frac, tz = m.groups()
    try:
        day = dt.date(int(y), int(mo), int(d))
        if hh is None:
            return day.isoformat(), DATE
        moment = dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0),
                             int((frac or "0").ljust(6, "0")[:6]))
    except ValueError:
        return None
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - sign * offset
    return format_iso(moment), DATETIME


_TYPE_NAMES = {NUMBER: Term("a number", "数值"), TEXT: Term("text", "文本"),
               DATE: Term("a date", "日期"), DATETIME: Term("a date and time", "日期时间"),
               BOOL: Term("true/false", "真/假"), NULL: Term("null", "空值")}


def _type_name(t: str) -> Term:
    return _TYPE_NAMES.get(t) or Term(t, t)


def _type_names(types: tuple[str, ...] | list[str], en: str, zh: str) -> Term:
    """Several type names joined (``en``/``zh``: the joining words of each language)."""
    names = [_type_name(t) for t in types]
    return Term(en.join(n.en for n in names), zh.join(n.zh for n in names))


class Checker:
    """Resolves and types a parsed expression against ``fields``."""

    def __init__(self, fields: Fields, today: dt.date | None = None) -> None:
        self.fields = fields
        self.today = today or office_today()
        self.used: set[str] = set()

    def check(self, node: Node) -> Node:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    # -- leaves -------------------------------------------------------------------------------
    def _literal(self, node: Literal) -> Literal:
        v = node.value
        if node.is_date:
            parsed = parse_date(str(v))
            if parsed is None:
                raise error(msg("'{text}' is not a date (write YYYY-MM-DD, e.g. date "
                                "'2024-05-01')", text=v), node.pos)
            return replace(node, value=parsed[0], type=parsed[1])
        if v is None:
            return replace(node, type=NULL)
        if isinstance(v, bool):
            return replace(node, type=BOOL)
        if isinstance(v, (int, float)):
            return replace(node, type=NUMBER)
        return replace(node, type=TEXT)

    def _name(self, node: Name) -> Name:
        info = self.fields.resolve(node.name, node.pos)
        self.used.add(info.name)
        return replace(node, name=info.name, type=info.type)

    def field_of(self, node: Node) -> FieldInfo | None:
        return self.fields[node.name] if isinstance(node, Name) else None

    # -- conversions --------------------------------------------------------------------------
    def coerce(self, lit: Node, other: Node, op: str = "") -> Node:
        """Convert a literal to the type of the other side of a comparison (see module doc).

        For ``=``, ``!=`` and ``in`` a value a coded field does not allow is refused: it is
        almost always a typo, and the message lists the allowed values with their labels.
        """
        if not isinstance(lit, Literal) or lit.type == NULL:
            return lit
        info = self.field_of(other)
        if info is not None and info.domain is not None and lit.type in (TEXT, NUMBER):
            text = str(lit.value)
            for code in info.domain.codes:
                if code.value == lit.value or str(code.value) == text:
                    return replace(lit, value=code.value, type=other.type)
            for code in info.domain.codes:
                if text in (code.zh, code.en) or text.casefold() == code.en.casefold():
                    return replace(lit, value=code.value, type=other.type)
            if op in ("=", "!=", "in"):
                allowed = ", ".join(f"{c.value} ({c.zh} {c.en})" for c in info.domain.codes)
                raise error(msg("{field} has no value '{text}'; allowed: {allowed}",
                                field=info.name, text=text, allowed=allowed), lit.pos)
        return self._coerce_plain(lit, other, op)

    def _coerce_plain(self, lit: Literal, other: Node, op: str = "") -> Literal:
        # obj_code = 4201…: a whole number matched against a text field is a code; ordering
        # text against a number (name > 3) means nothing and is refused by the caller
        if lit.type == NUMBER and other.type == TEXT and isinstance(other, Name) \
                and isinstance(lit.value, int) and not isinstance(lit.value, bool) \
                and op in ("=", "!=", "in"):
            return replace(lit, value=str(lit.value), type=TEXT)
        if lit.type != TEXT or other.type in (TEXT, NULL):
            return lit
        text = str(lit.value)
        if other.type == NUMBER:
            try:
                num = float(text)
            except ValueError:
                raise error(msg("{what} is a number; '{text}' is not", what=_what(other),
                                text=text), lit.pos) from None
            if num != num or num in (float("inf"), float("-inf")):
                raise error(msg("{what} is a number; '{text}' is not", what=_what(other),
                                text=text), lit.pos)
            whole = num.is_integer() and not any(c in text for c in ".eE")
            return replace(lit, value=int(num) if whole else num, type=NUMBER)
        if other.type in (DATE, DATETIME):
            parsed = parse_date(text)
            if parsed is None:
                raise error(msg("{what} is a date; '{text}' is not a date (write YYYY-MM-DD)",
                                what=_what(other), text=text), lit.pos)
            return replace(lit, value=parsed[0], type=parsed[1])
        if other.type == BOOL:
            low = text.strip().lower()
            if low in ("true", "1", "yes", "是"):
                return replace(lit, value=True, type=BOOL)
            if low in ("false", "0", "no", "否"):
                return replace(lit, value=False, type=BOOL)
        return lit

    def comparable(self, left: Node, right: Node, pos: int, op: str) -> tuple[Node, Node]:
        left = self.coerce(left, right, op)
        right = self.coerce(right, left, op)
        if NULL in (left.type, right.type):
            raise error(msg("'{op} null' is never true; use 'is null' or 'is not null'", op=op),
                        pos)
        if (left.type, right.type) not in _COMPARABLE:
            raise error(msg("cannot compare {left} ({left_type}) with {right} ({right_type})",
                            left=_what(left), left_type=_type_name(left.type),
                            right=_what(right), right_type=_type_name(right.type)), pos)
        return left, right

    def need(self, node: Node, types: tuple[str, ...], role: Message) -> None:
        if node.type not in types:
            args = {"role": role, "wanted": _type_names(types, " or ", "或"),
                    "what": _what(node), "actual": _type_name(node.type)}
            if BOOL in types and node.type != BOOL:
                raise error(msg("{role} must be {wanted}, but {what} is {actual}; compare it with "
                                "something, e.g. condition >= 4", **args), node.pos)
            raise error(msg("{role} must be {wanted}, but {what} is {actual}", **args), node.pos)

    # -- operators ----------------------------------------------------------------------------
    def _unary(self, node: Unary) -> Node:
        operand = self.check(node.operand)
        if node.op == "not":
            self.need(operand, (BOOL,), msg("'not'"))
            return replace(node, operand=operand, type=BOOL)
        self.need(operand, (NUMBER,), msg("'-'"))
        return replace(node, operand=operand, type=NUMBER)

    def _binary(self, node: Binary) -> Node:
        left, right = self.check(node.left), self.check(node.right)
        op = node.op
        if op in ("and", "or"):
            self.need(left, (BOOL,), msg("each side of '{op}'", op=op))
            self.need(right, (BOOL,), msg("each side of '{op}'", op=op))
            return replace(node, left=left, right=right, type=BOOL)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            left, right = self.comparable(left, right, node.pos, op)
            return replace(node, left=left, right=right, type=BOOL)
        if op == "||":
            self.need(left, (TEXT,), msg("each side of '{op}'", op=op))
            self.need(right, (TEXT,), msg("each side of '{op}'", op=op))
            return replace(node, left=left, right=right, type=TEXT)
        left, right = self.coerce(left, right), self.coerce(right, left)
        if left.type in (DATE, DATETIME) and op in ("+", "-") and right.type == NUMBER:
            return replace(node, left=left, right=right, type=DATE)  # date ± days
        if op == "-" and left.type in (DATE, DATETIME) and right.type in (DATE, DATETIME):
            return replace(node, left=left, right=right, type=NUMBER)  # days between
        self.need(left, (NUMBER,), msg("each side of '{op}'", op=op))
        self.need(right, (NUMBER,), msg("each side of '{op}'", op=op))
        return replace(node, left=left, right=right, type=NUMBER)

    def _isnull(self, node: IsNull) -> Node:
        return replace(node, operand=self.check(node.operand), type=BOOL)

    def _in(self, node: In) -> Node:
        operand = self.check(node.operand)
        items = []
        for item in node.items:
            checked = self.check(item)
            if checked.type == NULL:
                raise error(msg("null inside 'in (…)' never matches; add 'or … is null'"),
                            checked.pos)
            _, checked = self.comparable(operand, checked, node.pos, "in")
            items.append(checked)
        return replace(node, operand=operand, items=tuple(items), type=BOOL)

    def _like(self, node: Like) -> Node:
        operand = self.check(node.operand)
        pattern = self.check(node.pattern)
        self.need(operand, (TEXT, DATE, DATETIME), msg("the left side of 'like'"))
        if not (isinstance(pattern, Literal) and pattern.type == TEXT):
            raise error(msg("'like' needs a quoted pattern, e.g. name like '%路%'"), pattern.pos)
        return replace(node, operand=operand, pattern=pattern, type=BOOL)

    def _between(self, node: Between) -> Node:
        operand = self.check(node.operand)
        _, low = self.comparable(operand, self.check(node.low), node.pos, "between")
        _, high = self.comparable(operand, self.check(node.high), node.pos, "between")
        return replace(node, operand=operand, low=low, high=high, type=BOOL)

    def _call(self, node: Call) -> Node:
        if node.name not in FUNCTIONS:
            raise error(msg("unknown function {function}(); functions: {functions}",
                            function=node.name, functions=", ".join(sorted(FUNCTIONS))), node.pos)
        lo, hi, result = FUNCTIONS[node.name]
        if not lo <= len(node.args) <= hi:
            if lo == hi:
                raise error(msg("{function}() takes {count} argument(s), got {given}",
                                function=node.name, count=lo, given=len(node.args)), node.pos)
            raise error(msg("{function}() takes {low} to {high} argument(s), got {given}",
                            function=node.name, low=lo, high=hi, given=len(node.args)), node.pos)
        if node.name == "today":
            return Literal(self.today.isoformat(), node.pos, DATE)
        if node.name == "now":
            return Literal(now_iso(), node.pos, DATETIME)
        args = tuple(self.check(a) for a in node.args)
        name = node.name
        if name in ("lower", "upper", "trim", "length", "substr"):
            self.need(args[0], (TEXT,), msg("the first argument of {function}()", function=name))
        if name == "substr":
            for a in args[1:]:
                if not (isinstance(a, Literal) and isinstance(a.value, int)
                        and not isinstance(a.value, bool) and a.value >= (1 if a is args[1] else 0)):
                    raise error(msg("substr(text, start, length) needs whole numbers: start from 1, "
                                    "length from 0"), a.pos)
        if name in ("abs", "round"):
            self.need(args[0], (NUMBER,), msg("the argument of {function}()", function=name))
        if name == "round" and len(args) == 2 and not (
                isinstance(args[1], Literal) and isinstance(args[1].value, int)
                and not isinstance(args[1].value, bool) and 0 <= args[1].value <= 10):
            raise error(msg("round(x, digits) needs digits as a whole number from 0 to 10"),
                        args[1].pos)
        if name in ("year", "month", "day"):
            args = (self.coerce_date(args[0]),)
            self.need(args[0], (DATE, DATETIME), msg("the argument of {function}()",
                                                     function=name))
        if name == "date":
            arg = self.coerce_date(args[0])
            if isinstance(arg, Literal):
                return replace(arg, value=str(arg.value)[:10], type=DATE)
            self.need(arg, (DATE, DATETIME, TEXT), msg("the argument of {function}()",
                                                       function="date"))
            args = (arg,)
        if name == "coalesce":
            result = self.common_type(args, node)
        if name == "if":
            self.need(args[0], (BOOL,), msg("the first argument of {function}()", function="if"))
            result = self.common_type(args[1:], node)
        return replace(node, args=args, type=result or NULL)

    def coerce_date(self, node: Node) -> Node:
        if isinstance(node, Literal) and node.type == TEXT:
            parsed = parse_date(str(node.value))
            if parsed is None:
                raise error(msg("'{text}' is not a date (write YYYY-MM-DD)", text=node.value),
                            node.pos)
            return replace(node, value=parsed[0], type=parsed[1])
        return node

    def common_type(self, args: tuple[Node, ...], node: Call) -> str:
        types = {a.type for a in args} - {NULL}
        if types <= {DATE, DATETIME} and types:
            return DATE if types == {DATE} else DATETIME
        if len(types) > 1:
            shown = _type_names(sorted(types, key=lambda t: _type_name(t).en), ", ", "、")
            raise error(msg("the values of {function}() must have one type, got {types}",
                            function=node.name, types=shown),
                        node.pos)
        return types.pop() if types else NULL


def _what(node: Node) -> str | Message:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Literal):
        return repr(node.value) if node.type != NULL else "null"
    return msg("the expression")


def literal_value(node: Node) -> Any:
    """The Python value of a checked literal (for the back ends)."""
    assert isinstance(node, Literal)
    return node.value
