"""The result of a sync as people and programs read it: counts per layer, each conflict with
its ancestor / master / field values, notes, and where the backup went.

``to_json()`` is the ``--report`` document; ``summary()`` the lines ``citymgr sync`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.sync.merge import ROW, Conflict
from citymgr_desktop.core.sync.values import display

STATUS_TEXT = {
    "applied": "applied",
    "dry-run": "dry run: nothing was written",
    "already-synced": "already synced: nothing was changed",
    "nothing-to-do": "no changes in the package since its last sync: nothing was changed",
}


def conflict_json(c: Conflict) -> dict[str, Any]:
    """A conflict as ``--report`` and ``--json`` show it (values readable: WKT, sizes)."""
    return {
        "conflict_id": c.conflict_uuid, "layer": c.table, "asset_uuid": c.asset_uuid,
        "uuid": c.uuid, "field": c.field, "kind": c.kind,
        "values": {"ancestor": _show(c.field, c.ancestor), "master": _show(c.field, c.master),
                   "field": _show(c.field, c.field_value)},
        "resolution": c.resolution or "open", "message": c.message,
    }


def _show(column: str, value: Any) -> Any:
    if column == ROW and isinstance(value, dict):
        return {k: display(k, v, 200) for k, v in value.items()}
    return display(column, value)


@dataclass
class SyncReport:
    status: str
    master: str
    package: str
    package_uuid: str
    package_name: str = ""
    surveyor: str | None = None
    sync_id: str | None = None
    sync_uuid: str | None = None
    based_on: str = "check-out"
    prefer: str | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backup: str | None = None
    integrity: str | None = None
    journal_entries: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    photos: dict[str, Any] = field(default_factory=dict)  # photos.PhotoReport.to_json()

    @property
    def open_conflicts(self) -> int:
        return sum(1 for c in self.conflicts if c.resolution is None)

    def totals(self) -> dict[str, int]:
        out = {"insert": 0, "update": 0, "delete": 0, "retire": 0, "conflict": 0}
        for layer in self.counts.values():
            for k, v in layer.items():
                out[k] = out.get(k, 0) + v
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "sync_id": self.sync_id, "status": self.status, "master": self.master,
            "package": self.package, "package_id": self.package_uuid,
            "package_name": self.package_name, "surveyor": self.surveyor,
            "based_on": self.based_on, "prefer": self.prefer, "counts": self.counts,
            "totals": self.totals(), "open_conflicts": self.open_conflicts,
            "conflicts": [conflict_json(c) for c in self.conflicts], "notes": self.notes,
            "backup": self.backup, "integrity_check": self.integrity,
            "journal_entries": self.journal_entries, "photos": self.photos,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def summary(self) -> list[str]:
        lines = [f"sync {self.sync_id or '-'}: {STATUS_TEXT.get(self.status, self.status)}",
                 f"  package {self.package_name or self.package} ({self.package_uuid}), "
                 f"surveyor {self.surveyor or '-'}, based on {self.based_on}"]
        if self.counts:
            lines.append(f"  {'layer':<20}{'insert':>8}{'update':>8}{'delete':>8}"
                         f"{'retire':>8}{'conflict':>10}")
            for layer, n in self.counts.items():
                lines.append(f"  {layer:<20}{n['insert']:>8}{n['update']:>8}{n['delete']:>8}"
                             f"{n['retire']:>8}{n['conflict']:>10}")
        for c in self.conflicts[:20]:
            state = (c.resolution and f"-> {c.resolution}") or "OPEN"
            if c.field == ROW:
                lines.append(f"  conflict {state}: {c.layer} {c.uuid} ({c.kind}): {c.message}")
            else:
                why = f" ({c.message})" if c.kind in ("invalid", "orphan", "rejected") else ""
                lines.append(f"  conflict {state}: {c.layer} {c.uuid} {c.field} ({c.kind}): "
                             f"ancestor {_short(_show(c.field, c.ancestor))}, "
                             f"master {_short(_show(c.field, c.master))}, "
                             f"field {_short(_show(c.field, c.field_value))}{why}")
        if len(self.conflicts) > 20:
            lines.append(f"  ... and {len(self.conflicts) - 20} more conflicts (see --report)")
        lines += self._photo_lines()
        lines += [f"  note: {n}" for n in self.notes[:20]]
        if len(self.notes) > 20:
            lines.append(f"  ... and {len(self.notes) - 20} more notes (see --report)")
        if self.open_conflicts:
            lines.append(f"  {self.open_conflicts} conflict(s) left open: the master kept its "
                         "values; resolve them in the app or sync again with --prefer")
        if self.backup:
            lines.append(f"  backup: {self.backup}")
        return lines


    def _photo_lines(self) -> list[str]:
        p = self.photos
        if not p:
            return []
        verb = "would read" if self.status == "dry-run" else "read"
        return [f"  photos: {verb} {p['loaded']} ({p['bytes'] / 1e6:.1f} MB), "
                f"{p['already_stored']} already stored, {len(p['problems'])} not read "
                "(see the notes)"]


def _short(value: Any, n: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"
