"""Messages people read, in their language: an English template with named fields and the
arguments that fill it.

``msg("created from the selection ({count} asset(s))", count=3)`` is a :class:`Message`;
``str(message)`` is the English sentence, ``message.render("zh_CN")`` the catalogue's Chinese
template (``resources/i18n/zh_CN/errors.json``: English template -> Chinese template) filled
with the same arguments. The template is the message's code: never format it before (no
f-strings), so the catalogue can find it. Errors (:mod:`core.errors`) carry a Message; undo
labels, import skip reasons, sync notes and work-order event notes are Messages too, so the
UI, the command line and the PDFs show one sentence in the chosen language.

An argument that has its own words per language is a :class:`Term` (a class or field name:
``Term("litter bins", "垃圾箱")``), a Message (rendered in the same language) or an error;
anything else is formatted as it is (``{count:,}`` works). Text that is stored where other
programs read it (a work-order event note) is stored as the English sentence and shown in
the reader's language through :func:`parse`, which finds the template and its arguments
again (see docs/design-decisions.md, "Messages in two languages").
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from citymgr_desktop.core.resources import translations_dir

CATALOGUE = "errors.json"  # the one catalogue of message templates (errors and others)


def is_chinese(lang: str | None) -> bool:
    """``zh``, ``zh_CN``, ``zh-CN``, ``zh_CN.UTF-8``: the Chinese catalogue; else English."""
    return bool(lang) and str(lang).lower().startswith("zh")


@runtime_checkable
class Renderable(Protocol):
    """Something that says itself in a language (a Message, a Term, an error)."""

    def render(self, lang: str = "en") -> str: ...


@dataclass(frozen=True)
class Term:
    """A word or name with its own spelling per language (a class, field or state name)."""

    en: str
    zh: str

    def render(self, lang: str = "en") -> str:
        return self.zh if is_chinese(lang) else self.en

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True, eq=False)
class Message:
    """A sentence to show: an English ``template`` with ``{name}`` fields and its ``args``.

    A Message is equal to (and hashes like) its English sentence, the form it is stored in:
    counted by reason, looked up, searched (``"x" in m``) or compared with English text, it
    behaves like that text.
    """

    template: str
    args: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def english(self) -> str:
        """The English sentence (computed once: counting by reason hashes it often)."""
        return fill(self.template, self.args, "en")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.english == other.english
        if isinstance(other, str):
            return self.english == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.english)

    def __contains__(self, text: str) -> bool:
        return text in self.english

    def render(self, lang: str = "en") -> str:
        """The sentence in ``lang`` (``en``, ``zh``/``zh_CN``); English where the catalogue
        has no translation of the template."""
        return fill(translate(self.template, lang), self.args, lang)

    def __str__(self) -> str:
        return self.english

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (the recovery journal keeps labels this way)."""
        return {"template": self.template, "args": {k: _arg_json(v) for k, v in
                                                     self.args.items()}}

    @classmethod
    def from_json(cls, data: Any) -> Message:
        """Back from :meth:`to_json`; plain text (older journals) becomes a Message
        without fields, shown as it is."""
        if isinstance(data, dict) and "template" in data:
            return cls(str(data["template"]), {k: _arg_from_json(v) for k, v in
                                               dict(data.get("args") or {}).items()})
        return cls("" if data is None else str(data))


def msg(template: str, /, **args: Any) -> Message:
    """A :class:`Message`: ``msg("Move {name}", name=name)``."""
    return Message(template, args)


@dataclass(frozen=True)
class Joined:
    """A list argument: each item rendered in the message's language, joined with ``sep``
    (``zh_sep`` in Chinese): ``joined(problems, "; ", "；")``."""

    items: tuple[Any, ...]
    sep: str = ", "
    zh_sep: str = "、"

    def render(self, lang: str = "en") -> str:
        sep = self.zh_sep if is_chinese(lang) else self.sep
        return sep.join(render(i, lang) if isinstance(i, Renderable) else str(i)
                        for i in self.items)

    def __str__(self) -> str:
        return self.render("en")


