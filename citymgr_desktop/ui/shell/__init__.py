"""The application shell: the main window and what it owns (actions, settings, the feature
registry) and the typed window contract that features build on (:mod:`.window`).
"""
