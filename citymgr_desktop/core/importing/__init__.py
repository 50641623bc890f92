"""Bringing existing data into a project: sources, mapping, values, CRS, matching, reports
(docs/import.md). ``run_import(store, source, mapping)`` is the one entry point.
"""

from citymgr_desktop.core.importing.mapping import ImportMapping, suggest_mapping
from citymgr_desktop.core.importing.report import ImportReport
from citymgr_desktop.core.importing.run import ImportCommand, ImportResult, run_import

__all__ = ["ImportCommand", "ImportMapping", "ImportReport", "ImportResult", "run_import",
           "suggest_mapping"]
