"""Editing sessions: unsaved edits over a file, the edits a person can make as commands,
conflict checks before a save, the recovery journal.
"""
