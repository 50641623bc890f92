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
    from pyproj import CRS
    from rasterio.warp import transform_bounds

    path = layer.path(project_folder)
    src_crs = file_crs(layer, project_folder)
    same = CRS.from_user_input(src_crs) == CRS.from_user_input(map_crs)
    try:
        bbox = extent if same else transform_bounds(map_crs, src_crs, *extent, densify_pts=21)
    except Exception:
        return ReferenceFeatures(np.array([], dtype=object), None)
    columns = [layer.style.label_field] if layer.style.label_field else []
    try:
        frame = pyogrio.read_dataframe(path, bbox=tuple(bbox), columns=columns)
    except Exception as exc:
        raise BadFileError("{path}: cannot be read as a vector file ({reason})", path=path,
                           reason=str(exc).splitlines()[0]) from None
    frame = frame[frame.geometry.notna()]
    frame = frame.set_crs(src_crs, allow_override=True)
    if not same:
        frame = frame.to_crs(map_crs)
    labels = None
    if layer.style.label_field and layer.style.label_field in frame.columns:
        labels = ["" if v is None else str(v) for v in frame[layer.style.label_field]]
    return ReferenceFeatures(np.asarray(frame.geometry.values, dtype=object), labels)
