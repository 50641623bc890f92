"""Base maps and reference layers in the app: a panel of rows (visibility, opacity, order) and the Add Map Layer dialog (docs/basemaps.md)."""
