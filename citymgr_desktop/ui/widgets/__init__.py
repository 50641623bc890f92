"""Widgets shared by several features (field editors built from the model's domains).
"""
