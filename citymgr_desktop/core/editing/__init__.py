"""Editing sessions: unsaved edits over a file, the edits a person can make as commands,
conflict checks before a save, the recovery journal (docs/editing.md).
"""

from citymgr_desktop.core.editing.conflicts import Conflict, Merge
from citymgr_desktop.core.editing.recovery import JournalElsewhere, Recovery, held_elsewhere
from citymgr_desktop.core.editing.saving import SaveResult
from citymgr_desktop.core.editing.session import EditEvent, EditSession

__all__ = ["Conflict", "EditEvent", "EditSession", "JournalElsewhere", "Merge", "Recovery",
           "SaveResult", "held_elsewhere"]
