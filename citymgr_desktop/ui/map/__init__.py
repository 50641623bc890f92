"""The map widgets: canvas, map tools, render thread, layer panel, identify results, status
bar. They know nothing of the window; the shell wires them and passes in what they need.
"""
