"""Find an asset or a sub-district by what a person types in the locate box: a component code
(all 16 digits, or its beginning), part of a name, a source id (the id an imported file gave
the asset, such as a colleague's ``HW-LD-0002``, or its beginning) or a 街道 (sub-district)
name. Unsaved edits count (a new bin is found by its name, a deleted one is not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:
    from citymgr_desktop.core.editing.view import SessionView
    from citymgr_desktop.core.store import Store


@dataclass(frozen=True)
class Found:
    """One answer: an asset (``layer``, its uuid) or a sub-district (``layer`` None)."""

    kind: str  # "asset" or "district"
    layer: str | None
    key: str  # asset_uuid, or the sub-district's name
    label: str  # what the list shows: code and name, or the sub-district


def locate(store: Store, text: str, view: SessionView | None = None,
           limit: int = 20) -> list[Found]:
    """Sub-districts first (exact, then containing ``text``), then assets whose code is or
    starts with ``text``, whose name contains it or whose source id is or starts with it, at
    most ``limit`` in all. A text that is an asset's whole code or source id means that
    asset (those alone are answered)."""
    text = text.strip()
    if not text:
        return []
    out: list[Found] = []
    for name in store.districts():
        if text == name or (len(text) >= 2 and text in name):
            out.append(Found("district", None, name, name))
    pending = view.pending if view is not None else None
    exact: list[Found] = []
    for t in sc.ASSET_TABLES:
        touched = {d.uuid for d in pending.for_table(t.name)} if pending else set()
        rows = store.find_assets(t.name, text, limit)
        found = {u: (code or "", name or "", source or "") for u, code, name, source in rows
                 if u not in touched}
        if view is not None and touched:
            now = view.rows(t.name, list(touched), ["obj_code", "name", "source_id",
                                                    "retired_at"])
            for u, row in now.items():
                values = (row.get("obj_code") or "", row.get("name") or "",
                          row.get("source_id") or "")
                if row.get("retired_at") is None and _matches(text, *values):
                    found[u] = values
        for u, (code, name, source) in found.items():
            label = f"{code} {name}".strip()
            if source and source.lower().startswith(text.lower()):
                label = f"{label} ({source})"  # why it was found: the id the user typed
            f = Found("asset", t.name, u, label)
            out.append(f)
            if text in (code, source):
                exact.append(f)
    if exact:  # a whole code or source id names one asset: nothing else is meant
        return exact
    return out[:limit]


def _matches(text: str, code: str, name: str, source: str) -> bool:
    """The stores' ``find_assets`` question, asked of an asset's unsaved values."""
    return (code == text or (text.isdigit() and code.startswith(text)) or text in name
            or source.lower().startswith(text.lower()))


def locate_assets(store: Store, text: str, limit: int = 20) -> list[dict[str, str | None]]:
    """The asset whose uuid ``text`` is, else the assets ``locate`` finds for it (by code, name
    or source id; sub-districts left out), each with its ``layer``,
    ``asset_uuid``, ``obj_code``, ``name`` and ``district`` (街道)."""
    text = text.strip()
    layer = store.asset_layer_of(text)  # a uuid: retired or not (its history)
    found = [Found("asset", layer, text, "")] if layer is not None else []
    if not found:  # codes and names: the store's question (a file's or a database's)
        found = [f for f in locate(store, text, limit=limit) if f.kind == "asset"]
    out: list[dict[str, str | None]] = []
    for f in found:
        assert f.layer is not None
        row = store.get_rows(f.layer, [f.key], ["obj_code", "name", "district"]).get(f.key, {})
        out.append({"layer": f.layer, "asset_uuid": f.key, "obj_code": row.get("obj_code"),
                    "name": row.get("name"), "district": row.get("district")})
    return out


def resolve_asset(store: Store, text: str) -> tuple[str, str]:
    """The ``(layer, asset_uuid)`` a person means by ``text``: an asset uuid, an object code
    (all 16 digits, or a beginning only one asset has), a source id or a name only one asset
    has.
    Nothing found is a NotFoundError; several answers are a ValidationError naming a few."""
    found = locate_assets(store, text, limit=6)
    if not found:
        raise NotFoundError("no asset with uuid or code {text}", text=text)
    if len(found) > 1:
        shown = [str(f["obj_code"] or f["asset_uuid"]) for f in found[:5]]
        raise ValidationError("{text} names several assets ({codes}); give the full code "
                              "or the uuid", text=text, codes=", ".join(shown))
    return str(found[0]["layer"]), str(found[0]["asset_uuid"])
