"""The import report: what will happen (dry run) or happened, counted per reason with examples.

It says how many features are inserted, updated, unchanged and skipped (per reason, with
examples), which value words matched no domain code, which values were invalid, which fields
stay empty (a condition nobody assessed is counted, not invented), what was done to geometries
and how coordinates were transformed. ``to_dict`` is the JSON of ``--report``; ``to_text`` is
what the command line prints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 5


@dataclass
class Example:
    fid: Any
    source_id: str | None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"fid": _plain(self.fid), "source_id": self.source_id, "detail": self.detail}

    def __str__(self) -> str:
        who = f"feature {self.fid}" + (f" (id {self.source_id})" if self.source_id else "")
        return f"{who}: {self.detail}" if self.detail else who


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


class Tally:
    """Counts per key with a few examples each."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[Example]] = defaultdict(list)

    def add(self, key: str, example: Example | None = None, n: int = 1) -> None:
        self.counts[key] += n
        if example is not None and len(self.examples[key]) < MAX_EXAMPLES:
            self.examples[key].append(example)

    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {k: {"count": n, "examples": [e.to_dict() for e in self.examples.get(k, [])]}
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
    invalid: dict[str, Tally] = field(default_factory=dict)  # field -> message -> n
    empty: dict[str, int] = field(default_factory=dict)  # field -> features left empty
    fields: dict[str, str] = field(default_factory=dict)  # asset field -> source / constant
    crs: dict[str, Any] = field(default_factory=dict)
    obj_codes: tuple[str, str] | None = None  # first and last code assigned
    warnings: list[str] = field(default_factory=list)

    @property
    def skipped_count(self) -> int:
        return self.skipped.total()

    def add_unmatched(self, field_name: str, word: str) -> None:
        self.unmatched.setdefault(field_name, Counter())[word] += 1

    def add_invalid(self, field_name: str, message: str, example: Example) -> None:
        self.invalid.setdefault(field_name, Tally()).add(message, example)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "layer": self.layer, "target": self.target,
            "dry_run": self.dry_run, "applied": self.applied,
            "counts": {"read": self.read, "insert": self.inserted, "update": self.updated,
                       "unchanged": self.unchanged, "skip": self.skipped_count},
            "skipped": self.skipped.to_dict(),
            "geometry": self.geometry.to_dict(),
            "notices": self.notices.to_dict(),
            "unmatched_values": {f: dict(c.most_common()) for f, c in self.unmatched.items()},
            "invalid_values": {f: t.to_dict() for f, t in self.invalid.items()},
            "left_empty": dict(self.empty),
            "fields": dict(self.fields),
            "crs": dict(self.crs),
            "obj_codes": list(self.obj_codes) if self.obj_codes else None,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        verb = "would" if self.dry_run and not self.applied else "did"
        head = "dry run: " if self.dry_run and not self.applied else ""
        return (f"{head}{self.read} feature(s) read; {verb} insert {self.inserted}, "
                f"update {self.updated}, leave {self.unchanged} unchanged, "
                f"skip {self.skipped_count}")

    def to_text(self) -> str:
        lines = [f"import {self.source} [{self.layer}] -> {self.target}", "  " + self.summary()]
        if self.obj_codes:
            lines.append(f"  new obj_code: {self.obj_codes[0]} .. {self.obj_codes[1]}")
        if self.crs:
            lines.append(f"  CRS: {self.crs.get('source')} -> {self.crs.get('target')}")
            acc = self.crs.get("accuracy_m")
            lines.append(f"    transformation {self.crs.get('choice', 1)}: "
                         f"{self.crs.get('transformation')}"
                         + (f" (accuracy {acc:g} m)" if acc is not None else ""))
            for alt in self.crs.get("alternatives", []):
                a = alt.get("accuracy_m")
                lines.append(f"      or {alt['choice']}: {alt['description']}"
                             + (f" ({a:g} m)" if a is not None else " (accuracy unknown)"))
            lines.extend(f"    note: {n}" for n in self.crs.get("notes", []))
        if self.fields:
            lines.append("  fields: " + ", ".join(f"{k} <- {v}" for k, v in self.fields.items()))
        for title, tally in (("skipped", self.skipped), ("geometry", self.geometry),
                             ("notices", self.notices)):
            if tally:
                lines.append(f"  {title}:")
                for key, n in tally.counts.most_common():
                    lines.append(f"    {n:>7}  {key}")
                    lines.extend(f"             e.g. {e}" for e in tally.examples.get(key, []))
        if self.unmatched:
            lines.append("  value words that matched no code (left empty unless mapped):")
            for f, counter in self.unmatched.items():
                words = ", ".join(f"{w!r} ×{n}" for w, n in counter.most_common(12))
                more = len(counter) - 12
                lines.append(f"    {f}: {words}" + (f" and {more} more" if more > 0 else ""))
        if self.invalid:
            lines.append("  invalid values (left empty):")
            for f, tally in self.invalid.items():
                for key, n in tally.counts.most_common():
                    lines.append(f"    {f}: {n} × {key}")
                    lines.extend(f"             e.g. {e}" for e in tally.examples.get(key, [])[:2])
        if self.empty:
            lines.append("  left empty (no source value, no constant):")
            for f, n in self.empty.items():
                why = (["not assessed"] if f == "condition" else []) + (
                    [] if f in self.fields else ["not mapped"])
                lines.append(f"    {n:>7}  {f}" + (f" ({'; '.join(why)})" if why else ""))
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)
