"""Editing sessions: unsaved edits over a file, the edits a person can make as commands,
conflict checks before a save, the recovery journal (docs/editing.md).
"""

from citymgr_desktop.core.editing.session import EditEvent, EditSession, Recovery, SaveResult

__all__ = ["EditEvent", "EditSession", "Recovery", "SaveResult"]
