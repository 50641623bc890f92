"""Base maps and reference layers (no Qt): the layer model kept in the project, tiles with a
disk cache, rasters and tiles warped to the map's pixel grid, reference vectors read for a
view. The renderer (``render/backdrop.py``) draws what these give. See docs/basemaps.md."""

from citymgr_desktop.core.basemaps.layers import (
    KINDS,
    POSITIONS,
    LayerStyle,
    MapLayer,
    add_project_layer,
    classify,
    file_crs,
    make_layer,
    project_layers,
    remove_project_layer,
    save_project_layers,
    shifted_datum,
)
from citymgr_desktop.core.basemaps.raster import ViewGrid, raster_rgba, tiles_rgba
from citymgr_desktop.core.basemaps.tiles import FetchReport, TileCache, TileFetcher, cache_folder
from citymgr_desktop.core.basemaps.vector import ReferenceFeatures, read_reference

__all__ = [
    "KINDS", "POSITIONS", "FetchReport", "LayerStyle", "MapLayer", "ReferenceFeatures",
    "TileCache", "TileFetcher", "ViewGrid", "add_project_layer", "cache_folder", "classify",
    "file_crs", "make_layer", "project_layers", "raster_rgba", "read_reference",
    "remove_project_layer", "save_project_layers", "shifted_datum", "tiles_rgba",
]
