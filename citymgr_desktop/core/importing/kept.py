"""What a re-delivery did to the values of the assets it matched, as the import report says it:
per field the assets updated, the project's values kept, and the values both the project and
the delivery changed since the previous delivery (:mod:`memory` has the rule), with a list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.messages import msg, words

MAX_KEPT = 1000  # values the project kept, listed one by one (the counts go on)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


@dataclass
class KeptValue:
    """A field of a re-delivered asset whose project value differs from the delivery's:
    ``why`` "edited" (the delivery did not change it since its previous delivery: the
    project's value stays) or "both" (both changed it; ``taken``: whose value the asset
    keeps, "project" unless the delivery was chosen to win)."""

    obj_code: str | None
    source_id: str | None
    field: str
    previous: Any  # the previous delivery's value
    delivery: Any
    project: Any
    why: str
    taken: str = "project"

    def to_dict(self) -> dict[str, Any]:
        return {"obj_code": self.obj_code, "source_id": self.source_id, "field": self.field,
                "previous_delivery": value_text(self.previous),
                "delivery": value_text(self.delivery), "project": value_text(self.project),
                "why": self.why, "taken": self.taken}


def value_text(value: Any) -> str | None:
    """A value as a list shows it (a geometry by its kind only)."""
    if value is None:
        return None
    if hasattr(value, "geom_type"):
        return f"({value.geom_type})"
    return str(_plain(value))


def kept_lines(updated: Counter[str], kept_edited: Counter[str], conflicts: Counter[str],
               kept: list[KeptValue], lang: str, limit: int = 50) -> list[str]:
    """What a re-delivery updated and kept, per field (the report's counts), and the list of
    kept values, as ``citymgr import`` prints them."""
    lines: list[str] = []
    for title, counts in ((msg("fields updated:"), updated),
                          (msg("project's values kept (changed in the project since the "
                               "previous delivery, which has not changed them):"),
                           kept_edited),
                          (msg("changed both in the project and in the delivery since the "
                               "previous delivery:"), conflicts)):
        if counts:
            lines.append("  " + words(title.render(lang), ", ".join(
                f"{f} {n}" for f, n in counts.most_common())))
    for k in kept[:limit]:
        taken = msg("project's value kept") if k.taken == "project" else \
            msg("delivery's value taken")
        lines.append("    " + msg("{code} (id {source_id}) {field}: project {project}, "
                                  "delivery {delivery}, previous delivery {previous}: {taken}",
                                  code=k.obj_code, source_id=k.source_id, field=k.field,
                                  project=value_text(k.project), delivery=value_text(k.delivery),
                                  previous=value_text(k.previous), taken=taken).render(lang))
    if len(kept) > limit or len(kept) < kept_edited.total() + conflicts.total():
        more = kept_edited.total() + conflicts.total() - min(len(kept), limit)
        lines.append("    " + msg("… and {more} more (--report lists up to {most})", more=more,
                                  most=MAX_KEPT).render(lang))
    return lines
