"""The import feature: the import wizard and its pages.
"""
