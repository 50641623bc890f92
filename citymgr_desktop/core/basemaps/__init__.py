"""Base maps and reference layers (no Qt): the layer model kept in the project, tiles with a
disk cache, rasters and tiles warped to the map's pixel grid, reference vectors read for a
view. The renderer (``render/backdrop.py``) draws what these give. See docs/basemaps.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from citymgr_desktop.core.lazy import names_on_first_use

if TYPE_CHECKING:
    from citymgr_desktop.core.basemaps.raster import ViewGrid, raster_rgba, tiles_rgba
    from citymgr_desktop.core.basemaps.tiles import (
        FetchReport,
        TileCache,
        TileFetcher,
        cache_folder,
    )
    from citymgr_desktop.core.basemaps.vector import ReferenceFeatures, read_reference

# loaded on first use (PEP 562): the raster half needs NumPy, which ``citymgr layers`` and
# the other commands that only read or change the list of layers do without
_MODULE_OF = {"ViewGrid": "raster", "raster_rgba": "raster", "tiles_rgba": "raster",
              "FetchReport": "tiles", "TileCache": "tiles", "TileFetcher": "tiles",
              "cache_folder": "tiles", "ReferenceFeatures": "vector",
              "read_reference": "vector"}

__all__ = [
    "KINDS", "POSITIONS", "FetchReport", "LayerStyle", "MapLayer", "ReferenceFeatures",
    "TileCache", "TileFetcher", "ViewGrid", "add_project_layer", "cache_folder", "classify",
    "file_crs", "make_layer", "project_layers", "raster_rgba", "read_reference",
    "remove_project_layer", "save_project_layers", "shifted_datum", "tiles_rgba",
]


__getattr__ = names_on_first_use(__name__, _MODULE_OF)
