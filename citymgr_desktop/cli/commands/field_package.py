"""``citymgr field-package FILE --out PKG.gpkg``: check out a field package for QField/QGIS."""

from __future__ import annotations

import argparse
import sys

from citymgr_desktop.cli.commands._common import (
    acting_user,
    add_json,
    add_lang,
    add_list,
    add_overwrite,
    add_user,
    cli_language,
    print_json,
    terminal_progress,
)

ASSET_LAYERS = ("road_segment", "bridge", "green_space", "litter_bin")

ORDER = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "field-package", help="write a field package (GeoPackage + .qgz) for QField/QGIS",
        description="Check out part of the district for field work: a self-contained "
        "GeoPackage with the chosen assets, their recent maintenance history, domains, styles "
        "and QGIS project, and a .qgz beside it for QField. The master remembers exactly what "
        "went out (a frozen base copy in FILE.sync/), so 'citymgr sync' can merge the edits "
        "back later.")
    p.add_argument("file", help="the master project (.gpkg, or a postgresql:// URL or "
                   "service=NAME)")
    p.add_argument("--out", required=True, help="the package to write (.gpkg; a .qgz is "
                   "written beside it)")
    area = p.add_mutually_exclusive_group()
    area.add_argument("--district", help="only assets of this sub-district (街道)")
    area.add_argument("--bbox", help="only assets meeting minx,miny,maxx,maxy (project CRS)")
    add_list(p, "--layers", metavar="LAYER", help=f"asset layers (default all: "
             f"{','.join(ASSET_LAYERS)})")
    add_user(p, "the surveyor who takes the package out (updated_by of their edits; "
             "default: your login)", old=("--surveyor",))
    p.add_argument("--history-years", type=int, default=3,
                   help="maintenance records of the last N years go along (default 3, 0: none)")
    p.add_argument("--all-history", action="store_true", help="take the whole history along")
    p.add_argument("--basemap", metavar="URL",
                   help="tile URL template or wmts: location to take offline (default: the "
                   "project's first tile or WMTS base map, when --basemap-zoom is given)")
    p.add_argument("--basemap-zoom", type=int, metavar="Z",
                   help="write the base map of the package's extent up to zoom Z (a WMTS: its "
                   "tile matrices down to zoom Z's detail) as an MBTiles (a WMTS: GeoPackage "
                   "tiles in its CRS) beside the package, listed in its .qgz (the size is "
                   "estimated first)")
    add_overwrite(p)
    add_json(p)
    add_lang(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.core.store.postgis import is_database_target
    from citymgr_desktop.core.sync.checkout import create_package, parse_bbox

    layers = args.layers or None
    bbox = parse_bbox(args.bbox) if args.bbox else None
    database = is_database_target(args.file)
    offline = _offline_layer(args) if not database else None
    options = dict(district=args.district, bbox=bbox, layers=layers,
                   surveyor=acting_user(args.user), user=acting_user(args.user),
                   overwrite=args.overwrite,
                   history_years=None if args.all_history else args.history_years,
                   progress=terminal_progress("field-package"))
    if database:
        result = _from_database(args, options)
    else:
        with Store.open(args.file) as store:
            result = create_package(store, args.out, **options)
    if args.json:
        if not database:
            _map_layers(args, result, offline, sys.stderr)
        print_json(result.to_json())
        return 0
    lang = cli_language()
    for line in written_lines(result, lang):
        print(line)
    if not database:
        _map_layers(args, result, offline)
    return 0


def written_lines(result, lang: str) -> list[str]:
    """What a check-out wrote, for a person, in ``lang``."""
    from citymgr_desktop.core.messages import is_chinese, msg
    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.core.sync.package import area_text

    assets = sum(v for k, v in result.counts.items() if k in ASSET_LAYERS)
    names = {k: sc.TABLES_BY_NAME[k].zh if is_chinese(lang) and k in sc.TABLES_BY_NAME else k
             for k in result.counts}  # English as it always was: the table names
    per_layer = ("、" if is_chinese(lang) else ", ").join(
        f"{names[k]} {v:,}" for k, v in result.counts.items() if v)
    out = [msg("wrote {path} and {qgz}: {assets:,} assets ({per_layer}), {area}, in "
               "{seconds:.1f} s", path=result.path, qgz=result.qgz.name, assets=assets,
               per_layer=per_layer, area=area_text(result.area),
               seconds=result.seconds).render(lang),
           "  " + msg("package id {package_uuid}; base copy {base}",
                      package_uuid=result.package_uuid, base=result.base).render(lang)]
    if result.photos:
        out.append("  " + msg("{count:,} photo(s) and document(s) in {folder}",
                              count=result.photos, folder=result.path.parent / "DCIM"
                              ).render(lang))
    out += ["  " + msg("note: {note}", note=note).render(lang) for note in result.notes]
    return out


def _from_database(args: argparse.Namespace, options: dict):
    """The package of a project database (its base kept in the database)."""
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.store.postgis import PostgisStore
    from citymgr_desktop.core.sync.database_checkout import create_database_package

    if args.basemap_zoom is not None or args.basemap:
        raise ValidationError("--basemap-zoom: an offline base map is not taken from a "
                              "database yet; check out without it")
    with PostgisStore.open(args.file) as db:
        return create_database_package(db, args.out, **options)


def _offline_layer(args: argparse.Namespace) -> object | None:
    """The base map to take offline (checked before the package is written)."""
    if args.basemap_zoom is None:
        if args.basemap:
            from citymgr_desktop.core.errors import ValidationError

            raise ValidationError("--basemap goes with --basemap-zoom Z (the deepest zoom to "
                                  "take offline)")
        return None
    from citymgr_desktop.core.basemaps import make_layer, project_layers
    from citymgr_desktop.core.errors import ValidationError
    from citymgr_desktop.core.store import Store

    if args.basemap:
        layer = make_layer(args.basemap)
    else:
        with Store.open(args.file, read_only=True) as store:
            layer = next((la for la in project_layers(store)
                          if la.kind in ("xyz", "wmts") and la.visible), None)
        if layer is None:
            raise ValidationError("{file} keeps no tile base map; give --basemap URL",
                                  file=args.file)
    if layer.kind not in ("xyz", "wmts"):
        raise ValidationError("--basemap {location}: only a tile URL template or a WMTS is "
                              "taken offline (an MBTiles or GeoTIFF can be copied beside the "
                              "package)", location=layer.location)
    return layer


def _map_layers(args: argparse.Namespace, result, offline, stream=None) -> None:
    """The package's offline base map (with --basemap-zoom) and the project's reference
    vectors cut to its extent, beside it and listed in its .qgz (lines go to ``stream``:
    stderr with --json)."""
    from pathlib import Path

    from citymgr_desktop.core.basemaps import project_layers
    from citymgr_desktop.core.basemaps.offline import export_reference_vectors
    from citymgr_desktop.core.messages import joined, msg
    from citymgr_desktop.core.qgis.project import add_map_layers_to_qgz
    from citymgr_desktop.core.store import Store

    with Store.open(args.file, read_only=True) as master:
        vectors = [la for la in project_layers(master) if la.kind == "vector" and la.visible]
    with Store.open(result.path, read_only=True) as package:
        found = package.asset_extent(list(result.layers))
        crs_wkt = package.project_crs().to_wkt()
    if found is None or not (offline or vectors):
        return
    rows = []
    if offline:
        rows.append(_offline_basemap(args, result, offline, found[0], crs_wkt, stream))
    if vectors:
        out = result.path.with_name(f"{result.path.stem}_reference.gpkg")
        counts = export_reference_vectors(vectors, Path(args.file).parent, found[0], crs_wkt,
                                          out)
        rows += [{"name": la.name, "kind": "vector", "location":
                  f"{out.name}|layername={la.name}", "position": "over",
                  "opacity": la.opacity, "visible": 1, "crs_wkt": crs_wkt} for la in vectors]
        print("  " + msg("wrote {name}: reference layers {layers}", name=out.name,
                         layers=joined(f"{k} {v:,}" for k, v in counts.items()))
              .render(cli_language()), file=stream)
    add_map_layers_to_qgz(result.qgz, rows)


def _offline_basemap(args: argparse.Namespace, result, layer, extent, crs_wkt: str,
                     stream=None) -> dict:
    """Estimate, fetch and write the package's base map (MBTiles for XYZ tiles, GeoPackage
    tiles in the set's CRS for a WMTS); its row for the .qgz."""
    from citymgr_desktop.core.basemaps import TileFetcher
    from citymgr_desktop.core.basemaps.offline import (
        plan_tiles,
        plan_wmts_tiles,
        write_gpkg_tiles,
        write_mbtiles,
    )
    from citymgr_desktop.core.messages import msg

    source = None
    if layer.kind == "wmts":
        from citymgr_desktop.core.basemaps.wmts import wmts_source

        source = wmts_source(layer.url())
        plan = plan_wmts_tiles(source, extent, crs_wkt, args.basemap_zoom)
        levels = msg("tile matrices {first}-{last}",
                     first=source.matrices[min(plan.ranges)].identifier,
                     last=source.matrices[max(plan.ranges)].identifier)
        out = result.path.with_name(f"{result.path.stem}_basemap.gpkg")
    else:
        plan = plan_tiles(extent, crs_wkt, args.basemap_zoom)
        levels = msg("zoom {first}-{last}", first=min(plan.ranges), last=max(plan.ranges))
        out = result.path.with_name(f"{result.path.stem}_basemap.mbtiles")
    lang = cli_language()
    print("  " + msg("base map: {count:,} tiles ({levels}), about {mb:.1f} MB",
                     count=plan.count, levels=levels, mb=plan.estimated_bytes / 1e6)
          .render(lang), flush=True, file=stream)
    fetcher = TileFetcher()
    try:
        if source is not None:
            report = write_gpkg_tiles(layer, source, plan, out, fetcher,
                                      terminal_progress("base map"))
        else:
            report = write_mbtiles(layer, plan, out, fetcher, terminal_progress("base map"))
    finally:
        fetcher.close()
    size = out.stat().st_size / 1e6
    print("  " + msg("wrote {name}: {tiles:,} tiles, {mb:.1f} MB; listed in {qgz}",
                     name=out.name, tiles=plan.count - report.failed, mb=size,
                     qgz=result.qgz.name).render(lang), file=stream)
    if report.failed:
        print("citymgr: warning: " + msg("base map {name}: {count} tile(s) missing ({reason})",
                                         name=layer.name, count=report.failed,
                                         reason=report.reason()).render(lang),
              file=sys.stderr)
    return {"name": layer.name, "kind": "raster", "location": out.name, "position": "under",
            "opacity": layer.opacity, "visible": 1,
            "crs_wkt": source.crs if source is not None else "EPSG:3857"}
