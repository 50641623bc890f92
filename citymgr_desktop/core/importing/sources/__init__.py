"""Import sources: anything GDAL reads, CSV/XLSX tables with coordinates, OpenStreetMap.
"""
