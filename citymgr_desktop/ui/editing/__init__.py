"""The editing feature: the attribute table, asset forms, bulk edit, field calculator, undo/redo and save.
"""
