"""The map: canvas, map tools, render thread, layer panel, identify, status bar, image export.
"""
