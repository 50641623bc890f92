"""Tokenizer of the filter / field-calculator expression language (see docs/expressions.md).

Turns text into a list of :class:`Token`; never evaluates anything. Full-width punctuation
typed with a Chinese input method (（），＝＜＞ and the curly quotes ‘’ “”) is accepted outside
string literals, so ``技术状况 ＞＝ 4`` works as ``技术状况 >= 4``. Limits on length and token
count keep hostile input cheap to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.errors import ExpressionError
from citymgr_desktop.core.messages import Message, Term, msg

MAX_LENGTH = 10_000
MAX_TOKENS = 4_000

KEYWORDS = frozenset({"and", "or", "not", "in", "like", "is", "null", "between", "true",
                      "false", "date"})

# Longest first: the tokenizer tries these in order.
OPERATORS = ("<=", ">=", "<>", "!=", "==", "||", "=", "<", ">", "+", "-", "*", "/", "(", ")",
             ",")

_FULL_WIDTH = {
    "（": "(", "）": ")", "，": ",", "＝": "=", "＜": "<", "＞": ">", "！": "!", "＋": "+",
    "－": "-", "＊": "*", "／": "/", "｜": "|", "　": " ", "≤": "<=", "≥": ">=", "≠": "!=",
}
_STRING_QUOTES = {"'": "'", "‘": "’"}
_IDENT_QUOTES = {'"': '"', "“": "”"}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "ident", "keyword", "op", "end"
    value: Any
    pos: int  # 0-based character offset in the source

    def describe(self) -> Message:
        if self.kind == "end":
            return msg("the end of the expression")
        if self.kind == "string":
            return msg("the text '{text}'", text=self.value)
        return msg("'{token}'", token=self.value)


def error(problem: Message, pos: int | None = None) -> ExpressionError:
    """An ExpressionError that says where (1-based character position) the problem is."""
    if pos is None:
        return ExpressionError("expression error: {problem}", problem=problem)
    return ExpressionError("expression error (at character {position}): {problem}",
                           position=pos + 1, problem=problem)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises ExpressionError for anything it does not know."""
    if not isinstance(text, str):
        raise ExpressionError("expression error: the expression must be text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            "expression error: the expression is too long ({length:,} characters; at most "
            "{max_length:,})", length=len(text), max_length=MAX_LENGTH)
    bad = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:  # a byte that was not UTF-8 (the command line keeps it as a surrogate)
        raise error(msg("a character that is not valid text (the terminal's encoding is not "
                        "UTF-8?); type it again"), bad)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _STRING_QUOTES:
            value, i2 = _quoted(text, i, _STRING_QUOTES[ch], Term("text", "文本"))
            tokens.append(Token("string", value, i))
            i = i2
        elif ch in _IDENT_QUOTES:
            value, i2 = _quoted(text, i, _IDENT_QUOTES[ch], Term("field name", "字段名"))
            if not value:
                raise error(msg('empty field name ""'), i)
            tokens.append(Token("ident", value, i))
            i = i2
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            number, i2 = _number(text, i)
            tokens.append(Token("number", number, i))
            i = i2
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), i))
            else:
                tokens.append(Token("ident", word, i))
            i = j
        else:
            op, width = _operator(text, i)
            tokens.append(Token("op", op, i))
            i += width
        if len(tokens) > MAX_TOKENS:
            raise error(msg("the expression has too many parts (more than {max_tokens:,})",
                            max_tokens=MAX_TOKENS), i)
    tokens.append(Token("end", None, n))
    return tokens


def _quoted(text: str, start: int, close: str, what: Term) -> tuple[str, int]:
    """A quoted literal; the closing quote doubled stands for itself (SQL style)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == close:
            if i + 1 < len(text) and text[i + 1] == close:
                out.append(close)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise error(msg("the {what} that starts here has no closing {close}", what=what, close=close),
                start)


def _number(text: str, start: int) -> tuple[int | float, int]:
    i, n = start, len(text)
    while i < n and text[i].isdigit():
        i += 1
    is_float = False
    if i < n and text[i] == "." and (i + 1 >= n or text[i + 1] != "."):
        is_float = True
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            is_float = True
            i = j
            while i < n and text[i].isdigit():
                i += 1
    raw = text[start:i]
    if i < n and (text[i].isalpha() or text[i] == "_"):
        raise error(msg("'{written}…' is neither a number nor a field name",
                        written=raw + text[i]), start)
    if not raw.isascii():  # other scripts' digits: refuse rather than guess
        raise error(msg("'{written}' is not a number written with the digits 0-9", written=raw),
                    start)
    value: int | float = float(raw) if is_float else int(raw)
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        raise error(msg("the number {number} is too large", number=raw), start)
    if isinstance(value, int) and abs(value) > 2**63 - 1:
        raise error(msg("the number {number} is too large", number=raw), start)
    return value, i


def _operator(text: str, i: int) -> tuple[str, int]:
    ch = text[i]
    if ch in _FULL_WIDTH:
        mapped = _FULL_WIDTH[ch]
        nxt = _FULL_WIDTH.get(text[i + 1], text[i + 1]) if i + 1 < len(text) else ""
        if mapped in "<>!=|" and len(mapped) == 1 and (mapped + nxt) in OPERATORS:
            return mapped + nxt, 2
        if mapped in OPERATORS:
            return mapped, 1
        if mapped == "!" and nxt == "=":
            return "!=", 2
    for op in OPERATORS:
        if text.startswith(op, i):
            return op, len(op)
    if ch == ";":
        raise error(msg("';' is not allowed: an expression is a single condition or formula"), i)
    raise error(msg("unexpected character '{char}'", char=ch), i)
