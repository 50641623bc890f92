"""Bringing existing data into a project: sources, mapping, values, CRS, matching, reports.
"""
