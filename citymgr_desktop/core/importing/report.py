"""The import report: what will happen (dry run) or happened, counted per reason with examples.

It says how many features are inserted, updated, unchanged and skipped (per reason, with
examples), which value words matched no domain code, which values were invalid, which fields
stay empty (a condition nobody assessed is counted, not invented), which were filled from
the nearest asset (街道, 单元网格), what was done to geometries
and how coordinates were transformed. ``to_dict`` is the JSON of ``--report``; ``to_text`` is
what the command line prints.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.importing.crs import harmless_ballpark
from citymgr_desktop.core.importing.kept import MAX_KEPT as kept_most
from citymgr_desktop.core.importing.kept import KeptValue, kept_lines
from citymgr_desktop.core.messages import Message, Text, is_chinese, msg, render
from citymgr_desktop.core.store.neighbours import NEIGHBOUR_RADIUS

MAX_EXAMPLES = 5
_DATUM_STEP = re.compile(r"^(?:inverse of )?(transformation from .+ to .+|.+ to .+ \(\d+\))$",
                         re.IGNORECASE)


def transformation_words(description: str | None, accuracy: float | None = None
                         ) -> Message | None:
    """PROJ's description of a transformation ("axis order change (2D) + Ballpark geographic
    offset from ... + 3-degree Gauss-Kruger CM 114E") as a sentence a person reads: a
    conversion only, an approximate (ballpark) datum shift, or the named datum
    transformation(s). None for no description, and for steps it cannot tell: "a
    conversion only, no loss" is said only when PROJ states an accuracy of 0 m (what it
    gives a pipeline of conversions), never guessed from words it does not know."""
    if not description:
        return None
    if description.startswith("none ("):
        return msg("none: the source is in the project CRS")
    steps = [s.strip() for part in description.split(" ; ") for s in part.split(" + ")]
    named = [m.group(1) for s in steps if not s.lower().startswith(("ballpark", "conversion "))
             and (m := _DATUM_STEP.match(s))]
    ballpark = [s for s in steps if s.lower().startswith("ballpark")]
    if named:
        return msg("datum transformation {names}", names="; ".join(named))
    if ballpark and all(harmless_ballpark(s) for s in ballpark):
        return msg("no datum transformation parameters; the same datum is assumed (an error of "
                   "up to a few metres)")
    if ballpark:
        return msg("no datum transformation parameters; the same datum is assumed (an error of "
                   "up to hundreds of metres)")
    if accuracy == 0:
        return msg("a coordinate conversion only (the same datum, no loss of accuracy)")
    return None


def transformation_text(description: str | None, lang: str = "en",
                        accuracy: float | None = None) -> str:
    """The transformation as the report shows it in ``lang``: PROJ's own words in English
    (they are English and exact), a sentence in Chinese (PROJ's words are the detail;
    PROJ's words alone where no sentence is sure, see :func:`transformation_words`)."""
    words = transformation_words(description, accuracy) if is_chinese(lang) else None
    return words.render(lang) if words is not None else str(description)


@dataclass
class Example:
    fid: Any
    source_id: str | None
    detail: Text = ""

    def to_dict(self, rows: bool = False) -> dict[str, Any]:
        out = {"fid": _plain(self.fid), "source_id": self.source_id,
               "detail": str(self.detail)}
        if rows and isinstance(out["fid"], int):
            out["row"] = out["fid"] + 1  # as a person counts the source's features
        return out

    def render(self, lang: str = "en", rows: bool = False) -> str:
        """"feature no. 4 (id A-7): why", in ``lang``. ``rows``: the source's feature ids
        are its rows counted from 0 (a Shapefile's, a GeoJSON's, a table's), shown counted
        from 1 as a person counts; else the source's own FID is shown as such."""
        feature = (msg("feature no. {number}", number=self.fid + 1)
                   if rows and isinstance(_plain(self.fid), int) else msg("feature FID {fid}",
                                                                    fid=self.fid))
        args = {"feature": feature, "source_id": self.source_id, "detail": self.detail}
        if self.source_id and self.detail:
            return msg("{feature} (id {source_id}): {detail}", **args).render(lang)
        if self.source_id:
            return msg("{feature} (id {source_id})", **args).render(lang)
        if self.detail:
            return msg("{feature}: {detail}", **args).render(lang)
        return feature.render(lang)

    def __str__(self) -> str:
        return self.render("en")


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


class Tally:
    """Counts per key (a reason: a Message, counted by its English sentence) with a few
    examples each."""

    def __init__(self) -> None:
        self.counts: Counter[Text] = Counter()
        self.examples: dict[Text, list[Example]] = defaultdict(list)

    def add(self, key: Text, example: Example | None = None, n: int = 1) -> None:
        self.counts[key] += n
        if example is not None and len(self.examples[key]) < MAX_EXAMPLES:
            self.examples[key].append(example)

    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self, rows: bool = False) -> dict[str, Any]:
        return {str(k): {"count": n, "examples": [e.to_dict(rows)
                                                  for e in self.examples.get(k, [])]}
                for k, n in self.counts.most_common()}

    def __bool__(self) -> bool:
        return bool(self.counts)


