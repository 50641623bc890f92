"""The result of a sync as people and programs read it: counts per layer, each conflict with
its ancestor / master / field values, notes, and where the backup went.

``to_json()`` is the ``--report`` document (English); ``summary(lang)`` the lines ``citymgr
sync`` prints. Notes and conflict messages are Messages, shown in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.messages import Text, msg, render
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.neighbours import NEIGHBOUR_RADIUS
from citymgr_desktop.core.sync.merge import ROW, Conflict
from citymgr_desktop.core.sync.values import display

STATUS_TEXT = {
    "applied": msg("applied"),
    "dry-run": msg("dry run: nothing was written"),
    "already-synced": msg("already synced: nothing was changed"),
    "nothing-to-do": msg("no changes in the package since its last sync: nothing was changed"),
}


def conflict_json(c: Conflict) -> dict[str, Any]:
    """A conflict as ``--report`` and ``--json`` show it (values readable: WKT, sizes)."""
    return {
        "conflict_id": c.conflict_uuid, "layer": c.table, "asset_uuid": c.asset_uuid,
        "uuid": c.uuid, "field": c.field, "kind": c.kind,
        "values": {"ancestor": _show(c.field, c.ancestor), "master": _show(c.field, c.master),
                   "field": _show(c.field, c.field_value)},
        "resolution": c.resolution or "open", "message": str(c.message),
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
    notes: list[Text] = field(default_factory=list)
    # assets the sync takes out of the master, (layer, uuid, "delete" | "retire"): deleted
    # in the field, removed (no history) or retired (with history); the preview names them
    removed: list[tuple[str, str, str]] = field(default_factory=list)
    backup: str | None = None
    integrity: str | None = None
    journal_entries: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    photos: dict[str, Any] = field(default_factory=dict)  # photos.PhotoReport.to_json()
    # new assets' empty 街道/单元网格 taken from the nearest asset: {"district": n, "bgid": n}
    filled: dict[str, int] = field(default_factory=dict)

    @property
    def open_conflicts(self) -> int:
        return sum(1 for c in self.conflicts if c.resolution is None)

    def totals(self) -> dict[str, int]:
        out = {"insert": 0, "update": 0, "delete": 0, "retire": 0, "conflict": 0}
        for layer in self.counts.values():
            for k, v in layer.items():
                out[k] = out.get(k, 0) + v
        return out

    def add_filled(self, filled: dict[str, int]) -> None:
        """Count (and note) the new assets' 街道/单元网格 filled from the nearest asset
        (``sync/location.py``)."""
        for f, n in filled.items():
            self.filled[f] = self.filled.get(f, 0) + n
        if filled:
            self.notes.append(msg(
                "new assets left without a sub-district or grid code took them from the nearest "
                "asset (within {metres:g} m): sub-district filled on {district}, grid code on "
                "{bgid}", metres=NEIGHBOUR_RADIUS, district=filled.get("district", 0),
                bgid=filled.get("bgid", 0)))

    def to_json(self) -> dict[str, Any]:
        return {
            "sync_id": self.sync_id, "status": self.status, "master": self.master,
            "package": self.package, "package_id": self.package_uuid,
            "package_name": self.package_name, "surveyor": self.surveyor,
            "based_on": self.based_on, "prefer": self.prefer, "counts": self.counts,
            "totals": self.totals(), "open_conflicts": self.open_conflicts,
            "conflicts": [conflict_json(c) for c in self.conflicts],
            "notes": [str(n) for n in self.notes],
            "removed": [{"layer": t, "uuid": u, "action": a} for t, u, a in self.removed],
            "backup": self.backup, "integrity_check": self.integrity,
            "journal_entries": self.journal_entries, "photos": self.photos,
            "filled_from_nearest": dict(self.filled),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def summary(self, lang: str = "en", names: dict[tuple[str, str], str] | None = None
                ) -> list[str]:
        """The lines ``citymgr sync`` prints, in ``lang``; a conflict names its row by
        ``names`` (``names.conflict_names``: object code and name, as the window does), else
        by its uuid."""
        status = render(STATUS_TEXT.get(self.status, self.status), lang)
        lines = [msg("sync {sync_id}: {status}", sync_id=self.sync_id or "-",
                     status=status).render(lang),
                 "  " + msg("package {package} ({package_uuid}), surveyor {surveyor}, based on "
                            "{based_on}", package=self.package_name or self.package,
                            package_uuid=self.package_uuid, surveyor=self.surveyor or "-",
                            based_on=self.based_on).render(lang)]
        if self.counts:
            lines.append(f"  {'layer':<20}{'insert':>8}{'update':>8}{'delete':>8}"
                         f"{'retire':>8}{'conflict':>10}")
            for layer, n in self.counts.items():
                lines.append(f"  {layer:<20}{n['insert']:>8}{n['update']:>8}{n['delete']:>8}"
                             f"{n['retire']:>8}{n['conflict']:>10}")
        for c in self.conflicts[:20]:
            args = {"state": (c.resolution and f"-> {c.resolution}") or "OPEN",
                    "layer": c.layer, "asset": (names or {}).get((c.table, c.uuid)) or c.uuid,
                    "field": c.field, "kind": c.kind,
                    "message": c.message, "ancestor": _short(_show(c.field, c.ancestor)),
                    "master": _short(_show(c.field, c.master)),
                    "field_value": _short(_show(c.field, c.field_value))}
            if c.field == ROW:
                lines.append("  " + msg("conflict {state}: {layer} {asset} ({kind}): {message}",
                                        **args).render(lang))
            elif c.kind in ("invalid", "orphan", "rejected"):
                lines.append("  " + msg("conflict {state}: {layer} {asset} {field} ({kind}): "
                                        "ancestor {ancestor}, master {master}, field "
                                        "{field_value} ({message})", **args).render(lang))
            else:
                lines.append("  " + msg("conflict {state}: {layer} {asset} {field} ({kind}): "
                                        "ancestor {ancestor}, master {master}, field "
                                        "{field_value}", **args).render(lang))
        if len(self.conflicts) > 20:
            lines.append("  " + msg("... and {more} more conflicts (see --report)",
                                    more=len(self.conflicts) - 20).render(lang))
        lines += self._photo_lines(lang)
        lines += ["  " + msg("note: {note}", note=n).render(lang) for n in self.notes[:20]]
        if len(self.notes) > 20:
            lines.append("  " + msg("... and {more} more notes (see --report)",
                                    more=len(self.notes) - 20).render(lang))
        if self.open_conflicts:
            lines.append("  " + msg("{count} conflict(s) left open: the master kept its values; "
                                    "resolve them in the app or sync again with --prefer",
                                    count=self.open_conflicts).render(lang))
        if self.backup:
            lines.append("  " + msg("backup: {path}", path=self.backup).render(lang))
        return lines

    def _photo_lines(self, lang: str = "en") -> list[str]:
        p = self.photos
        if not p:
            return []
        args = {"loaded": p["loaded"], "mb": p["bytes"] / 1e6, "stored": p["already_stored"],
                "problems": len(p["problems"])}
        if self.status == "dry-run":
            return ["  " + msg("photos: would read {loaded} ({mb:.1f} MB), {stored} already "
                               "stored, {problems} not read (see the notes)", **args).render(lang)]
        return ["  " + msg("photos: read {loaded} ({mb:.1f} MB), {stored} already stored, "
                           "{problems} not read (see the notes)", **args).render(lang)]


def _short(value: Any, n: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def removed_assets(changes: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The (layer, uuid, action) of ``changes`` that take an asset out of the master."""
    return [(t, u, a) for t, u, a in changes
            if a in ("delete", "retire") and t in sc.ASSET_TABLES_BY_NAME]
