"""Source attribute values -> asset field values for an import, column by column: value
words to domain codes, dates as offices write them, text cut to length, and what the report
says about each (unmatched words, invalid values, notices). Split from :mod:`prepare`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.importing import values as iv
from citymgr_desktop.core.importing.mapping import ImportMapping
from citymgr_desktop.core.importing.report import Example, ImportReport
from citymgr_desktop.core.importing.sources import is_empty
from citymgr_desktop.core.messages import Message, Term, msg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.values import normalise


def _invalid_reason(table: sc.Table, name: str, value: Any) -> Message:
    f = table.field(name)
    domain = f.get_domain()
    if isinstance(domain, dm.RangeDomain):
        try:
            float(str(value).strip())
            return msg("outside {range}", range=Term(domain.describe("en"),
                                                     domain.describe("zh")))
        except ValueError:
            pass
    words = {sc.FieldType.INTEGER: msg("not a whole number"),
             sc.FieldType.REAL: msg("not a number"),
             sc.FieldType.DATE: msg("not a date (YYYY-MM-DD)"),
             sc.FieldType.DATETIME: msg("not a date and time"),
             sc.FieldType.BOOLEAN: msg("not yes/no")}
    return words.get(f.type) or msg("not allowed")


MEMO_VALUES = 20_000  # distinct (field, value) outcomes remembered at most
_NO_VALUE = object()  # the field stays unfilled (empty, a null word, mapped to nothing)


@dataclass
class _Outcome:
    """What one source value becomes in one asset field, and what the report says about it
    (replayed for every feature with that value: the outcome is computed once per value)."""

    value: Any = _NO_VALUE
    skip: Message | None = None  # the whole feature is skipped
    unmatched: str | None = None  # a value word that matched no code
    invalid: tuple[Message, str] | None = None  # (reason, shown value)
    notice: tuple[Message, str] | None = None
    plain: bool = True  # none of the above: only the value counts


class _Text:
    """The outcome of a plain text (a field without a domain, within its length: names,
    ids): the text as it is, nothing to report; lighter than an :class:`_Outcome`."""

    __slots__ = ("value",)
    skip = unmatched = invalid = notice = None
    plain = True

    def __init__(self, value: str) -> None:
        self.value = value


class Converter:
    """Source values -> normalised asset values, counting what does not fit.

    Conversion is a pure function of (field, source value), so each distinct value of a
    column is converted once; the report entries are added per feature as before."""

    def __init__(self, table: sc.Table, mapping: ImportMapping, constants: dict[str, Any],
                 report: ImportReport) -> None:
        self.table, self.mapping, self.constants, self.report = table, mapping, constants, report
        self.explicit = {f: {iv.normalise_word(w): c for w, c in m.items()}
                         for f, m in mapping.values.items()}
        self.targets = [(t, s) for t, s in mapping.fields.items() if t != "source_id"]
        self.names = [t for t, _ in self.targets]
        self.plain_text = {f.name: f.max_length or 0 for f in table.fields  # no domain: as is
                           if f.type is sc.FieldType.TEXT and f.get_domain() is None
                           and f.name not in self.explicit}  # 街道 with a value map
        self.seen: dict[tuple[str, type, Any], _Outcome] = {}

    def columns(self, attributes: dict[str, list[Any]]) -> list[list[Any]]:
        """The outcome of each mapped field's value (in ``targets`` order), one column per
        field, worked out once per distinct value."""
        columns = []
        seen = self.seen
        for target, src in self.targets:
            outs: list[Any] = []
            limit = self.plain_text.get(target)
            for raw in attributes[src]:
                if limit is not None and type(raw) is str:  # names, ids: all distinct
                    text = raw.strip()  # what _worked_out makes of it, without the memo
                    if text and (not limit or len(text) <= limit) \
                            and iv.normalise_word(raw) not in iv.NULL_WORDS:
                        outs.append(_Text(text))
                        continue
                try:
                    key = (target, type(raw), raw)
                    out = seen.get(key)
                    if out is None:
                        if len(seen) >= MEMO_VALUES:  # names, ids: all distinct; memory
                            seen.clear()  # follows the batch, not the source
                        out = seen[key] = self._outcome(target, raw)
                except TypeError:  # an unhashable value (a list from GeoJSON): not remembered
                    out = self._outcome(target, raw)
                outs.append(out)
            columns.append(outs)
        return columns

    @staticmethod
    def remarked(columns: list[list[Any]]) -> set[int]:
        """The features (rows) of which some value is not plain: the report says something
        about it, or it skips the feature (:meth:`values` is asked for these only)."""
        return {i for outs in columns for i, out in enumerate(outs) if not out.plain}

    def value_columns(self, columns: list[list[Any]], count: int) -> dict[str, list[Any]]:
        """Every feature's values as columns (None: no value): what :meth:`values` gives a
        feature it does not skip, the mapped fields first, a constant where the source has
        no value."""
        constants = self.constants
        out: dict[str, list[Any]] = {}
        for target, outs in zip(self.names, columns, strict=True):
            fill = constants.get(target)
            out[target] = [fill if o.value is None or o.value is _NO_VALUE else o.value
                           for o in outs]
        for f, v in constants.items():
            if v is not None and f not in out:
                out[f] = [v] * count
        return out

    def values(self, outcomes: tuple[_Outcome, ...], fid: Any, sid: str | None
               ) -> tuple[dict[str, Any], Message | None]:
        """One feature's normalised values from its :meth:`columns` outcomes, or the reason
        it is skipped; what the report says about each value is added for this feature."""
        values: dict[str, Any] = {}
        report, constants = self.report, self.constants
        for target, out in zip(self.names, outcomes, strict=True):
            if not out.plain:
                if out.unmatched is not None:
                    report.add_unmatched(target, out.unmatched)
                if out.skip is not None:
                    return {}, out.skip
                if out.invalid is not None:
                    report.add_invalid(target, out.invalid[0], Example(fid, sid, out.invalid[1]))
                if out.notice is not None:
                    report.notices.add(out.notice[0], Example(fid, sid, out.notice[1]))
            value = out.value
            if value is None:  # a constant fills it, in its place; else it is left out
                value = constants.get(target)
            if value is not None and value is not _NO_VALUE:
                values[target] = value
        for f, v in constants.items():  # where the source has no such field
            if v is not None and f not in values:
                values[f] = v
        return values, None

    def _outcome(self, target: str, raw: Any) -> _Outcome:
        out = self._worked_out(target, raw)
        out.plain = out.unmatched is None and out.skip is None and out.invalid is None \
            and out.notice is None
        return out

    def _worked_out(self, target: str, raw: Any) -> _Outcome:
        limit = self.plain_text.get(target)
        if limit is not None and type(raw) is str:  # names, ids: every value is distinct
            text = raw.strip()  # what the general path below makes of it, in fewer steps
            if not text or iv.normalise_word(raw) in iv.NULL_WORDS:
                return _Outcome()
            if not limit or len(text) <= limit:
                return _Outcome(value=text)
        out = _Outcome()
        if is_empty(raw) or iv.is_null_word(raw):
            return out
        domain = self.table.field(target).get_domain()
        if isinstance(domain, dm.CodedDomain):
            key = iv.value_key(raw)
            explicit = self.explicit.get(target, {})
            nkey = iv.normalise_word(key)
            if nkey in explicit:
                raw = explicit[nkey]
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    return out
            else:
                code = iv.match_code(domain, raw)
                if code is None:
                    out.unmatched = key
                    if self.mapping.on_unmatched == "skip":
                        out.skip = msg("value matches no code ({field}: {value!r})",
                                       field=target, value=key)
                    return out
                raw = code
        elif target in self.explicit:  # 街道: a source name mapped to a known or new name
            mapped = self.explicit[target].get(iv.normalise_word(iv.value_key(raw)), raw)
            if mapped is None or (isinstance(mapped, str) and not mapped.strip()):
                return out  # left empty on purpose: the nearest asset fills it
            raw = mapped
        out.value = self._normalise(target, raw, out)
        return out

    def _normalise(self, name: str, raw: Any, out: _Outcome) -> Any:
        f = self.table.field(name)
        if f.type is sc.FieldType.TEXT and f.max_length and len(str(raw).strip()) > f.max_length:
            text = str(raw).strip()
            out.invalid = (msg("longer than {max_length} characters: cut",
                               max_length=f.max_length), text[:40] + "…")
            return text[: f.max_length]
        if f.type is sc.FieldType.DATE and isinstance(raw, (str, int)) \
                and not isinstance(raw, bool):
            parsed = iv.parse_date_text(raw)
            if parsed is not None:
                raw = parsed[0]
                if parsed[1]:
                    out.notice = (msg("{field}: partial date completed to the first day",
                                      field=name), f"{raw!s}")
        if f.type is sc.FieldType.TEXT and not isinstance(raw, str):
            raw = iv.value_key(raw)
        try:
            return normalise(self.table, name, raw.strip() if isinstance(raw, str) else raw)
        except ValidationError:
            out.invalid = (_invalid_reason(self.table, name, raw), repr(raw))
            return None
