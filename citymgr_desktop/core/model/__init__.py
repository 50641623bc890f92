"""The asset model as data: tables and fields, value domains, value checks, object codes,
symbology and edits as deltas. Imports nothing else of the project but ``core.errors``.
"""
