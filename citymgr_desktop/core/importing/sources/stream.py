"""Read a GDAL source layer in batches, so an import holds one batch at a time.

:func:`read_batches` yields the layer as :class:`SourceData` pieces of at most
``batch_size`` features through GDAL's own Arrow stream (``pyogrio.open_arrow``): memory
follows the batch, not the source. :func:`layer_bounds` gives the extent of the whole
(filtered) layer up front, which the CRS plan needs before the first batch is prepared.
Tables (CSV/XLSX), OpenStreetMap (its tags become fields per layer) and Shapefiles whose
field names GDAL cannot decode are read whole by :func:`read_source` and come as one batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.importing.sources.arrow import gdal_source_data
from citymgr_desktop.core.importing.sources.base import SourceData, SourceOptions
from citymgr_desktop.core.importing.sources.gdal import pyogrio
from citymgr_desktop.core.importing.sources.reader import (
    _driver,
    _encoding,
    _short,
    apply_crs_options,
    check_source_path,
    is_table,
    read_source,
    resolve_layer,
    source_fault,
)

BATCH_FEATURES = 20_000  # features per batch: ~30 MB of a typical layer in flight
_WHOLE_SUFFIXES = {".osm", ".pbf"}


def feature_count(path: str | Path, options: SourceOptions) -> int:
    """How many features the layer has (-1 when GDAL cannot tell cheaply), for progress."""
    p = check_source_path(path)
    if is_table(p) or p.suffix.lower() in _WHOLE_SUFFIXES:
        return -1
    try:
        layer = resolve_layer(p, options.layer)
        return int(pyogrio.read_info(p, layer=layer)["features"])
    except Exception:  # informational only; reading says what is wrong
        return -1


def read_batches(path: str | Path, options: SourceOptions | None = None,
                 batch_size: int = BATCH_FEATURES) -> Iterator[SourceData]:
    """The layer of ``path`` in batches (see the module docstring); the first batch's
    ``layer`` carries the notes about the whole layer (encoding, GDAL's warnings)."""
    opts = options or SourceOptions()
    p = check_source_path(path)
    if is_table(p) or p.suffix.lower() in _WHOLE_SUFFIXES:
        yield read_source(p, opts)
        return
    layer = resolve_layer(p, opts.layer)
    encoding = _encoding(p, opts)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source = pyogrio.open_arrow(p, layer=layer, where=opts.where or None,
                                        encoding=encoding, return_fids=True, use_pyarrow=True,
                                        batch_size=batch_size)
            meta, reader = source.__enter__()
    except Exception:  # undecodable names, a bad filter, a damaged file: the whole read
        yield read_source(p, opts)  # says it (or copes) exactly as before
        return
    import pyarrow as pa

    driver = _driver(p, layer)
    said: set[str] = set()
    first_row = 0
    try:
        while True:
            with warnings.catch_warnings(record=True) as more:
                warnings.simplefilter("always")
                try:
                    batch = next(reader, None)
                except Exception as exc:  # damaged further in than the header
                    raise source_fault(p, exc) or BadFileError(
                        "{path}: cannot be read ({kind}: {reason})",
                        path=p, kind=type(exc).__name__, reason=_short(exc)) from None
            caught.extend(more)
            if batch is None:
                break
            if batch.num_rows == 0:
                continue
            news = [w for w in dict.fromkeys(str(c.message) for c in caught) if w not in said]
            said.update(news)
            data = gdal_source_data(p, layer, opts, meta, pa.Table.from_batches([batch]),
                                    encoding if first_row == 0 else opts.encoding,
                                    [], news, driver, first_row)
            apply_crs_options(data, opts)
            first_row += batch.num_rows
            yield data
    finally:
        source.__exit__(None, None, None)
    if first_row == 0:  # nothing passed the filter: one empty batch, as the whole read gives
        yield read_source(p, opts)


def layer_bounds(path: str | Path, options: SourceOptions) -> np.ndarray | None:
    """(minx, miny, maxx, maxy) of every feature the import reads, in the source CRS; None
    when there are none. GDAL's layer extent without a filter, else the features' own."""
    p = check_source_path(path)
    layer = resolve_layer(p, options.layer)
    if not options.where:
        info = pyogrio.read_info(p, layer=layer, force_total_bounds=True)
        box = info.get("total_bounds")
        if box is not None and np.isfinite(np.asarray(box, dtype=float)).all():
            return np.asarray(box, dtype=float)
    _, bounds = pyogrio.read_bounds(p, layer=layer, where=options.where or None)
    if not bounds.shape[1]:
        return None
    ok = np.isfinite(bounds).all(axis=0)
    if not ok.any():
        return None
    b = bounds[:, ok]
    return np.array([b[0].min(), b[1].min(), b[2].max(), b[3].max()])
