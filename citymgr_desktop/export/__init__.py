"""Exports: print layouts and atlas, work-order PDFs and tabular/GeoJSON exports (QtGui, no widgets)."""
