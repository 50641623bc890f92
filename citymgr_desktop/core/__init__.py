"""The core: asset model, GeoPackage store, edits, history, work orders, sync and import.

Plain Python on GeoPandas/Shapely/pyproj and the standard library; it never imports Qt
(enforced by the import-linter contract in ``pyproject.toml``).
"""
