"""Import sources: anything GDAL reads, CSV/XLSX tables with coordinates, OpenStreetMap.

``read_source(path, options)`` reads one layer for import; ``describe_layer`` says what a
layer holds before mapping; ``list_layers`` lists a file's layers.
"""

from citymgr_desktop.core.importing.sources.base import (
    SourceData,
    SourceField,
    SourceLayer,
    SourceOptions,
)
from citymgr_desktop.core.importing.sources.reader import (
    describe_data,
    describe_layer,
    is_empty,
    is_table,
    list_layers,
    read_source,
    shapefile_encoding,
)

__all__ = [
    "SourceData", "SourceField", "SourceLayer", "SourceOptions", "describe_data",
    "describe_layer", "is_empty", "is_table", "list_layers", "read_source",
    "shapefile_encoding",
]