@dataclass
class ImportReport:
    """The outcome of planning (and maybe applying) one import."""

    source: str
    layer: str
    target: str
    dry_run: bool = True
    applied: bool = False
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Tally = field(default_factory=Tally)
    geometry: Tally = field(default_factory=Tally)  # conversions and repairs (not skips)
    notices: Tally = field(default_factory=Tally)  # imported, but worth a look
    unmatched: dict[str, Counter[str]] = field(default_factory=dict)  # field -> word -> n
    invalid: dict[str, Tally] = field(default_factory=dict)  # field -> reason -> n
    empty: dict[str, int] = field(default_factory=dict)  # field -> features left empty
    filled: dict[str, int] = field(default_factory=dict)  # field -> from the nearest asset
    fields: dict[str, str] = field(default_factory=dict)  # asset field -> source / constant
    crs: dict[str, Any] = field(default_factory=dict)
    obj_codes: tuple[str, str] | None = None  # first and last code assigned
    warnings: list[Text] = field(default_factory=list)
    unknown_districts: Counter[str] = field(default_factory=Counter)  # 街道 -> assets
    fields_updated: Counter[str] = field(default_factory=Counter)  # field -> assets updated
    kept_edited: Counter[str] = field(default_factory=Counter)  # field -> project's kept
    conflicts: Counter[str] = field(default_factory=Counter)  # field -> both changed
    kept: list[KeptValue] = field(default_factory=list)  # the first MAX_KEPT of both
    remembered: str = ""  # when the mapping used was remembered from (empty: it was not)
    # the source's feature ids are its rows from 0 (Example.render): shown from 1
    fid_rows: bool = False
    district_mismatch: Counter[tuple[str, str]] = field(default_factory=Counter)  # (given, near)

    @property
    def skipped_count(self) -> int:
        return self.skipped.total()

    def add_unmatched(self, field_name: str, word: str) -> None:
        counts = self.unmatched.get(field_name)
        if counts is None:  # not setdefault: a Counter made per call costs more than the count
            counts = self.unmatched[field_name] = Counter()
        counts[word] += 1

    def add_invalid(self, field_name: str, message: Text, example: Example) -> None:
        self.invalid.setdefault(field_name, Tally()).add(message, example)

    def add_filled(self, field_name: str, n: int = 1) -> None:
        """``n`` new assets' empty ``field_name`` filled from their nearest neighbour:
        counted as filled, no longer as left empty."""
        if n <= 0:
            return
        self.filled[field_name] = self.filled.get(field_name, 0) + n
        left = self.empty.get(field_name, 0) - n
        if left > 0:
            self.empty[field_name] = left
        else:
            self.empty.pop(field_name, None)

    def add_kept(self, field_name: str, n: int) -> None:
        """``n`` updated assets keep the project's ``field_name`` where the source has no
        value (an import never erases one): not left empty."""
        left = self.empty.get(field_name, 0) - n
        if left > 0:
            self.empty[field_name] = left
        else:
            self.empty.pop(field_name, None)

    def add_kept_value(self, kept: KeptValue) -> None:
        """A re-delivered value the project did not take (or took over its own change)."""
        (self.kept_edited if kept.why == "edited" else self.conflicts)[kept.field] += 1
        if len(self.kept) < kept_most:
            self.kept.append(kept)

    def add_unknown_district(self, name: str) -> None:
        self.unknown_districts[name] += 1

    def add_district_mismatch(self, given: str, nearest: str) -> None:
        self.district_mismatch[(given, nearest)] += 1

    def warn_districts(self, known: int, given: bool) -> None:
        """The warnings about 街道 (after the last batch): names not among the project's
        ``known`` 街道, and 街道 that differ from their nearest asset's; ``given``: the
        source or a constant gives 街道."""
        if not known and given:
            self.warnings.append(msg("the project has no 街道 yet: every 街道 name is "
                                     "accepted"))
        for name, n in self.unknown_districts.most_common():
            self.warnings.append(msg("街道 {name!r} is not one of the file's {known} 街道: "
                                     "{count} asset(s)", name=name, known=known, count=n))
        nearest: dict[str, Counter[str]] = defaultdict(Counter)
        for (given_name, near), n in self.district_mismatch.items():
            nearest[given_name][near] += n
        for given_name, near_counts in sorted(nearest.items(), key=lambda kv: -kv[1].total()):
            self.warnings.append(msg(
                "{count} asset(s) of 街道 {given!r} lie nearest to assets of another 街道 "
                "(within {metres:g} m): {nearest}", count=near_counts.total(), given=given_name,
                metres=NEIGHBOUR_RADIUS,
                nearest=", ".join(f"{d!r} ×{n}" for d, n in near_counts.most_common(5))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "layer": self.layer, "target": self.target,
            "dry_run": self.dry_run, "applied": self.applied,
            "counts": {"read": self.read, "insert": self.inserted, "update": self.updated,
                       "unchanged": self.unchanged, "skip": self.skipped_count},
            "skipped": self.skipped.to_dict(self.fid_rows),
            "geometry": self.geometry.to_dict(self.fid_rows),
            "notices": self.notices.to_dict(self.fid_rows),
            "unmatched_values": {f: dict(c.most_common()) for f, c in self.unmatched.items()},
            "invalid_values": {f: t.to_dict(self.fid_rows) for f, t in self.invalid.items()},
            "left_empty": dict(self.empty),
            "filled_from_nearest": dict(self.filled),
            "fields": dict(self.fields),
            "crs": {k: [str(n) for n in v] if k == "notes" else v for k, v in self.crs.items()},
            "obj_codes": list(self.obj_codes) if self.obj_codes else None,
            "warnings": [str(w) for w in self.warnings],
            "unknown_districts": dict(self.unknown_districts.most_common()),
            "district_mismatch": [{"district": g, "nearest": n, "count": c}
                                  for (g, n), c in self.district_mismatch.most_common()],
            "fields_updated": dict(self.fields_updated.most_common()),
            "kept_project_values": dict(self.kept_edited.most_common()),
            "both_changed": dict(self.conflicts.most_common()),
            "kept": [k.to_dict() for k in self.kept],
            "mapping_remembered_from": self.remembered or None,
        }

    def summary(self, lang: str = "en") -> str:
        """One line: how many features were read, inserted, updated, unchanged, skipped."""
        args = {"read": self.read, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped_count}
        if self.dry_run and not self.applied:
            return msg("dry run: {read} feature(s) read; would insert {inserted}, update "
                       "{updated}, leave {unchanged} unchanged, skip {skipped}",
                       **args).render(lang)
        return msg("{read} feature(s) read; did insert {inserted}, update {updated}, leave "
                   "{unchanged} unchanged, skip {skipped}", **args).render(lang)

    def to_text(self, lang: str = "en") -> str:
        """The report as ``citymgr import`` prints it, in ``lang``."""
        lines = [f"import {self.source} [{self.layer}] -> {self.target}",
                 "  " + self.summary(lang)]
        if self.obj_codes:
            lines.append("  " + msg("new obj_code: {first} .. {last}", first=self.obj_codes[0],
                                    last=self.obj_codes[1]).render(lang))
        if self.crs:
            lines.append(f"  CRS: {self.crs.get('source')} -> {self.crs.get('target')}")
            acc = self.crs.get("accuracy_m")
            choice = self.crs.get("choice", 1)
            description = transformation_text(self.crs.get("transformation"), lang, acc)
            line = (msg("transformation {choice}: {description} (accuracy {metres:g} m)",
                        choice=choice, description=description, metres=acc) if acc is not None
                    else msg("transformation {choice}: {description}", choice=choice,
                             description=description))
            lines.append("    " + line.render(lang))
            for alt in self.crs.get("alternatives", []):
                a = alt.get("accuracy_m")
                words = transformation_text(alt["description"], lang, a)
                line = (msg("or {choice}: {description} ({metres:g} m)", choice=alt["choice"],
                            description=words, metres=a) if a is not None
                        else msg("or {choice}: {description} (accuracy unknown)",
                                 choice=alt["choice"], description=words))
                lines.append("      " + line.render(lang))
            lines.extend("    " + msg("note: {note}", note=n).render(lang)
                         for n in self.crs.get("notes", []))
        if self.remembered:
            lines.append("  " + msg("mapping: as at the previous import of this source "
                                    "({when})", when=format_local_or_text(self.remembered)
                                    ).render(lang))
        lines += kept_lines(self.fields_updated, self.kept_edited, self.conflicts, self.kept,
                            lang)
        if self.fields:
            lines.append("  " + msg("fields: {fields}", fields=", ".join(
                f"{k} <- {v}" for k, v in self.fields.items())).render(lang))
        for title, tally in ((msg("skipped:"), self.skipped), (msg("geometry:"), self.geometry),
                             (msg("notices:"), self.notices)):
            if tally:
                lines.append("  " + title.render(lang))
                for key, n in tally.counts.most_common():
                    lines.append(f"    {n:>7}  {render(key, lang)}")
                    lines.extend("             " + msg("e.g. {example}", example=e.render(
                        lang, self.fid_rows)).render(lang) for e in tally.examples.get(key, []))
        if self.unmatched:
            lines.append("  " + msg("value words that matched no code (left empty unless "
                                    "mapped):").render(lang))
            for f, counter in self.unmatched.items():
                words = ", ".join(f"{w!r} ×{n}" for w, n in counter.most_common(12))
                more = len(counter) - 12
                lines.append(f"    {f}: " + (msg("{words} and {more} more", words=words,
                                                  more=more).render(lang) if more > 0 else words))
        if self.invalid:
            lines.append("  " + msg("invalid values (left empty):").render(lang))
            for f, tally in self.invalid.items():
                for key, n in tally.counts.most_common():
                    lines.append(f"    {f}: {n} × {render(key, lang)}")
                    lines.extend("             " + msg("e.g. {example}", example=e.render(
                        lang, self.fid_rows)).render(lang) for e in tally.examples.get(key, [])[:2])
        if self.empty:
            lines.append("  " + msg("left empty (no source value, no constant):").render(lang))
            for f, n in self.empty.items():
                why = ([msg("not assessed").render(lang)] if f == "condition" else []) + (
                    [] if f in self.fields else [msg("not mapped").render(lang)])
                lines.append(f"    {n:>7}  {f}" + (f" ({'; '.join(why)})" if why else ""))
        if self.filled:
            lines.append("  " + msg("filled from the nearest asset (within {metres:g} m):",
                                    metres=NEIGHBOUR_RADIUS).render(lang))
            lines.extend(f"    {n:>7}  {f}" for f, n in self.filled.items())
        lines.extend("  " + msg("warning: {warning}",
        warning=w).render(lang) for w in self.warnings)
        return "\n".join(lines)

