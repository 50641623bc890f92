"""``citymgr render FILE --out map.png``: draw the map offscreen with the app's own renderer."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from citymgr_desktop.cli.commands._backdrop import (
    add_backdrop_options,
    backdrop_for,
    warn_missing,
)
from citymgr_desktop.cli.commands._common import (
    add_json,
    add_lang,
    add_list,
    add_overwrite,
    cli_language,
    end_at_once,
    print_json,
    refuse_overwrite,
    without_cycle_collector,
)

ORDER = 40
# Qt's PNG "quality" 60 is zlib level 3 (the default is 6): on a 1920x1080 map about half
# the time to write for a file of about the same size (docs/rendering.md); an opaque map is
# written by export/png.py instead, in half that time again
PNG_QUALITY = 60
FORMATS = {".png": "PNG", ".jpg": "JPG", ".jpeg": "JPG", ".tif": "TIFF", ".tiff": "TIFF",
           ".bmp": "BMP", ".webp": "WEBP"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render", help="draw the map of a GeoPackage to a PNG (offscreen)",
        description="Draw the layers of a GeoPackage to an image with the same renderer as "
        "the desktop map: condition-coloured symbols, road names at large scales. Coordinates "
        "of --bbox are in the map CRS (the project's CRS unless --crs is given).")
    p.add_argument("file", help="a GeoPackage (.gpkg), or a database (postgresql://… or "
                   "service=NAME)")
    p.add_argument("--out", required=True, help="image to write (.png, .jpg, .tif, ...)")
    p.add_argument("--size", default="1600x1200", help="WIDTHxHEIGHT in pixels "
                   "(default 1600x1200)")
    p.add_argument("--bbox", help="minx,miny,maxx,maxy in map CRS units (default: all data)")
    add_list(p, "--layers", metavar="LAYER", several=True,
             help="layers to draw, bottom first")
    p.add_argument("--crs", help="map CRS, e.g. EPSG:4547 (default: the project's CRS)")
    p.add_argument("--dpi", type=float, default=96.0, help="symbol/label size reference "
                   "(default 96; use 300 for print-sized symbols)")
    p.add_argument("--no-labels", action="store_true", help="do not label road names")
    p.add_argument("--no-antialias", action="store_true", help="faster, jagged drawing")
    p.add_argument("--legend", action="store_true",
                   help="print the legend categories visible in the image")
    add_overwrite(p)
    add_json(p)
    add_lang(p, "messages and of the legend printed with --legend (the image itself has no "
             "words but the road names, which are the data's own)")
    p.add_argument("--theme", choices=("condition", "open-cases", "poor-assets"),
                   default="condition", help="condition colours (default), or hot spots "
                   "of open cases / assets in condition 4-5 per grid cell over the map")
    add_backdrop_options(p)
    p.add_argument("--cell", type=float, help="hot-spot cell size in map units (default: "
                   "about 30 cells across the district)")
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int]:
    from citymgr_desktop.core.errors import ValidationError

    try:
        w, h = (int(v) for v in text.lower().replace("*", "x").split("x"))
    except ValueError:
        raise ValidationError("--size {text!r}: expected WIDTHxHEIGHT, e.g. 1600x1200",
                              text=text) from None
    if not (16 <= w <= 20000 and 16 <= h <= 20000):
        raise ValidationError("--size {text!r}: width and height must be 16-20000 pixels",
                              text=text)
    return w, h


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    from citymgr_desktop.core.errors import ValidationError

    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationError("--bbox {text!r}: expected four numbers minx,miny,maxx,maxy",
                              text=text) from None
    if not (minx < maxx and miny < maxy):
        raise ValidationError("--bbox {text!r}: minx must be < maxx and miny < maxy", text=text)
    return minx, miny, maxx, maxy


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from citymgr_desktop.export.qt_start import import_shiboken

    import_shiboken()  # its support package's code from a cache (export/qt_start.py)
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:  # called inside an app (a test): as it is
        return QGuiApplication.instance()
    _without_feature_hook()  # the process is the command's
    # Qt's raster engine hands every fill of 96 spans or more (a translucent park, a halo,
    # a stamped image) to its GUI thread pool and waits for it; for a map's many small
    # shapes the hand-over costs more than it saves: serial, the same pixels, ~20 ms less
    # of a 10k first frame's drawing CPU (docs/rendering.md, *Qt's fill pool off*). Qt
    # reads it once, when its pool is first asked for (it only asks whether it is set)
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    from citymgr_desktop.export.fonts import log_qt_messages

    app = QGuiApplication(["citymgr"])
    log_qt_messages()
    return app


def _without_feature_hook() -> None:
    """Python's own ``import`` back once PySide6 is loaded (~15 ms of CPU for the renderer).

    PySide6 wraps ``import`` for its ``__feature__`` switches (``from __feature__ import
    snake_case``: Qt's names spelled another way, per module): for every module imported
    after it, the wrapper reads the module's source file (``inspect.getsource``) to see
    whether it names PySide6. No module of this command selects a feature, and PySide6 treats
    a module it has not seen like one that selects none, so the wrapper changes nothing here
    but the time. Only the wrapper PySide6 installed is taken off, giving back the import it
    wraps (PySide6's own lazy one).
    """
    import builtins

    wrapped = getattr(builtins, "__orig_import__", None)
    hook = getattr(builtins, "__feature_import__", None)
    if wrapped is not None and hook is not None and builtins.__import__ is hook:
        builtins.__import__ = wrapped


def run(args: argparse.Namespace) -> int:
    # Python's cycle collector ran ~100 times while this command imported its libraries and
    # drew (~25-30 ms of CPU of a 10k render) and found a few hundred objects: it is off
    # for the command (a failing command's traceback cycles go with the process, or with
    # the next collection of a process that called it)
    with without_cycle_collector():
        return _render(args)


def _render(args: argparse.Namespace) -> int:
    from citymgr_desktop.core.errors import BadFileError, NotFoundError, ValidationError

    if args.crs and args.theme != "condition":
        raise ValidationError("--theme {theme} is counted in the project's CRS; leave out "
                              "--crs", theme=args.theme)
    size = parse_size(args.size)
    bbox = parse_bbox(args.bbox) if args.bbox else None
    out = Path(args.out)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValidationError("--out {out}: unknown image type {suffix!r} (use one of {formats})",
                              out=out, suffix=out.suffix, formats=', '.join(sorted(FORMATS)))
    if not out.parent.exists():
        raise BadFileError("--out {out}: folder {folder} does not exist",
                           out=out, folder=out.parent)
    refuse_overwrite(out, args.overwrite)
    layers = args.layers or None
    lang = cli_language()
    # the libraries without Qt first: PySide6 reads the source of every module imported
    # after it (its ``__feature__`` hook, inspect.getsource, until _app() takes it off),
    # ~0.1 s of CPU for these; pyproj is not among them: a map in the file's own CRS needs
    # none (render/loader.py)
    # NumPy's OpenBLAS starts a thread per core at import, for nothing here (no matrix
    # algebra; ~25 ms of CPU of a 10k render); a value the user set is kept
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy  # noqa: F401
    import shapely  # noqa: F401

    from citymgr_desktop.core.atomic import atomic_path
    from citymgr_desktop.core.store import open_store

    app = _app()  # noqa: F841 - keeps the application alive while drawing
    from citymgr_desktop.export import png, verify
    from citymgr_desktop.render import (
        MISSING_FONT_MESSAGE,
        RenderOptions,
        drawable_layers,
        ensure_cjk_font,
        legend_entries,
        load_map,
        render_image,
    )
    from citymgr_desktop.render.view import fit_extent

    t0 = time.perf_counter()
    with open_store(args.file, read_only=True) as store:
        if layers:
            available = drawable_layers(store)
            unknown = [n for n in layers if n not in available]
            if unknown:
                raise NotFoundError("--layers: {unknown} not in {file} (feature layers: "
                                    "{available})",
                                    unknown=', '.join(unknown), file=args.file,
                                    available=', '.join(available))
        # only what the image shows: the box grown to the image's shape
        # an image and nothing more: no asset keys or fids (nothing is selected)
        data = load_map(store, layers=layers, crs=args.crs,
                        bbox=fit_extent(bbox, *size) if bbox else None, identities=False)
        backdrop = backdrop_for(store, args)
        grid = None
        if args.theme != "condition":
            from citymgr_desktop.core.stats import hotspot_grid

            grid = hotspot_grid(store, args.theme.replace("-", "_"), size=args.cell)
    if not args.no_labels and ensure_cjk_font() is None:
        print(f"citymgr: warning: {MISSING_FONT_MESSAGE.render(lang)}", file=sys.stderr)
    extent = bbox or data.extent()
    opts = RenderOptions(antialias=not args.no_antialias, labels=not args.no_labels,
                         dpi=args.dpi, lang=lang, backdrop=backdrop)
    image = render_image(data, extent, size, opts)
    warn_missing(backdrop)
    if grid is not None:
        from citymgr_desktop.render.hotspots import paint_hotspots_on

        paint_hotspots_on(image, grid, extent, args.dpi)
    ours = fmt == "PNG" and png.can_write(image)
    if fmt == "PNG" and not ours:
        # the map is painted on white: an RGB PNG (no alpha channel) is the same pixels,
        # a quarter less to compress and ~10 % smaller (export/png.py writes an opaque
        # image as RGB without this copy)
        from PySide6.QtGui import QImage

        image = image.convertToFormat(QImage.Format.Format_RGB32)
        ours = png.can_write(image)
    with atomic_path(out, verify=verify.image(fmt)) as tmp:
        if ours:
            png.write_png(image, tmp)  # the same pixels in half the time (export/png.py)
        else:
            verify.save_image(image, tmp, fmt, PNG_QUALITY if fmt == "PNG" else -1)
    if backdrop is None:  # (a base map's tile fetcher may still be filling its disk cache)
        end_at_once()  # the image is in place: a process of its own may end at once
    total = sum(layer.count for layer in data.layers)
    seconds = time.perf_counter() - t0
    legend = legend_entries(data, extent, lang=lang) if args.legend else []
    if args.json:
        print_json({"out": str(out), "size": list(size), "features": total,
                    "extent": list(extent), "seconds": round(seconds, 2),
                    "missing_layers": backdrop.missing() if backdrop else [],
                    "legend": [{"layer": e.layer_title, "label": e.label, "colour": e.colour,
                                "count": e.count} for e in legend]})
        return 0
    from citymgr_desktop.core.messages import msg

    print(msg("wrote {path} ({width}x{height}, {features:,} features) in {seconds:.2f} s",
              path=out, width=size[0], height=size[1], features=total,
              seconds=seconds).render(lang))
    for e in legend:
        print(f"  {e.layer_title:<16} {e.label or '-':<12} {e.colour}  {e.count:>9,}")
    return 0
