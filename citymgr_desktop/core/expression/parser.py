"""Parser of the expression language: tokens -> an abstract syntax tree of frozen dataclasses.

A hand-written recursive-descent parser with SQL-like precedence (lowest first): ``or``,
``and``, ``not``, comparisons (``= != <> < <= > >= is [not] null, [not] in (…),
[not] like, [not] between … and …``), ``+ - ||``, ``* /``, unary minus. Nesting depth is
bounded so hostile input gets a clear error instead of a RecursionError. Names are not
resolved here (see :mod:`citymgr_desktop.core.expression.typecheck`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.expression.lexer import Token, error, tokenize
from citymgr_desktop.core.messages import Message, msg

MAX_DEPTH = 60
MAX_IN_ITEMS = 1_000


class Node:
    """Base of all AST nodes. ``type`` is filled in by the type checker."""

    pos: int
    type: str


@dataclass(frozen=True)
class Literal(Node):
    value: Any  # int, float, str, bool or None
    pos: int = 0
    type: str = "?"
    is_date: bool = False  # written as date '…'


@dataclass(frozen=True)
class Name(Node):
    """A field reference as written; resolved to the real column name by the type checker."""

    name: str
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class Binary(Node):
    op: str  # and or = != < <= > >= + - * / ||
    left: Node
    right: Node
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool = False
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class In(Node):
    operand: Node
    items: tuple[Node, ...]
    negated: bool = False
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class Like(Node):
    operand: Node
    pattern: Node
    negated: bool = False
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class Between(Node):
    operand: Node
    low: Node
    high: Node
    negated: bool = False
    pos: int = 0
    type: str = "?"


@dataclass(frozen=True)
class Call(Node):
    name: str  # lower case
    args: tuple[Node, ...]
    pos: int = 0
    type: str = "?"


COMPARISONS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
               ">=": ">="}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # -- helpers -----------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, kind: str, *values: Any) -> bool:
        t = self.tok
        return t.kind == kind and (not values or t.value in values)

    def expect(self, kind: str, value: Any, what: Message) -> Token:
        if not self.at(kind, value):
            raise error(msg("expected {what} but found {found}", what=what,
                            found=self.tok.describe()), self.tok.pos)
        return self.next()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise error(msg("the expression is nested too deeply (more than {max_levels} levels)",
                            max_levels=MAX_DEPTH),
                        self.tok.pos)

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar -----------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.at("end"):
            raise error(msg("the expression is empty"))
        node = self.or_expr()
        if not self.at("end"):
            t = self.tok
            if t.kind in ("ident", "string", "number"):
                raise error(msg("unexpected {found} (use 'and' / 'or' to combine conditions)",
                                found=t.describe()), t.pos)
            raise error(msg("unexpected {found}", found=t.describe()), t.pos)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at("keyword", "or"):
            pos = self.next().pos
            node = Binary("or", node, self.and_expr(), pos)
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at("keyword", "and"):
            pos = self.next().pos
            node = Binary("and", node, self.not_expr(), pos)
        return node

    def not_expr(self) -> Node:
        if self.at("keyword", "not"):
            pos = self.next().pos
            self.enter()
            node = Unary("not", self.not_expr(), pos)
            self.leave()
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        t = self.tok
        if t.kind == "op" and t.value in COMPARISONS:
            self.next()
            return Binary(COMPARISONS[t.value], left, self.additive(), t.pos)
        if t.kind == "keyword" and t.value == "is":
            self.next()
            negated = bool(self.at("keyword", "not")) and bool(self.next())
            if not self.at("keyword", "null"):
                raise error(msg("'is' must be followed by 'null' or 'not null'"), self.tok.pos)
            self.next()
            return IsNull(left, negated, t.pos)
        negated = False
        if t.kind == "keyword" and t.value == "not":
            self.next()
            negated = True
            if not self.at("keyword", "in", "like", "between"):
                raise error(msg("'not' here must be followed by 'in', 'like' or 'between'"),
                            self.tok.pos)
        t = self.tok
        if self.at("keyword", "in"):
            self.next()
            return In(left, self.in_list(), negated, t.pos)
        if self.at("keyword", "like"):
            self.next()
            return Like(left, self.additive(), negated, t.pos)
        if self.at("keyword", "between"):
            self.next()
            low = self.additive()
            self.expect("keyword", "and", msg("'and' (between … and …)"))
            return Between(left, low, self.additive(), negated, t.pos)
        return left

    def in_list(self) -> tuple[Node, ...]:
        self.expect("op", "(", msg("'(' after 'in'"))
        items = [self.additive()]
        while self.at("op", ","):
            self.next()
            items.append(self.additive())
            if len(items) > MAX_IN_ITEMS:
                raise error(msg("an 'in (…)' list may hold at most {max_items:,} values",
                                max_items=MAX_IN_ITEMS),
                            self.tok.pos)
        self.expect("op", ")", msg("')' or ',' in the 'in (…)' list"))
        return tuple(items)

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.at("op", "+", "-", "||"):
            t = self.next()
            node = Binary(t.value, node, self.multiplicative(), t.pos)
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.at("op", "*", "/"):
            t = self.next()
            node = Binary(t.value, node, self.unary(), t.pos)
        return node

    def unary(self) -> Node:
        if self.at("op", "-", "+"):
            t = self.next()
            self.enter()
            operand = self.unary()
            self.leave()
            if t.value == "+":
                return operand
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                return Literal(-operand.value, t.pos)
            return Unary("-", operand, t.pos)
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self.next()
            return Literal(t.value, t.pos)
        if t.kind == "string":
            self.next()
            return Literal(t.value, t.pos)
        if t.kind == "keyword":
            if t.value == "null":
                self.next()
                return Literal(None, t.pos)
            if t.value in ("true", "false"):
                self.next()
                return Literal(t.value == "true", t.pos)
            if t.value == "date":
                self.next()
                if self.at("string"):
                    return Literal(self.next().value, t.pos, is_date=True)
                if self.at("op", "("):
                    return Call("date", self.call_args(), t.pos)
                raise error(msg("'date' must be followed by a quoted date, e.g. date '2024-05-01'"),
                            self.tok.pos)
            raise error(msg("unexpected {found}", found=t.describe()), t.pos)
        if t.kind == "ident":
            self.next()
            if self.at("op", "("):
                return Call(t.value.lower(), self.call_args(), t.pos)
            return Name(t.value, t.pos)
        if t.kind == "op" and t.value == "(":
            self.next()
            self.enter()
            node = self.or_expr()
            self.leave()
            self.expect("op", ")", msg("')'"))
            return node
        raise error(msg("expected a value, a field name or '(' but found {found}",
                        found=t.describe()), t.pos)

    def call_args(self) -> tuple[Node, ...]:
        self.expect("op", "(", msg("'('"))
        self.enter()
        args: list[Node] = []
        if not self.at("op", ")"):
            args.append(self.or_expr())
            while self.at("op", ","):
                self.next()
                args.append(self.or_expr())
        self.leave()
        self.expect("op", ")", msg("')' or ',' in the function call"))
        return tuple(args)


MAX_TREE_DEPTH = 200  # Python recursion in the checker and evaluators
MAX_NESTING = 22  # SQLite's parser stack (100 entries) overflows near 25 nested CASE
_GROUPS = {"and": "and", "or": "or", "+": "+-", "-": "+-", "*": "*", "||": "||"}


def chain_group(op: str) -> str | None:
    """Left-associative operators of one precedence, written flat (``a + b - c``)."""
    return _GROUPS.get(op)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, IsNull):
        return (node.operand,)
    if isinstance(node, In):
        return (node.operand, *node.items)
    if isinstance(node, Like):
        return (node.operand, node.pattern)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, Call):
        return node.args
    return ()


def _cost(parent: Node, child: Node) -> int:
    """How much deeper SQLite's parser goes from ``parent`` into ``child``."""
    dates = ("date", "datetime")
    if isinstance(parent, Binary) and isinstance(child, Binary) and child is parent.left \
            and chain_group(parent.op) is not None \
            and chain_group(child.op) == chain_group(parent.op) \
            and child.left.type not in dates and child.right.type not in dates:
        return 0  # written flat: a or b or c
    if isinstance(child, Binary) and (child.op == "/" or child.left.type in dates):
        return 2  # CAST(…) / …, date(julianday(…) + …)
    if isinstance(child, Call) and child.name in ("year", "month", "day", "if"):
        return 2  # CAST(strftime(…)), CASE WHEN … END
    return 1


def depths(node: Node) -> tuple[int, int]:
    """(tree depth, SQL nesting depth where a flat chain such as ``a or b or c`` counts once),
    computed without recursion."""
    deepest, nested, stack = 0, 0, [(node, 1, 1)]
    while stack:
        n, d, k = stack.pop()
        deepest, nested = max(deepest, d), max(nested, k)
        stack.extend((c, d + 1, k + _cost(n, c)) for c in children(n))
    return deepest, nested


def check_nesting(node: Node) -> None:
    """Refuse a type-checked expression SQLite could not parse (its parser stack is small)."""
    if depths(node)[1] > MAX_NESTING:
        raise error(msg("the expression is nested too deeply (more than {max_levels} levels)",
                        max_levels=MAX_NESTING))


def parse(text: str) -> Node:
    """Parse ``text`` into an (unresolved) AST; raises ExpressionError with the position."""
    node = _Parser(tokenize(text)).parse()
    if depths(node)[0] > MAX_TREE_DEPTH:
        raise error(msg("the expression is too complex (more than {max_operators} operators in a "
                        "row); use 'in (…)' for long lists of values",
                        max_operators=MAX_TREE_DEPTH))
    return node
