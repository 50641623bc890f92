"""Reference vector layers (Shapefile, GeoJSON, DXF, another GeoPackage): read through
pyogrio for a view's extent and brought into the project CRS, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citymgr_desktop.core.basemaps.layers import MapLayer, file_crs
from citymgr_desktop.core.errors import BadFileError


@dataclass(frozen=True)
class ReferenceFeatures:
    """Shapely geometries in the map CRS and their labels (``None`` without a label field)."""

    geometries: np.ndarray
    labels: list[str] | None


def read_reference(layer: MapLayer, extent: tuple[float, float, float, float], map_crs: str,
                   project_folder: Path | None = None) -> ReferenceFeatures:
    """The features of ``layer`` meeting ``extent`` (map CRS), in the map CRS."""
    import pyogrio
    import shapely
    from rasterio.crs import CRS
    from rasterio.warp import transform

    from citymgr_desktop.core.basemaps.raster import bounds_in

    # GDAL's CRS and transformation (rasterio), not pyproj: this runs in the canvas's render
    # thread, where a pyproj CRS made while the UI thread uses pyproj crashed the process
    path = layer.path(project_folder)
    src_crs = file_crs(layer, project_folder)
    same = CRS.from_user_input(src_crs) == CRS.from_user_input(map_crs)
    try:
        bbox = extent if same else bounds_in(extent, map_crs, src_crs)
    except Exception:  # the view is outside the source CRS's area
        return ReferenceFeatures(np.array([], dtype=object), None)
    columns = [layer.style.label_field] if layer.style.label_field else []
    try:  # the raw reader: WKB and columns, no GeoDataFrame (whose CRS would be pyproj's)
        meta, _, wkb, fields = pyogrio.raw.read(path, bbox=tuple(bbox), columns=columns)
    except Exception as exc:  # GDAL's errors vary by driver
        raise BadFileError("{path}: cannot be read as a vector file ({reason})", path=path,
                           reason=str(exc).splitlines()[0]) from None
    geometries = shapely.from_wkb(wkb) if wkb is not None else np.array([], dtype=object)
    if not same and len(geometries):
        def to_map(coords: np.ndarray) -> np.ndarray:
            xs, ys = transform(src_crs, map_crs, coords[:, 0], coords[:, 1])
            return np.column_stack([xs, ys])

        geometries = shapely.transform(geometries, to_map)
    labels = None
    if layer.style.label_field and layer.style.label_field in list(meta["fields"]):
        values = fields[list(meta["fields"]).index(layer.style.label_field)]
        labels = ["" if v is None else str(v) for v in values]
    return ReferenceFeatures(geometries, labels)
