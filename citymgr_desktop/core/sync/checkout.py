"""Check-out: write a field package for QField / QGIS / Mergin Maps and remember what went out.

A package is a self-contained GeoPackage in the project schema with the chosen assets (by
sub-district or bounding box, per layer), their recent maintenance history and attachments,
the domains, styles and the embedded QGIS project, plus a ``.qgz`` beside it (QField opens
that) and the photos as files in ``DCIM/`` (``photo_files.py``). The master records the package (id, area, layers, schema signature) in
``field_package`` and keeps a frozen copy of exactly what went out in
``<master>.sync/packages/<id>/base.gpkg``: the ancestor of the three-way merge at check-in.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.clock import new_uuid, now_iso
from citymgr_desktop.core.errors import BadFileError, NotFoundError, ReadOnlyError, ValidationError
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.package import (
    Selection,
    build,
    copy_whole,
    history_since,
    manifest,
    project_variables,
)
from citymgr_desktop.core.sync.photo_files import write_photo_files
from citymgr_desktop.core.sync.schema import ensure_tables, has_tables, signature, signature_hash

ASSET_LAYERS = tuple(t.name for t in sc.ASSET_TABLES)
BASE_NAME = "base.gpkg"


@dataclass
class PackageResult:
    package_uuid: str
    path: Path
    qgz: Path
    base: Path | str  # the frozen copy beside the master (a database keeps it: its name)
    area: str
    layers: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    photos: int = 0  # attachment files in the package folder (written or already there)
    notes: list[Text] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"package_id": self.package_uuid, "package": str(self.path),
                "qgis_project": str(self.qgz), "base": str(self.base), "area": self.area,
                "layers": self.layers, "counts": self.counts, "photos": self.photos,
                "notes": [str(n) for n in self.notes], "seconds": round(self.seconds, 3)}


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` in the project CRS."""
    try:
        parts = [float(p) for p in text.replace(" ", "").split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise ValidationError("--bbox needs four numbers minx,miny,maxx,maxy; got {text!r}",
                              text=text)
    minx, miny, maxx, maxy = parts
    if not (minx < maxx and miny < maxy):
        raise ValidationError("--bbox {text}: min must be below max (minx,miny,maxx,maxy)",
                              text=text)
    return minx, miny, maxx, maxy


def check_layers(layers: list[str] | None) -> tuple[str, ...]:
    if not layers:
        return ASSET_LAYERS
    bad = [x for x in layers if x not in ASSET_LAYERS]
    if bad:
        raise NotFoundError("--layers: {bad} is not an asset layer; allowed: {layers}",
                            bad=', '.join(bad), layers=', '.join(ASSET_LAYERS))
    return tuple(x for x in ASSET_LAYERS if x in layers)


def create_package(store: Store, out: str | os.PathLike[str], *, district: str | None = None,
                   bbox: tuple[float, float, float, float] | None = None,
                   layers: list[str] | None = None, surveyor: str = "", user: str = "",
                   history_years: int | None = 3, overwrite: bool = False,
                   progress: Progress | None = None) -> PackageResult:
    """Write a field package to ``out`` and register it in the master (see module doc).

    ``history_years``: maintenance records of the last N years go along (0: none, None: all).
    """
    t0 = time.perf_counter()
    prog = ensure(progress)
    store.require_asset_project()
    if store.read_only:
        raise ReadOnlyError("{path} is open read-only; checking out records the package in it",
                            path=store.path)
    target = Path(out)
    if target.suffix.lower() != ".gpkg":
        raise ValidationError("--out must be a .gpkg file, got {target}", target=target.name)
    if target.resolve() == store.path.resolve():
        raise ValidationError("the package cannot be the master file itself")
    if target.exists() and not overwrite:
        raise BadFileError("{target} already exists; choose another name or use --overwrite",
                           target=target)
    if district and bbox:
        raise ValidationError("choose either --district or --bbox, not both")
    if district and district not in store.districts():
        raise ValidationError("--district {district!r} is not in the file; sub-districts: "
                              "{districts}",
                              district=district, districts=', '.join(store.districts()) or 'none')
    if history_years is not None and history_years < 0:
        raise ValidationError("--history-years must be 0 or more")
    sel = Selection(check_layers(layers), district, bbox,
                    history_since(history_years) if history_years else None,
                    all_history=history_years is None)
    if not has_tables(store.conn):  # a file made before sync: the copy below needs them
        with store.session():
            ensure_tables(store.conn)
    package_uuid = new_uuid()
    created = now_iso()
    sig = signature(store.conn, "main")
    meta = manifest(package_uuid, store.path, surveyor, sel, signature_hash(sig), created)
    folder = reg.package_dir(store.path, package_uuid)
    base = folder / BASE_NAME
    try:
        with atomic_path(target) as tmp:
            if sel.whole_file:
                counts = copy_whole(tmp, store.conn, store.path, target.name, sel, meta, prog)
            else:
                counts = build(tmp, store.path, target.name, sel, store.project_crs(),
                               store.district_code, meta, prog)
            folder.mkdir(parents=True, exist_ok=True)
            reg.copy_file(tmp, base)
            _register(store, package_uuid, target, surveyor, user, sel, sig, counts, created)
    except BaseException:
        reg.discard(base)
        with contextlib.suppress(OSError):
            folder.rmdir()
        raise
    qgz = target.with_suffix(".qgz")
    qgis_project.write_qgz(target, qgz, layers=[*sel.layers, "maintenance_record"],
                           variables=project_variables(meta, district))
    photos = write_photo_files(store, target, prog)
    prog.update(1, 1, msg("done"))
    return PackageResult(package_uuid, target, qgz, base, sel.describe(), list(sel.layers),
                         counts, time.perf_counter() - t0, photos.written + photos.present,
                         photos.notes)


def _register(store: Store, package_uuid: str, target: Path, surveyor: str, user: str,
              sel: Selection, sig: dict, counts: dict[str, int], created: str) -> None:
    assets = sum(v for k, v in counts.items() if k in ASSET_LAYERS)
    rec = reg.PackageRecord(
        package_uuid=package_uuid, name=target.name, surveyor=surveyor or None,
        area=sel.describe(), layers=list(sel.layers), schema_hash=signature_hash(sig),
        schema_columns=sig, base_file=BASE_NAME, feature_count=assets,
        record_count=counts.get("maintenance_record", 0), created_at=created,
        created_by=user or None)
    with store.session() as conn:
        ensure_tables(conn)  # indexes an older file lacks: in the same, single write
        reg.insert_package(conn, rec)