def joined(items: Iterable[Any], sep: str = ", ", zh_sep: str = "、") -> Joined:
    """A list of messages, terms or plain values as one argument."""
    return Joined(tuple(items), sep, zh_sep)


def sentences(parts: Iterable[str], lang: str = "en") -> str:
    """Sentences (each already in ``lang``) as one paragraph: a space between them in
    English, none in Chinese (a sentence ends in 。 and the next follows it at once)."""
    return ("" if is_chinese(lang) else " ").join(p for p in parts if p)


FULL_WIDTH_PUNCTUATION = "（）【】《》「」『』〔〕，。、；：！？"


def words(*parts: object) -> str:
    """Pieces of one line (each already in its language) joined by a space, but with none
    beside full-width punctuation, which carries its own room: ``Moves (last 8)``,
    ``流转记录（最近8条）``, ``处置时限（已超期）``, ``案件编号 202612070001``."""
    out = ""
    for part in (str(p) for p in parts if p is not None and str(p) != ""):
        if out and out[-1] not in FULL_WIDTH_PUNCTUATION \
                and part[0] not in FULL_WIDTH_PUNCTUATION:
            out += " "
        out += part
    return out


def bracketed(note: object, lang: str = "en") -> str:
    """``note`` in the brackets of ``lang``: ``(3)`` in English, ``（3）`` in Chinese; put
    after a text with :func:`words`."""
    return f"（{note}）" if is_chinese(lang) else f"({note})"


Text = str | Message  # what a label may be: a Message, or text already in the user's language


def render(text: Text | Renderable | None, lang: str = "en") -> str:
    """Any shown text in ``lang``: a Message, Term or error rendered, plain text as it is."""
    if text is None:
        return ""
    if isinstance(text, Renderable):
        return text.render(lang)
    return str(text)


def fill(template: str, args: Mapping[str, Any], lang: str = "en") -> str:
    """``template`` with its ``{name}`` fields filled, arguments rendered in ``lang``; a
    field without an argument is kept as written (a plain text with braces stays as it is)."""
    if not args:
        return template
    values = _Keep({k: render(v, lang) if isinstance(v, Renderable) else v
                    for k, v in args.items()})
    try:
        return _Formatter().vformat(template, (), values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    """Formats like ``str.format``, but a value its spec does not fit (``{count:,}`` given
    the text "1,234", as parsed back from a stored sentence) is shown as it is."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


def translate(template: str, lang: str) -> str:
    """The catalogue's translation of a template (the template itself in English)."""
    if not is_chinese(lang):
        return template
    return catalogue("zh_CN").get(template) or template


@functools.cache
def catalogue(lang: str = "zh_CN") -> dict[str, str]:
    """The message catalogue of ``lang``: {English template: translated template}."""
    path = translations_dir(lang) / CATALOGUE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def field_names(template: str) -> set[str]:
    """The ``{name}`` fields of a template (what a translation must keep)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


# -- stored sentences -----------------------------------------------------------------------------
def parse(text: str | None, templates: Iterable[str]) -> Message | None:
    """The Message whose English rendering ``text`` is, among ``templates`` (the sentences
    the app stores where other programs read them); None for any other text."""
    if not text:
        return None
    for template in templates:
        match = _pattern(template).fullmatch(text)
        if match is not None:
            return Message(template, match.groupdict())
    return None


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def _arg_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, Term):
        return {"en": value.en, "zh": value.zh}
    if isinstance(value, Joined):
        return {"items": [_arg_json(i) for i in value.items], "sep": value.sep,
                "zh_sep": value.zh_sep}
    if isinstance(value, Renderable):
        return value.render("en")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _arg_from_json(value: Any) -> Any:
    if isinstance(value, dict) and "template" in value:
        return Message.from_json(value)
    if isinstance(value, dict) and set(value) == {"en", "zh"}:
        return Term(str(value["en"]), str(value["zh"]))
    if isinstance(value, dict) and "items" in value:
        return Joined(tuple(_arg_from_json(i) for i in value["items"]),
                      str(value.get("sep", ", ")), str(value.get("zh_sep", "、")))
    return value
