"""Work-order exports: PDF with map extracts, XLSX, CSV, GeoJSON and GeoPackage.
"""
