"""Exporting a layer: Layer › Export layer…, the layer's context menu and the attribute table."""
